#!/usr/bin/env bash
# packaging/test.sh: checks the packages that `make package` built in dist/ (run by `make package-test`).
#
#   1. contents, config flags, owners and scripts of the RPMs (rpm -qp) and DEBs (dpkg-deb);
#   2. the systemd unit: `systemd-analyze verify` silent with rc 0, `security --offline` exposure <= 3.0;
#   3. the packaged binary validates the packaged agent.json (files extracted from each package);
#   4. noreplace: an edited agent.json survives an RPM upgrade (agent.json.rpmnew appears), also an
#      in-place upgrade of a Java 2.x package (built here with nfpm, like Amazon's: same name, noarch);
#   5. the install scripts, run for real by rpm --root / dpkg --root in a throw-away chroot that holds a
#      shell, coreutils and stubs for systemctl/useradd/usermod: RPM $1 counts and posttrans, DEB
#      install/upgrade/remove/purge arguments, with and without systemd as PID 1;
#   6. DEB has no conffiles: every dpkg run has stdin closed and no --force-confold, over /etc files
#      that differ from the defaults (written beforehand, Java's, edited), and from a DEB of the
#      earlier layout where they were conffiles; the defaults are copied to /etc only where missing.
# Needs root (chroot, rpm/dpkg --root). Installs rpm and cpio with apt-get when missing.
# Prints one line per check and ends with "N passed, M failed"; exits 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

VERSION=${VERSION:-3.0.0}
NFPM=${NFPM:-.bin/nfpm}
SVC=aws-kinesis-agent
USR=aws-kinesis-agent-user
RPM_AMD=dist/$SVC-$VERSION-1.x86_64.rpm
RPM_ARM=dist/$SVC-$VERSION-1.aarch64.rpm
DEB_AMD=dist/${SVC}_$VERSION-1_amd64.deb
DEB_ARM=dist/${SVC}_$VERSION-1_arm64.deb
UPGRADE_VERSION=$(echo "$VERSION" | awk -F. '{ printf "%d.%d.%d", $1, $2, $3 + 1 }')
MAX_EXPOSURE=3.0

pass=0
fail=0
started=$(date +%s)
T=$(mktemp -d /tmp/pkgtest.XXXXXX)
trap 'rm -rf "$T"' EXIT

section() { printf '\n== %s  (%ds)\n' "$1" $(($(date +%s) - started)); }
ok() { pass=$((pass + 1)); printf '  ok    %s\n' "$1"; }
bad() {
    fail=$((fail + 1))
    printf '  FAIL  %s\n' "$1"
    if [ -n "${2:-}" ]; then printf '%s\n' "$2" | head -n 30 | sed 's/^/          /'; fi
}
# check NAME CMD...: passes when CMD exits 0; shows its output when it does not.
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$out"; fi
}
# has LIST ITEM...: every ITEM is a whole line of LIST.
has() {
    local list=$1 missing="" i
    shift
    for i in "$@"; do grep -qxF -- "$i" <<<"$list" || missing="$missing $i"; done
    [ -z "$missing" ] || { echo "missing:$missing"; echo "in:"; echo "$list"; return 1; }
}
# lacks LIST ITEM...: no ITEM is a line of LIST.
lacks() {
    local list=$1 found="" i
    shift
    for i in "$@"; do grep -qxF -- "$i" <<<"$list" && found="$found $i"; done
    [ -z "$found" ] || { echo "unexpected:$found"; return 1; }
}
same() { [ "$1" = "$2" ] || { printf 'want: %s\ngot:  %s\n' "$2" "$1"; return 1; }; }
contains() { grep -qF -- "$2" <<<"$1" || { printf 'no "%s" in:\n%s\n' "$2" "$1"; return 1; }; }
absent() { local f; for f; do [ ! -e "$f" ] && [ ! -L "$f" ] || { echo "still there: $f"; return 1; }; done; }
present() { local f; for f; do [ -e "$f" ] || { echo "missing: $f"; return 1; }; done; }

# ---------------------------------------------------------------------------------------------
section "prerequisites"
if ! command -v rpm >/dev/null || ! command -v cpio >/dev/null; then
    echo "  installing rpm and cpio (apt-get)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rpm cpio; } >"$T/apt.log" 2>&1 ||
        { cat "$T/apt.log"; }
fi
check "rpm, rpm2cpio, cpio, dpkg-deb, systemd-analyze, chroot present" \
    sh -c 'command -v rpm && command -v rpm2cpio && command -v cpio && command -v dpkg-deb && command -v systemd-analyze && command -v chroot'
check "running as root (needed for chroot, rpm/dpkg --root)" test "$(id -u)" = 0
check "packages built: $RPM_AMD $RPM_ARM $DEB_AMD $DEB_ARM" present "$RPM_AMD" "$RPM_ARM" "$DEB_AMD" "$DEB_ARM"
check "nfpm present ($NFPM)" test -x "$NFPM"
[ "$fail" -eq 0 ] || { printf '\n%d passed, %d failed\n' "$pass" "$fail"; exit 1; }
rpmq() { rpm -qp "$@" 2>/dev/null; }

# ---------------------------------------------------------------------------------------------
section "RPM metadata and contents"
FILES_COMMON="/etc/aws-kinesis
/etc/aws-kinesis/agent.d
/usr/bin/api_caller
/usr/bin/$SVC
/usr/bin/start-$SVC
/usr/lib/systemd/system/$SVC.service
/usr/lib/tmpfiles.d/$SVC.conf
/var/lib/$SVC
/var/log/$SVC"
for pkg in "$RPM_AMD" "$RPM_ARM"; do
    case $pkg in *x86_64*) want_arch=x86_64 ;; *) want_arch=aarch64 ;; esac
    check "$want_arch: name version release arch" same "$(rpmq --qf '%{NAME} %{VERSION} %{RELEASE} %{ARCH}' "$pkg")" "$SVC $VERSION 1 $want_arch"
    list=$(rpmq -l "$pkg")
    # shellcheck disable=SC2086
    check "$want_arch: rpm -qpl lists the files" has "$list" $FILES_COMMON /etc/aws-kinesis/agent.json /etc/logrotate.d/$SVC /etc/sysconfig/$SVC
    check "$want_arch: rpm -qpl has no /etc/default file and no DEB defaults" lacks "$list" /etc/default/$SVC \
        /usr/share/$SVC/agent.json /usr/share/$SVC/$SVC.default /usr/share/$SVC/$SVC.logrotate
done
check "rpm -qpc: exactly the three config files" \
    same "$(rpmq -c "$RPM_AMD" | sort | tr '\n' ' ')" "/etc/aws-kinesis/agent.json /etc/logrotate.d/$SVC /etc/sysconfig/$SVC "
flags=$(rpmq --qf '[%{FILENAMES} %{FILEFLAGS:fflags} %{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME}\n]' "$RPM_AMD")
printf '%s\n' "$flags" | sed 's/^/        /'
check "FILEFLAGS: config files are cn (config, noreplace) with their modes" has "$flags" \
    "/etc/aws-kinesis/agent.json cn -rw-r--r-- root:root" \
    "/etc/sysconfig/$SVC cn -rw------- root:root" \
    "/etc/logrotate.d/$SVC cn -rw-r--r-- root:root"
check "FILEFLAGS: binaries 0755 root, state/log dirs 0750 owned by $USR" has "$flags" \
    "/usr/bin/$SVC  -rwxr-xr-x root:root" \
    "/usr/bin/api_caller  -rwxr-xr-x root:root" \
    "/usr/bin/start-$SVC  -rwxr-xr-x root:root" \
    "/var/lib/$SVC  drwxr-x--- $USR:$USR" \
    "/var/log/$SVC  drwxr-x--- $USR:$USR"
scripts=$(rpmq --scripts "$RPM_AMD")
check "rpm -qp --scripts: pre, post, preun, postun and posttrans scriptlets" has \
    "$(grep -o '^[a-z]* scriptlet (using /bin/sh):' <<<"$scripts")" \
    "preinstall scriptlet (using /bin/sh):" "postinstall scriptlet (using /bin/sh):" \
    "preuninstall scriptlet (using /bin/sh):" "postuninstall scriptlet (using /bin/sh):" \
    "posttrans scriptlet (using /bin/sh):"
check "requires: no Java (only shadow-utils and rpmlib features)" \
    sh -c "! rpm -qpR '$RPM_AMD' 2>/dev/null | grep -iE 'java|jre|jdk'"
check "rpm version $VERSION sorts above Java 2.0.13 (in-place upgrade)" \
    same "$(rpm --eval "%{lua: print(rpm.vercmp('$VERSION-1', '2.0.13-1'))}")" 1
check "rpm -K: digests OK" sh -c "rpm -K '$RPM_AMD' '$RPM_ARM' | grep -c 'digests OK' | grep -qx 2"

# ---------------------------------------------------------------------------------------------
section "DEB metadata and contents"
for pkg in "$DEB_AMD" "$DEB_ARM"; do
    case $pkg in *amd64*) want_arch=amd64 ;; *) want_arch=arm64 ;; esac
    check "$want_arch: Package Version Architecture" \
        same "$(dpkg-deb -f "$pkg" Package Version Architecture | tr '\n' ' ')" "Package: $SVC Version: $VERSION-1 Architecture: $want_arch "
    list=$(dpkg-deb -c "$pkg" | awk '{ print $6 }' | sed 's#^\./#/#; s#/$##')
    # shellcheck disable=SC2086
    check "$want_arch: dpkg-deb -c lists the files, the /etc defaults under /usr/share/$SVC" has "$list" $FILES_COMMON \
        /usr/share/$SVC/agent.json /usr/share/$SVC/$SVC.default /usr/share/$SVC/$SVC.logrotate
    check "$want_arch: dpkg-deb -c: only directories in /etc (postinst copies the defaults there)" \
        same "$(grep '^/etc' <<<"$list" | tr '\n' ' ')" "/etc /etc/aws-kinesis /etc/aws-kinesis/agent.d "
done
dpkg-deb -c "$DEB_AMD" | grep -E "$USR|etc/|usr/share/$SVC/" | sed 's/^/        /'
check "dpkg-deb -c: owners and modes" has "$(dpkg-deb -c "$DEB_AMD" | awk '{ print $1, $2, $6 }')" \
    "-rw-r--r-- root/root ./usr/share/$SVC/agent.json" \
    "-rw------- root/root ./usr/share/$SVC/$SVC.default" \
    "-rw-r--r-- root/root ./usr/share/$SVC/$SVC.logrotate" \
    "-rwxr-xr-x root/root ./usr/bin/$SVC" \
    "drwxr-x--- $USR/$USR ./var/lib/$SVC/" \
    "drwxr-x--- $USR/$USR ./var/log/$SVC/"
dpkg-deb -e "$DEB_AMD" "$T/debctl"
stale() {
    local a b
    for a in preinst:preinstall postinst:postinstall prerm:preremove postrm:postremove; do
        cmp "$T/debctl/${a%%:*}" "packaging/scripts/${a#*:}.sh" || return 1
    done
    for b in packaging/$SVC.service packaging/agent.json; do
        [ ! "$b" -nt "$DEB_AMD" ] || { echo "$b is newer than $DEB_AMD"; return 1; }
    done
}
check "packages are up to date with packaging/ (else run make package)" stale
check "no conffiles (dpkg would ask about a differing one, and fail without a terminal)" \
    sh -c "test ! -s '$T/debctl/conffiles'"
check "dpkg-deb -I: preinst postinst prerm postrm, executable" \
    sh -c "for s in preinst postinst prerm postrm; do test -x '$T/debctl/'\$s || exit 1; done"
check "Depends: passwd only (no Java)" same "$(dpkg-deb -f "$DEB_AMD" Depends)" "passwd"
check "deb version $VERSION-1 sorts above 2.0.13" dpkg --compare-versions "$VERSION-1" gt 2.0.13

# ---------------------------------------------------------------------------------------------
section "scripts and shipped files"
for s in packaging/scripts/*.sh packaging/start-$SVC; do
    check "sh -n $s (POSIX sh syntax)" sh -n "$s"
done
check "start-$SVC execs /usr/bin/$SVC with all arguments" \
    grep -qxF "exec /usr/bin/$SVC \"\$@\"" packaging/start-$SVC
sysconf=$(cat packaging/$SVC.sysconfig)
check "sysconfig: commented AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= AWS_DEFAULT_REGION= AWS_CBOR_DISABLE=true AGENT_ARGS=\"\"" \
    has "$sysconf" "#AWS_ACCESS_KEY_ID=" "#AWS_SECRET_ACCESS_KEY=" "#AWS_DEFAULT_REGION=" "#AWS_CBOR_DISABLE=true" '#AGENT_ARGS=""'
lr=$(sed 's/^ *//' packaging/$SVC.logrotate)
check "logrotate: /var/log/$SVC/*.log daily, rotate 7, compress, HUP via systemctl kill" \
    has "$lr" "/var/log/$SVC/*.log {" daily "rotate 7" compress \
    "systemctl kill -s HUP --kill-who=main $SVC.service >/dev/null 2>&1 || true"
check "agent.json: airline_tickets flow, CSVTOJSON with the 14 field names, RANDOM keys" python3 - <<'EOF'
import json, sys
c = json.load(open("packaging/agent.json"))
f = c["flows"]
assert len(f) == 1, f
f = f[0]
assert f["filePattern"] == "/var/log/airline_tickets/*log", f
assert f["kinesisStream"] == "airline_tickets", f
assert f["partitionKeyOption"] == "RANDOM", f
d = f["dataProcessingOptions"]
assert [o["optionName"] for o in d] == ["CSVTOJSON"], d
want = ("cost trip_class show_to_affiliates return_date origin number_of_changes gate found_at "
        "duration distance destination depart_date actual record_id").split()
assert d[0]["customFieldNames"] == want, d[0]["customFieldNames"]
EOF

# ---------------------------------------------------------------------------------------------
section "systemd unit"
unit=packaging/$SVC.service
props=$(grep -E '^[A-Za-z]+=' "$unit")
check "unit: user, restart, stop timeout, directories, environment" has "$props" \
    "User=$USR" "SupplementaryGroups=adm" "Restart=always" "TimeoutStopSec=20s" "UMask=0027" \
    "StateDirectory=$SVC" "LogsDirectory=$SVC" \
    "EnvironmentFile=-/etc/sysconfig/$SVC" "EnvironmentFile=-/etc/default/$SVC" \
    "ExecStart=/usr/bin/$SVC --log-file /var/log/$SVC/$SVC.log \$AGENT_ARGS" \
    "ExecReload=/bin/sh -c 'kill -HUP \$\$MAINPID'" \
    "NoNewPrivileges=yes" "ProtectSystem=strict" "ProtectHome=read-only" "PrivateTmp=yes" \
    "CapabilityBoundingSet=" "SystemCallFilter=@system-service" "MemoryDenyWriteExecute=yes" \
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" "WantedBy=multi-user.target"
mkdir -p "$T/unit"
sed "s#/usr/bin/$SVC#$PWD/dist/linux_amd64/$SVC#" "$unit" >"$T/unit/$SVC.service"
verify_silent() {
    local out rc
    out=$(systemd-analyze verify "$1" 2>&1)
    rc=$?
    [ "$rc" -eq 0 ] && [ -z "$out" ] || { echo "rc=$rc"; echo "$out"; return 1; }
}
check "systemd-analyze verify: rc 0 and no output" verify_silent "$T/unit/$SVC.service"
# A broken copy must fail the same check (the check can fail).
sed 's/^Restart=always/Restart=sometimes/' "$T/unit/$SVC.service" >"$T/unit/broken.service"
check "systemd-analyze verify: a bad value in a copy is caught" sh -c "! systemd-analyze verify '$T/unit/broken.service' >/dev/null 2>&1 || test -n \"\$(systemd-analyze verify '$T/unit/broken.service' 2>&1)\""
sec=$(systemd-analyze security --offline=true "$T/unit/$SVC.service" 2>&1)
exposure=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' <<<"$sec")
echo "        exposure: ${exposure:-?}"
check "systemd-analyze security --offline=true: exposure <= $MAX_EXPOSURE (${exposure:-none})" \
    awk -v e="${exposure%% *}" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e != "" && e + 0 <= m + 0) }'

# ---------------------------------------------------------------------------------------------
section "binaries"
for a in amd64 arm64; do
    bi=$(go version -m "dist/linux_$a/$SVC" 2>&1)
    check "$a: $SVC is built with CGO_ENABLED=0 GOOS=linux GOARCH=$a" has \
        "$(sed 's/^[[:space:]]*//; s/[[:space:]]\+/ /g' <<<"$bi")" \
        "build CGO_ENABLED=0" "build GOOS=linux" "build GOARCH=$a"
done
version_out() { local out; out=$("$@" 2>&1) && grep -qF "$VERSION" <<<"$out" || { echo "$out"; return 1; }; }
check "amd64: $SVC --version exits 0 and names $VERSION" version_out "dist/linux_amd64/$SVC" --version
check "amd64: $SVC is statically linked" sh -c "! readelf -l dist/linux_amd64/$SVC | grep -q INTERP"

# ---------------------------------------------------------------------------------------------
section "packaged binary validates the packaged agent.json"
mkdir -p "$T/x/rpm" "$T/x/deb"
(cd "$T/x/rpm" && rpm2cpio "$OLDPWD/$RPM_AMD" | cpio -idm --quiet --no-absolute-filenames) 2>"$T/cpio.err"
dpkg-deb -x "$DEB_AMD" "$T/x/deb"
for kind in rpm deb; do
    r=$T/x/$kind
    cfg=$r/etc/aws-kinesis/agent.json
    [ $kind = deb ] && cfg=$r/usr/share/$SVC/agent.json
    check "$kind: extracted binary is the one built" cmp "$r/usr/bin/$SVC" "dist/linux_amd64/$SVC"
    check "$kind: $SVC --validate -c ${cfg#"$r"} -d $r/etc/aws-kinesis/agent.d" \
        "$r/usr/bin/$SVC" --validate -c "$cfg" -d "$r/etc/aws-kinesis/agent.d"
    check "$kind: start-$SVC --validate ... (the shim passes its arguments)" \
        sh -c "sed 's#/usr/bin/$SVC#$r/usr/bin/$SVC#' '$r/usr/bin/start-$SVC' > '$T/shim' && sh '$T/shim' --validate -c '$cfg' -d '$r/etc/aws-kinesis/agent.d'"
done
check "deb: the defaults are the files RPM ships in /etc" sh -c \
    "cmp '$T/x/deb/usr/share/$SVC/agent.json' '$T/x/rpm/etc/aws-kinesis/agent.json' && cmp '$T/x/deb/usr/share/$SVC/$SVC.default' '$T/x/rpm/etc/sysconfig/$SVC' && cmp '$T/x/deb/usr/share/$SVC/$SVC.logrotate' '$T/x/rpm/etc/logrotate.d/$SVC'"

# ---------------------------------------------------------------------------------------------
section "building comparison packages ($SVC $UPGRADE_VERSION, fake Java 2.0.13)"
mkdir -p "$T/pkg"
# The upgrade ships a changed default agent.json: RPM writes .rpmnew only when the packaged file
# changed between the two versions and the installed one was edited; the DEB's postinst replaces
# the /etc copy only when it is the previous default, unedited.
sed 's/"cloudwatch.emitMetrics": true/"cloudwatch.emitMetrics": false/' packaging/agent.json >"$T/agent-up.json"
sed "s#src: ./packaging/agent.json#src: $T/agent-up.json#" packaging/nfpm.yaml >"$T/nfpm-up.yaml"
VERSION=$UPGRADE_VERSION ARCH=amd64 "$NFPM" package --config "$T/nfpm-up.yaml" --packager rpm --target "$T/pkg/" >/dev/null &&
    VERSION=$UPGRADE_VERSION ARCH=amd64 "$NFPM" package --config "$T/nfpm-up.yaml" --packager deb --target "$T/pkg/" >/dev/null
RPM_UP=$T/pkg/$SVC-$UPGRADE_VERSION-1.x86_64.rpm
DEB_UP=$T/pkg/${SVC}_$UPGRADE_VERSION-1_amd64.deb
# The DEB as it was before its /etc files left dpkg's conffiles: the same package with agent.json,
# the /etc/default file and the logrotate file as conffiles, release 0 (sorts below $VERSION-1).
sed -e "s#^\( *\)dst: /usr/share/$SVC/agent.json\$#\1dst: /etc/aws-kinesis/agent.json\n\1type: config|noreplace#" \
    -e "s#^\( *\)dst: /usr/share/$SVC/$SVC.default .*#\1dst: /etc/default/$SVC\n\1type: config|noreplace#" \
    -e "s#^\( *\)dst: /usr/share/$SVC/$SVC.logrotate .*#\1dst: /etc/logrotate.d/$SVC\n\1type: config|noreplace#" \
    -e 's/^release: 1$/release: 0/' packaging/nfpm.yaml >"$T/nfpm-old.yaml"
mkdir -p "$T/pkg-old"
VERSION=$VERSION ARCH=amd64 "$NFPM" package --config "$T/nfpm-old.yaml" --packager deb --target "$T/pkg-old/" >/dev/null
DEB_OLD=$T/pkg-old/${SVC}_$VERSION-0_amd64.deb
# A package owning one of our paths: installing ours next to it fails at unpack (after preinst).
printf 'doc\n' >"$T/conflict.txt"
cat >"$T/nfpm-conflict.yaml" <<EOF
name: conflicting-doc
arch: all
version: 1.0.0
maintainer: test
description: owns a path of $SVC, so that its unpack fails
contents:
  - {src: $T/conflict.txt, dst: /usr/share/doc/$SVC/INSTALL.md}
EOF
"$NFPM" package --config "$T/nfpm-conflict.yaml" --packager deb --target "$T/pkg-old/" >/dev/null
DEB_CONFLICT=$T/pkg-old/conflicting-doc_1.0.0_all.deb
# What Amazon's Java RPM lays down (spec §8): same package name, noarch, SysV script, cron babysitter.
J=$T/java
mkdir -p "$J"
printf '{ "flows": [ { "filePattern": "/tmp/app.log*", "kinesisStream": "yourkinesisstream" } ] }\n' >"$J/agent.json"
printf '#AWS_ACCESS_KEY_ID=\n#AGENT_ARGS=""\n' >"$J/sysconfig"
printf '* * * * * root /usr/bin/aws-kinesis-agent-babysit > /dev/null 2>&1\n' >"$J/cron"
printf '<Configuration/>\n' >"$J/log4j.xml"
printf 'PK fake jar\n' >"$J/agent.jar"
cat >"$J/init" <<'EOF'
#!/bin/sh
# stand-in for the Java agent's SysV script: "running" while /stub-active exists
echo "init $1" >>/stub.log
case "$1" in
    status) [ -e /stub-active ] ;;
    stop) rm -f /stub-active ;;
    start) : >/stub-active ;;
esac
EOF
printf '#!/bin/sh\nexec java -jar /usr/share/aws-kinesis-agent/lib/x.jar "$@"\n' >"$J/start"
cat >"$J/nfpm.yaml" <<EOF
name: $SVC
arch: all
version: 2.0.13
release: 1
description: fake Java agent package for upgrade tests
contents:
  - {src: $J/start, dst: /usr/bin/start-$SVC, file_info: {mode: 0755}}
  - {src: $J/start, dst: /usr/bin/aws-kinesis-agent-babysit, file_info: {mode: 0755}}
  - {src: $J/agent.jar, dst: /usr/share/aws-kinesis-agent/lib/AWSKinesisStreamingDataAgent-1.1.jar}
  - {src: $J/init, dst: /etc/rc.d/init.d/$SVC, file_info: {mode: 0755}}
  - {src: $J/cron, dst: /etc/cron.d/$SVC, type: config|noreplace}
  - {src: $J/agent.json, dst: /etc/aws-kinesis/agent.json, type: config|noreplace}
  - {src: $J/log4j.xml, dst: /etc/aws-kinesis/log4j.xml, type: config|noreplace}
  - {src: $J/sysconfig, dst: /etc/sysconfig/$SVC, type: config|noreplace}
  - {dst: /var/log/$SVC, type: dir}
EOF
"$NFPM" package --config "$J/nfpm.yaml" --packager rpm --target "$T/pkg/" >/dev/null
RPM_JAVA=$T/pkg/$SVC-2.0.13-1.noarch.rpm
check "built $SVC $UPGRADE_VERSION (rpm, deb), $VERSION-0 (deb, conffile layout) and fake Java 2.0.13 (noarch rpm)" \
    present "$RPM_UP" "$DEB_UP" "$DEB_OLD" "$DEB_CONFLICT" "$RPM_JAVA"
check "$VERSION-0 deb: conffiles are agent.json, the /etc/default file and logrotate" \
    same "$(dpkg-deb --ctrl-tarfile "$DEB_OLD" | tar -xOf - ./conffiles | sort | tr '\n' ' ')" \
    "/etc/aws-kinesis/agent.json /etc/default/$SVC /etc/logrotate.d/$SVC "

# ---------------------------------------------------------------------------------------------
section "noreplace in an alternate rpm root (--noscripts)"
R=$T/rpmroot
rpm --root "$R" --initdb
rpm -i --root "$R" --nodeps --noscripts "$RPM_AMD" >"$T/rpm.log" 2>&1
echo '{ "flows": [], "edited": "by the operator" }' >"$R/etc/aws-kinesis/agent.json"
check "rpm -U $VERSION -> $UPGRADE_VERSION" rpm -U --root "$R" --nodeps --noscripts "$RPM_UP"
check "the edited agent.json is kept" grep -q '"edited": "by the operator"' "$R/etc/aws-kinesis/agent.json"
check "the new default is written as agent.json.rpmnew" cmp "$R/etc/aws-kinesis/agent.json.rpmnew" "$T/agent-up.json"
check "unedited config files are replaced without .rpmnew" absent "$R/etc/sysconfig/$SVC.rpmnew" "$R/etc/logrotate.d/$SVC.rpmnew"
check "rpm -q: only $UPGRADE_VERSION installed" same "$(rpm -q --root "$R" $SVC)" "$SVC-$UPGRADE_VERSION-1.x86_64"
check "rpm -e keeps the edited agent.json (as .rpmsave)" \
    sh -c "rpm -e --root '$R' --nodeps --noscripts $SVC && grep -q edited '$R/etc/aws-kinesis/agent.json.rpmsave'"

# ---------------------------------------------------------------------------------------------
# A minimal root to run the install scripts for real: rpm and dpkg chroot into it for scriptlets.
# /stub.log records the stubs' calls; /stub-active means "the service is running".
mkroot() {
    local r=$1 booted=$2 b p l
    mkdir -p "$r/usr/bin" "$r/usr/sbin" "$r/usr/lib" "$r/usr/lib64" "$r/etc" "$r/run" "$r/tmp" "$r/var/lib"
    for l in bin sbin lib lib64; do ln -s "usr/$l" "$r/$l"; done
    ln -s ../run "$r/var/run"
    for b in sh rm mkdir install chown chmod find cp mv ln cmp basename ls rmdir id cat touch grep sed; do
        p=$(command -v "$b") || return 1
        cp -L "$p" "$r/usr/bin/$b"
        for l in $(ldd "$p" 2>/dev/null | grep -o '/[^ ]*'); do
            [ -e "$r$l" ] || { mkdir -p "$r$(dirname "$l")" && cp -L "$l" "$r$l"; }
        done
    done
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
    printf 'root:x:0:\nadm:x:4:\n' >"$r/etc/group"
    cat >"$r/usr/bin/systemctl" <<'EOF'
#!/bin/sh
if [ "$1" = --version ]; then echo "systemd $(cat /stub-version 2>/dev/null || echo 252) (stub)"; exit 0; fi
echo "systemctl $*" >>/stub.log
case "$*" in
    *is-active*) [ -e /stub-active ]; exit ;;
    *" stop "*|"stop "*) rm -f /stub-active ;;
    *" start "*|"start "*|*restart*) : >/stub-active ;;
esac
exit 0
EOF
    cat >"$r/usr/sbin/useradd" <<'EOF'
#!/bin/sh
echo "useradd $*" >>/stub.log
for a; do name=$a; done
echo "$name:x:990:990::/home/$name:/sbin/nologin" >>/etc/passwd
EOF
    cat >"$r/usr/sbin/groupadd" <<'EOF'
#!/bin/sh
echo "groupadd $*" >>/stub.log
for a; do name=$a; done
echo "$name:x:990:" >>/etc/group
EOF
    printf '#!/bin/sh\necho "usermod $*" >>/stub.log\n' >"$r/usr/sbin/usermod"
    printf '#!/bin/sh\nexit 1\n' >"$r/usr/sbin/nologin"
    chmod 755 "$r/usr/bin/systemctl" "$r/usr/sbin/useradd" "$r/usr/sbin/groupadd" "$r/usr/sbin/usermod" "$r/usr/sbin/nologin"
    mkdir -p "$r/dev" && mknod -m 666 "$r/dev/null" c 1 3 || return 1
    if [ "$booted" = booted ]; then mkdir -p "$r/run/systemd/system"; fi
    : >"$r/stub.log"
}
calls() { grep -v -e 'is-active' -e 'is-enabled' -e '^init status' "$1/stub.log" | tr '\n' ';'; }
reset_calls() { : >"$1/stub.log"; }
uid_of() { stat -c %u "$1"; }

section "RPM scripts: in-place upgrade of a running Java 2.x agent (systemd is PID 1)"
R=$T/rpmjava
mkroot "$R" booted
rpm --root "$R" --initdb
rpm -i --root "$R" --nodeps "$RPM_JAVA" >"$T/rpm.log" 2>&1
mkdir -p "$R/etc/rc.d/rc3.d" "$R/run/$SVC"
ln -s ../init.d/$SVC "$R/etc/rc.d/rc3.d/S30$SVC"
printf 'SQLite format 3\0java checkpoints\n' >"$R/run/$SVC/checkpoints"
echo '{ "flows": [ { "filePattern": "/var/log/app/*.log", "kinesisStream": "mine" } ] }' >"$R/etc/aws-kinesis/agent.json"
: >"$R/stub-active"
reset_calls "$R"
mkdir -p "$R/var/run" && echo 12345 >"$R/var/run/$SVC.pid"
check "rpm -U Java 2.0.13 -> $VERSION (scripts run), with no warning (the cron file the Java RPM owns is not removed under it)" \
    sh -c "rpm -U --root '$R' --nodeps '$RPM_AMD' >'$T/rpmu.log' 2>&1; rc=\$?; cat '$T/rpmu.log' >&2; test \$rc = 0 && ! grep -q 'remove failed' '$T/rpmu.log'"
check "the Java agent's pid file removed (its cron babysitter restarts nothing during the upgrade)" absent "$R/var/run/$SVC.pid"
check "rpm -q: only $VERSION installed" same "$(rpm -q --root "$R" $SVC)" "$SVC-$VERSION-1.x86_64"
check "group and user created: groupadd -r, useradd -r -g $USR -s /sbin/nologin -c \"Streaming Data Agent\", then usermod -L" \
    sh -c "grep -q '^$USR:' '$R/etc/passwd' && grep -q '^$USR:' '$R/etc/group' && grep -qxF 'groupadd -r $USR' '$R/stub.log' && grep -qxF 'useradd -r -g $USR -s /sbin/nologin -c Streaming Data Agent $USR' '$R/stub.log' && grep -qxF 'usermod -L $USR' '$R/stub.log'"
check "stopped before, reloaded, enabled, started after" same "$(calls "$R" | sed 's/groupadd[^;]*;//; s/useradd[^;]*;usermod[^;]*;//')" \
    "systemctl stop $SVC.service;systemctl daemon-reload;systemctl --no-reload enable $SVC.service;systemctl daemon-reload;systemctl start $SVC.service;"
check "Java checkpoints copied to /var/lib/$SVC/checkpoints, owned by $USR" \
    sh -c "cmp '$R/run/$SVC/checkpoints' '$R/var/lib/$SVC/checkpoints' && test \$(stat -c %u '$R/var/lib/$SVC/checkpoints') = 990"
check "state and log dirs owned by $USR, mode 0750" \
    same "$(stat -c '%u %a' "$R/var/lib/$SVC" "$R/var/log/$SVC" | tr '\n' ' ')" "990 750 990 750 "
check "Java leftovers removed: cron babysitter, SysV script and links, babysit, jars" absent \
    "$R/etc/cron.d/$SVC" "$R/etc/rc.d/init.d/$SVC" "$R/etc/rc.d/rc3.d/S30$SVC" \
    "$R/usr/bin/aws-kinesis-agent-babysit" "$R/usr/share/aws-kinesis-agent/lib"
check "the operator's Java agent.json is kept, ours is agent.json.rpmnew" \
    sh -c "grep -q mine '$R/etc/aws-kinesis/agent.json' && cmp '$R/etc/aws-kinesis/agent.json.rpmnew' packaging/agent.json"
check "no restart marker left (root-only /var/lib/$SVC-pkg removed)" absent "$R/var/lib/$SVC-pkg"
check "systemd 252: no old-systemd drop-in" absent "$R/etc/systemd/system/$SVC.service.d"

section "RPM scripts: upgrade $VERSION -> $UPGRADE_VERSION while running, then erase"
echo "checkpoint data" >"$R/var/lib/$SVC/checkpoints"
reset_calls "$R"
check "rpm -U $VERSION -> $UPGRADE_VERSION" rpm -U --root "$R" --nodeps "$RPM_UP"
check "stopped before, started after, enablement untouched" same "$(calls "$R")" \
    "usermod -L $USR;systemctl stop $SVC.service;systemctl daemon-reload;systemctl daemon-reload;systemctl daemon-reload;systemctl start $SVC.service;"
check "existing checkpoints not overwritten by the Java import" grep -qx "checkpoint data" "$R/var/lib/$SVC/checkpoints"
reset_calls "$R"
check "rpm -e" rpm -e --root "$R" --nodeps $SVC
check "erase leaves no package marker directory" absent "$R/var/lib/$SVC-pkg"
check "erase: stopped and disabled" same "$(calls "$R")" \
    "systemctl stop $SVC.service;systemctl --no-reload disable $SVC.service;systemctl daemon-reload;systemctl reset-failed $SVC.service;"
check "erase keeps config (.rpmsave), state and the user" \
    sh -c "grep -q mine '$R/etc/aws-kinesis/agent.json.rpmsave' && grep -qx 'checkpoint data' '$R/var/lib/$SVC/checkpoints' && grep -q '^$USR:' '$R/etc/passwd'"

section "RPM scripts: fresh install without systemd as PID 1 (container), systemd 219 (Amazon Linux 2)"
R=$T/rpmfresh
mkroot "$R" container
echo 219 >"$R/stub-version"
rpm --root "$R" --initdb
reset_calls "$R"
check "rpm -i $VERSION (scripts run)" rpm -i --root "$R" --nodeps "$RPM_AMD"
check "enabled, not started, no stop/reload (systemctl only edits symlinks)" same "$(calls "$R" | sed 's/groupadd[^;]*;//; s/useradd[^;]*;usermod[^;]*;//')" \
    "systemctl --no-reload enable $SVC.service;"
check "state and log dirs owned by $USR" same "$(stat -c '%u' "$R/var/lib/$SVC" "$R/var/log/$SVC" | tr '\n' ' ')" "990 990 "
dropin=$R/etc/systemd/system/$SVC.service.d/50-old-systemd.conf
check "systemd 219: drop-in clears SystemCallFilter= (@system-service needs 239)" \
    sh -c "grep -qx 'SystemCallFilter=' '$dropin' && grep -qx '\[Service\]' '$dropin'"
check "tmpfiles.d entry makes /run/$SVC 0750 for $USR" \
    grep -qx "d /run/$SVC 0750 $USR $USR -" "$R/usr/lib/tmpfiles.d/$SVC.conf"
check "systemd 219: drop-in clears RuntimeDirectory= (RuntimeDirectoryPreserve= needs 235) and keeps /run/$SVC writable" \
    sh -c "grep -qx 'RuntimeDirectory=' '$dropin' && grep -qx 'ReadWritePaths=-/run/$SVC' '$dropin'"
check "the drop-in is valid for systemd-analyze verify" sh -c \
    "mkdir -p '$T/unit2/$SVC.service.d' && cp '$T/unit/$SVC.service' '$T/unit2/' && cp '$dropin' '$T/unit2/$SVC.service.d/' && \
     SYSTEMD_UNIT_PATH='$T/unit2:' systemd-analyze verify '$T/unit2/$SVC.service' 2>&1 | (! grep .)"
reset_calls "$R"
check "rpm -e (scripts run)" rpm -e --root "$R" --nodeps $SVC
check "erase without systemd: only the symlink edit" same "$(calls "$R")" "systemctl --no-reload disable $SVC.service;"
check "erase removes the drop-in" absent "$dropin" "${dropin%/*}"

# ---------------------------------------------------------------------------------------------
section "DEB scripts: install, upgrade while running, remove, purge (systemd is PID 1)"
R=$T/debroot
mkdebroot() {
    mkroot "$1" "$2" && mkdir -p "$1/var/lib/dpkg/info" "$1/var/lib/dpkg/updates" &&
        : >"$1/var/lib/dpkg/status" && : >"$1/var/lib/dpkg/available"
}
mkdebroot "$R" booted
# Never --force-confold, and stdin closed: a dpkg question fails the step ("end of file on stdin").
dpkgr() { dpkg --root="$R" --force-depends "$@" </dev/null >>"$T/dpkg.log" 2>&1 || { tail -n 20 "$T/dpkg.log"; return 1; }; }
# etc_files ROOT: owner, group, mode and content of the three /etc files.
ETC_FILES="/etc/aws-kinesis/agent.json /etc/default/$SVC /etc/logrotate.d/$SVC"
etc_files() { local f; for f in $ETC_FILES; do stat -c '%n %U:%G %a' "$1$f" | sed "s#^$1##"; done; }
etc_sums() { (cd "$1" && md5sum ${ETC_FILES//\/etc/etc}); }
reset_calls "$R"
check "dpkg -i $VERSION" dpkgr -i "$DEB_AMD"
check "install: user, dirs, enabled, not started" same "$(calls "$R" | sed 's/groupadd[^;]*;//; s/useradd[^;]*;usermod[^;]*;//')" \
    "systemctl daemon-reload;systemctl --no-reload enable $SVC.service;"
check "state and log dirs owned by $USR, mode 0750" \
    same "$(stat -c '%u %a' "$R/var/lib/$SVC" "$R/var/log/$SVC" | tr '\n' ' ')" "990 750 990 750 "
check "fresh install: the /etc files are created from the defaults, root-owned, agent.json 0644, /etc/default 0600, logrotate 0644" \
    same "$(etc_files "$R" | tr '\n' ';')" \
    "/etc/aws-kinesis/agent.json root:root 644;/etc/default/$SVC root:root 600;/etc/logrotate.d/$SVC root:root 644;"
check "fresh install: their contents are the packaged defaults" sh -c \
    "cmp '$R/etc/aws-kinesis/agent.json' packaging/agent.json && cmp '$R/etc/default/$SVC' packaging/$SVC.sysconfig && cmp '$R/etc/logrotate.d/$SVC' packaging/$SVC.logrotate"
check "fresh install: no temporary copy or package marker left" absent "$R/etc/aws-kinesis/.agent.json.$SVC-new" \
    "$R/etc/default/.$SVC.$SVC-new" "$R/etc/logrotate.d/.$SVC.$SVC-new" "$R/var/lib/$SVC-pkg"
echo '{ "flows": [], "edited": "yes" }' >"$R/etc/aws-kinesis/agent.json"
: >"$R/stub-active"
reset_calls "$R"
check "dpkg -i $UPGRADE_VERSION while running (its default agent.json changed)" dpkgr -i "$DEB_UP"
check "upgrade: stopped before, started after, enablement untouched" same "$(calls "$R")" \
    "usermod -L $USR;systemctl stop $SVC.service;systemctl daemon-reload;systemctl daemon-reload;systemctl start $SVC.service;"
check "edited agent.json kept, no .dpkg-dist, the new default in /usr/share/$SVC" \
    sh -c "grep -q edited '$R/etc/aws-kinesis/agent.json' && ! ls '$R/etc/aws-kinesis/' | grep -q dpkg && cmp '$R/usr/share/$SVC/agent.json' '$T/agent-up.json'"
echo "checkpoint data" >"$R/var/lib/$SVC/checkpoints"
echo "log line" >"$R/var/log/$SVC/$SVC.log"
reset_calls "$R"
check "dpkg -r" dpkgr -r $SVC
check "remove: stopped and disabled" same "$(calls "$R")" \
    "systemctl stop $SVC.service;systemctl --no-reload disable $SVC.service;systemctl daemon-reload;systemctl reset-failed $SVC.service;"
check "remove: config, state and log dirs kept" present "$R/etc/aws-kinesis/agent.json" "$R/etc/default/$SVC" "$R/var/lib/$SVC" "$R/var/log/$SVC"
reset_calls "$R"
check "dpkg -i after remove (config kept)" dpkgr -i "$DEB_UP"
check "reinstall: enabled again (it was enabled before the removal), not started" same "$(calls "$R")" \
    "usermod -L $USR;systemctl daemon-reload;systemctl --no-reload enable $SVC.service;"
check "dpkg -r again" dpkgr -r $SVC
mkdir -p "$R/run/$SVC" # kept by the unit after a stop (RuntimeDirectoryPreserve=yes)
check "dpkg -P" dpkgr -P $SVC
# shellcheck disable=SC2086
check "purge removes the /etc files, /etc/aws-kinesis, state, log and runtime dirs" \
    absent ${ETC_FILES//\/etc/$R/etc} "$R/etc/aws-kinesis" "$R/var/lib/$SVC" "$R/var/log/$SVC" "$R/run/$SVC" "$R/usr/share/$SVC"

section "DEB: an unedited /etc file follows a changed default; symlinks are left alone"
R=$T/debunedited
mkdebroot "$R" container
check "dpkg -i $VERSION" dpkgr -i "$DEB_AMD"
echo "# the operator's" >"$R/elsewhere"
rm "$R/etc/default/$SVC" && ln -s /elsewhere "$R/etc/default/$SVC"
rm "$R/etc/logrotate.d/$SVC" && ln -s /nowhere "$R/etc/logrotate.d/$SVC"
check "dpkg -i $UPGRADE_VERSION" dpkgr -i "$DEB_UP"
check "the unedited agent.json is now the new default, root 0644" sh -c \
    "cmp '$R/etc/aws-kinesis/agent.json' '$T/agent-up.json' && test \"\$(stat -c '%U:%G %a' '$R/etc/aws-kinesis/agent.json')\" = 'root:root 644'"
check "a symlink (and a dangling one) in place of an /etc file is kept, its target untouched" sh -c \
    "test \"\$(readlink '$R/etc/default/$SVC')\" = /elsewhere && test \"\$(readlink '$R/etc/logrotate.d/$SVC')\" = /nowhere && grep -qx \"# the operator's\" '$R/elsewhere' && test ! -e '$R/nowhere'"
check "no previous-default copies left in /var/lib/$SVC-pkg" absent "$R/var/lib/$SVC-pkg"

section "DEB: install over different /etc files (configuration management), stdin closed, no --force-confold"
R=$T/debpreseed
mkdebroot "$R" booted
mkdir -p "$R/etc/aws-kinesis" "$R/etc/default" "$R/etc/logrotate.d"
echo '{ "flows": [ { "filePattern": "/var/log/app/*.log", "kinesisStream": "preseeded" } ] }' >"$R/etc/aws-kinesis/agent.json"
printf 'AWS_DEFAULT_REGION=eu-west-1\nAGENT_ARGS="-L DEBUG"\n' >"$R/etc/default/$SVC"
chmod 0640 "$R/etc/default/$SVC"
printf '/var/log/%s/*.log {\n    weekly\n}\n' $SVC >"$R/etc/logrotate.d/$SVC"
before=$(etc_sums "$R")
before_modes=$(etc_files "$R")
reset_calls "$R"
check "dpkg -i $VERSION </dev/null succeeds" dpkgr -i "$DEB_AMD"
check "dpkg -s: installed and configured (ii)" sh -c "dpkg --root='$R' -s $SVC | grep -qx 'Status: install ok installed'"
check "the operator's three /etc files are kept byte for byte" same "$(etc_sums "$R")" "$before"
check "... with their owners and modes" same "$(etc_files "$R")" "$before_modes"
check "no .dpkg-dist/.dpkg-new beside them, no question in the log" sh -c \
    "! ls '$R/etc/aws-kinesis' '$R/etc/default' '$R/etc/logrotate.d' | grep -q dpkg && ! grep -qiE 'conffile|end of file' '$T/dpkg.log'"
check "install: enabled, not started (as a fresh install)" same "$(calls "$R" | sed 's/groupadd[^;]*;//; s/useradd[^;]*;usermod[^;]*;//')" \
    "systemctl daemon-reload;systemctl --no-reload enable $SVC.service;"
: >"$R/stub-active"
reset_calls "$R"
check "dpkg -i $UPGRADE_VERSION </dev/null while running" dpkgr -i "$DEB_UP"
check "upgrade: stopped before, started after" same "$(calls "$R")" \
    "usermod -L $USR;systemctl stop $SVC.service;systemctl daemon-reload;systemctl daemon-reload;systemctl start $SVC.service;"
check "upgrade: the three /etc files still byte for byte the operator's" same "$(etc_sums "$R")" "$before"

section "DEB: upgrade from $VERSION-0, where the /etc files were conffiles"
R=$T/debold
mkdebroot "$R" booted
check "dpkg -i $VERSION-0 (conffile layout)" dpkgr -i "$DEB_OLD"
echo '{ "flows": [], "edited": "before the upgrade" }' >"$R/etc/aws-kinesis/agent.json"
before=$(etc_sums "$R")
: >"$R/stub-active"
reset_calls "$R"
check "dpkg -i $VERSION-1 </dev/null while running" dpkgr -i "$DEB_AMD"
check "upgrade: stopped before, started after" same "$(calls "$R")" \
    "usermod -L $USR;systemctl stop $SVC.service;systemctl daemon-reload;systemctl daemon-reload;systemctl start $SVC.service;"
check "the /etc files (edited and unedited) are kept byte for byte" same "$(etc_sums "$R")" "$before"
check "dpkg keeps them as obsolete conffiles" sh -c \
    "test \$(dpkg --root='$R' -s $SVC | grep -cE '^ /etc/(aws-kinesis/agent.json|default/$SVC|logrotate.d/$SVC) [0-9a-f]{32} obsolete\$') = 3"
check "dpkg -r" dpkgr -r $SVC
check "dpkg -P" dpkgr -P $SVC
# shellcheck disable=SC2086
check "purge removes the /etc files and /etc/aws-kinesis" absent ${ETC_FILES//\/etc/$R/etc} "$R/etc/aws-kinesis"
check "dpkg -s: not installed" sh -c "! dpkg --root='$R' -s $SVC >/dev/null 2>&1"

section "DEB scripts: install over a running Java agent laid down by its setup script (no systemd as PID 1)"
R=$T/debjava
mkdebroot "$R" container
mkdir -p "$R/etc/init.d" "$R/etc/rc2.d" "$R/etc/cron.d" \
    "$R/etc/default" "$R/etc/aws-kinesis/agent.d" "$R/usr/share/aws-kinesis-agent/lib" "$R/run/$SVC" "$R/var/log/$SVC"
echo "$USR:x:991:991::/home/$USR:/bin/sh" >>"$R/etc/passwd"
echo "$USR:x:991:" >>"$R/etc/group"
cp "$J/init" "$R/etc/init.d/$SVC" && chmod 755 "$R/etc/init.d/$SVC"
ln -s ../init.d/$SVC "$R/etc/rc2.d/S01$SVC"
cp "$J/cron" "$R/etc/cron.d/$SVC"
cp "$J/start" "$R/usr/bin/aws-kinesis-agent-babysit"
cp "$J/start" "$R/usr/bin/start-$SVC"
cp "$J/agent.jar" "$R/usr/share/aws-kinesis-agent/lib/AWSKinesisStreamingDataAgent-1.1.jar"
cp "$J/agent.json" "$R/etc/aws-kinesis/agent.json"
cp "$J/sysconfig" "$R/etc/default/$SVC"
printf 'SQLite format 3\0java checkpoints\n' >"$R/run/$SVC/checkpoints"
# Symlinks the service user could plant in its own directories: root must not write through them.
printf 'java wal\n' >"$R/run/$SVC/checkpoints-wal"
echo precious >"$R/victim" && echo secret >"$R/secret"
mkdir -p "$R/var/lib/$SVC" && ln -s /victim "$R/var/lib/$SVC/checkpoints-wal"
ln -s /secret "$R/run/$SVC/checkpoints-journal"
: >"$R/stub-active"
reset_calls "$R"
: >"$T/dpkg.log"
check "dpkg -i $VERSION </dev/null over the Java agent (no --force-confold)" dpkgr -i "$DEB_AMD"
check "the Java agent was stopped with its SysV script; no user created; only the enable symlink edit" \
    same "$(calls "$R")" "usermod -L $USR;init stop;systemctl --no-reload enable $SVC.service;"
check "told that systemd is not running and that /tmp flows are invisible" sh -c \
    "grep -q 'systemd is not running' '$T/dpkg.log' && grep -q 'PrivateTmp=yes' '$T/dpkg.log'"
check "Java leftovers removed: cron babysitter, SysV script and links, babysit, jars" absent \
    "$R/etc/cron.d/$SVC" "$R/etc/init.d/$SVC" "$R/etc/rc2.d/S01$SVC" \
    "$R/usr/bin/aws-kinesis-agent-babysit" "$R/usr/share/aws-kinesis-agent/lib"
check "Java's agent.json and /etc/default file kept byte for byte, no .dpkg-dist; logrotate from the default" sh -c \
    "cmp '$R/etc/aws-kinesis/agent.json' '$J/agent.json' && cmp '$R/etc/default/$SVC' '$J/sysconfig' && ! ls '$R/etc/aws-kinesis' '$R/etc/default' | grep -q dpkg && cmp '$R/etc/logrotate.d/$SVC' packaging/$SVC.logrotate"
check "Java's /etc/default file (it may hold AWS keys) no longer readable by others: 0644 -> 0640" \
    same "$(stat -c '%U %a' "$R/etc/default/$SVC")" "root 640"
check "dpkg -s: installed and configured" sh -c "dpkg --root='$R' -s $SVC | grep -qx 'Status: install ok installed'"
check "start-$SVC now execs the Go agent" grep -qxF "exec /usr/bin/$SVC \"\$@\"" "$R/usr/bin/start-$SVC"
check "Java checkpoints imported, owned by $USR" \
    sh -c "cmp '$R/run/$SVC/checkpoints' '$R/var/lib/$SVC/checkpoints' && test \$(stat -c %u '$R/var/lib/$SVC/checkpoints') = 991"
check "import: a symlink planted at the destination is replaced, not written through" \
    sh -c "grep -qx precious '$R/victim' && test ! -L '$R/var/lib/$SVC/checkpoints-wal' && cmp '$R/run/$SVC/checkpoints-wal' '$R/var/lib/$SVC/checkpoints-wal'"
check "import: a symlinked source is copied as a link, its target's content is not" \
    sh -c "test -L '$R/var/lib/$SVC/checkpoints-journal' && test \$(stat -c %U '$R/secret') = root"
check "no restart marker left (root-only /var/lib/$SVC-pkg removed)" absent "$R/var/lib/$SVC-pkg"

section "DEB: a failed unpack starts the agent that preinst stopped (postrm abort-install / abort-upgrade)"
R=$T/debabort
mkdebroot "$R" container
mkdir -p "$R/etc/init.d"
cp "$J/init" "$R/etc/init.d/$SVC" && chmod 755 "$R/etc/init.d/$SVC"
cp "$J/start" "$R/usr/bin/start-$SVC"
check "dpkg -i conflicting-doc (owns /usr/share/doc/$SVC/INSTALL.md)" dpkgr -i "$DEB_CONFLICT"
: >"$R/stub-active"
reset_calls "$R"
check "Java agent, no systemd: dpkg -i $VERSION fails at unpack" sh -c "! dpkg --root='$R' --force-depends -i '$DEB_AMD' </dev/null >>'$T/dpkg.log' 2>&1"
check "the Java agent was stopped, then started again with its SysV script" same "$(calls "$R" | sed 's/groupadd[^;]*;//; s/useradd[^;]*;usermod[^;]*;//')" \
    "init stop;init start;"
check "Java's launcher is back, no package marker left, $SVC not installed" sh -c \
    "cmp '$J/start' '$R/usr/bin/start-$SVC' && test ! -e '$R/var/lib/$SVC-pkg' && dpkg --root='$R' -s $SVC 2>/dev/null | grep -qx 'Status: install ok not-installed'"
R=$T/debabort2
mkdebroot "$R" booted
check "dpkg -i $VERSION, then conflicting-doc over it (--force-overwrite)" sh -c \
    "dpkg --root='$R' --force-depends -i '$DEB_AMD' </dev/null >>'$T/dpkg.log' 2>&1 && dpkg --root='$R' --force-overwrite -i '$DEB_CONFLICT' </dev/null >>'$T/dpkg.log' 2>&1"
: >"$R/stub-active"
reset_calls "$R"
check "running, systemd: dpkg -i $UPGRADE_VERSION fails at unpack" sh -c "! dpkg --root='$R' --force-depends -i '$DEB_UP' </dev/null >>'$T/dpkg.log' 2>&1"
check "stopped, then started again" same "$(calls "$R")" "usermod -L $USR;systemctl stop $SVC.service;systemctl start $SVC.service;"
check "$VERSION still installed and configured" sh -c \
    "dpkg --root='$R' -s $SVC | grep -qx 'Version: $VERSION-1' && dpkg --root='$R' -s $SVC | grep -qx 'Status: install ok installed'"

# ---------------------------------------------------------------------------------------------
# The DEB's non-conffile /etc handling keeps what dpkg's conffiles gave operators (from a review).
# A second changed default ($UP2_VERSION).
UP2_VERSION=$(echo "$UPGRADE_VERSION" | awk -F. '{ printf "%d.%d.%d", $1, $2, $3 + 1 }')
sed 's/"cloudwatch.emitMetrics": true/"cloudwatch.emitMetrics": false, "up2": true/' packaging/agent.json >"$T/agent-up2.json"
sed "s#src: $T/agent-up.json#src: $T/agent-up2.json#" "$T/nfpm-up.yaml" >"$T/nfpm-up2.yaml"
DEB_UP2=$T/pkg-old/${SVC}_$UP2_VERSION-1_amd64.deb
VERSION=$UP2_VERSION ARCH=amd64 "$NFPM" package --config "$T/nfpm-up2.yaml" --packager deb --target "$DEB_UP2" >/dev/null

section "DEB: an operator's deletion, owner and mode of an /etc file survive an upgrade (as with conffiles)"
R=$T/debdeleted
mkdebroot "$R" container
check "dpkg -i $VERSION" dpkgr -i "$DEB_AMD"
rm "$R/etc/logrotate.d/$SVC"
chmod 0640 "$R/etc/aws-kinesis/agent.json" && chgrp 4 "$R/etc/aws-kinesis/agent.json"
check "dpkg -i $UPGRADE_VERSION" dpkgr -i "$DEB_UP"
check "a deleted logrotate file stays deleted (dpkg keeps a deleted conffile deleted)" absent "$R/etc/logrotate.d/$SVC"
check "the unedited agent.json follows the new default" cmp "$R/etc/aws-kinesis/agent.json" "$T/agent-up.json"
check "... keeping the owner and mode the operator gave it (root:adm 640, as dpkg does for a conffile)" \
    same "$(stat -c '%U:%G %a' "$R/etc/aws-kinesis/agent.json")" "root:adm 640"
R=$T/debdeletedold
mkdebroot "$R" container
check "dpkg -i $VERSION-0 (conffile layout)" dpkgr -i "$DEB_OLD"
rm "$R/etc/logrotate.d/$SVC"
check "dpkg -i $VERSION-1" dpkgr -i "$DEB_AMD"
check "a logrotate conffile deleted before the upgrade to the new layout stays deleted" absent "$R/etc/logrotate.d/$SVC"

section "DEB: an upgrade over an unpacked, never configured upgrade"
R=$T/debunpacked
mkdebroot "$R" booted
check "dpkg -i $VERSION" dpkgr -i "$DEB_AMD"
: >"$R/stub-active"
check "dpkg --unpack $UPGRADE_VERSION while running (configure never runs)" dpkgr --unpack "$DEB_UP"
check "dpkg -i $UP2_VERSION" dpkgr -i "$DEB_UP2"
check "the unedited agent.json (still $VERSION's default) follows to $UP2_VERSION's default" \
    cmp "$R/etc/aws-kinesis/agent.json" "$T/agent-up2.json"
R=$T/debunpackedrm
mkdebroot "$R" booted
check "dpkg -i $VERSION" dpkgr -i "$DEB_AMD"
: >"$R/stub-active"
check "dpkg --unpack $UPGRADE_VERSION while running (preinst stops it)" dpkgr --unpack "$DEB_UP"
check "dpkg -r (the operator removes the half-upgraded agent)" dpkgr -r $SVC
reset_calls "$R"
check "dpkg -i $UPGRADE_VERSION" dpkgr -i "$DEB_UP"
check "the removed agent is not started by a stale restart marker" \
    sh -c "! grep -q 'systemctl start' '$R/stub.log' || { cat '$R/stub.log'; exit 1; }"

section "DEB: recovery from the conffile prompt that failed (the bug this layout fixes)"
R=$T/debstuck
mkdebroot "$R" booted
sed -e 's/^release: 0$/release: 9/' -e "s#src: ./packaging/agent.json#src: $T/agent-up.json#" "$T/nfpm-old.yaml" >"$T/nfpm-stuck.yaml"
DEB_STUCK=$T/pkg-old/${SVC}_$VERSION-9_amd64.deb
check "dpkg -i $VERSION-0 (conffile layout)" dpkgr -i "$DEB_OLD"
echo '{ "flows": [], "edited": "before the upgrade" }' >"$R/etc/aws-kinesis/agent.json"
: >"$R/stub-active"
VERSION=$VERSION ARCH=amd64 "$NFPM" package --config "$T/nfpm-stuck.yaml" --packager deb --target "$DEB_STUCK" >/dev/null
check "a conffile-layout upgrade with a changed default fails at the prompt (stdin closed), agent stopped" sh -c \
    "! dpkg --root='$R' --force-depends -i '$DEB_STUCK' </dev/null >>'$T/dpkg.log' 2>&1 && test ! -e '$R/stub-active' && test -e '$R/etc/aws-kinesis/agent.json.dpkg-new'"
reset_calls "$R"
check "dpkg -i $UPGRADE_VERSION over it" dpkgr -i "$DEB_UP"
check "installed, edited agent.json kept, no .dpkg-new left, the agent started again" sh -c \
    "dpkg --root='$R' -s $SVC | grep -qx 'Status: install ok installed' && grep -q edited '$R/etc/aws-kinesis/agent.json' && test ! -e '$R/etc/aws-kinesis/agent.json.dpkg-new' && grep -q 'systemctl start' '$R/stub.log'"
check "dpkg -P" dpkgr -P $SVC
check "purge: obsolete conffiles and the copies gone, no error" absent "$R/etc/aws-kinesis" "$R/etc/default/$SVC" "$R/etc/logrotate.d/$SVC"

# ---------------------------------------------------------------------------------------------
# From the review of the packaging follow-up: a failed copy fails configure and is done by the retry,
# prev-* kept for an unpacked upgrade, fresh only for `configure ""`, the environment file's chmod,
# RPM untouched.
section "DEB: a failed replacement of an unedited file, then dpkg --configure -a"
R=$T/debreplacefail
mkdebroot "$R" container
check "dpkg -i $VERSION" dpkgr -i "$DEB_AMD"
if chattr +i "$R/etc/aws-kinesis/agent.json" 2>/dev/null; then
    : >"$T/dpkg-rf.log"
    check "dpkg -i $UPGRADE_VERSION over an immutable unedited agent.json: configure fails" sh -c \
        "! dpkg --root='$R' --force-depends -i '$DEB_UP' </dev/null >'$T/dpkg-rf.log' 2>&1"
    sed 's/^/          | /' "$T/dpkg-rf.log" | grep -E 'could not|mv:|error' | head -n 5
    check "the failure message names the file with a space before it" contains "$(cat "$T/dpkg-rf.log")" "could not create or update /etc/aws-kinesis/agent.json"
    chattr -i "$R/etc/aws-kinesis/agent.json"
    check "dpkg --configure -a (the cause fixed)" dpkgr --configure -a
    check "after the retry the unedited agent.json follows the new default" cmp "$R/etc/aws-kinesis/agent.json" "$T/agent-up.json"
else
    echo "  (chattr +i unsupported here: skipped)"
fi

section "DEB: an unpacked upgrade, then a newer upgrade whose unpack fails (abort-upgrade)"
R=$T/debunpackedabort
mkdebroot "$R" container
check "dpkg -i $VERSION" dpkgr -i "$DEB_AMD"
check "dpkg --unpack $UPGRADE_VERSION (configure never runs)" dpkgr --unpack "$DEB_UP"
check "conflicting-doc over it (--force-overwrite)" sh -c "dpkg --root='$R' --force-overwrite -i '$DEB_CONFLICT' </dev/null >>'$T/dpkg.log' 2>&1"
check "dpkg -i $UP2_VERSION fails at unpack" sh -c "! dpkg --root='$R' --force-depends -i '$DEB_UP2' </dev/null >>'$T/dpkg.log' 2>&1"
check "dpkg --configure -a configures $UPGRADE_VERSION" dpkgr --configure -a
check "the unedited agent.json (still $VERSION's default) follows $UPGRADE_VERSION's default" \
    cmp "$R/etc/aws-kinesis/agent.json" "$T/agent-up.json"

section "DEB: remove, delete an /etc file, reinstall (config-files state: postinst configure <old>)"
R=$T/debreinst
mkdebroot "$R" container
check "new layout: dpkg -i, dpkg -r, rm logrotate file, dpkg -i" sh -c \
    "dpkg --root='$R' --force-depends -i '$DEB_AMD' </dev/null >>'$T/dpkg.log' 2>&1 && dpkg --root='$R' -r $SVC >>'$T/dpkg.log' 2>&1 && rm '$R/etc/logrotate.d/$SVC' && dpkg --root='$R' --force-depends -i '$DEB_AMD' </dev/null >>'$T/dpkg.log' 2>&1"
newlayout=absent; [ -e "$R/etc/logrotate.d/$SVC" ] && newlayout=present
R=$T/debreinstold
mkdebroot "$R" container
check "conffile layout: dpkg -i, dpkg -r, rm logrotate file, dpkg -i" sh -c \
    "dpkg --root='$R' --force-depends -i '$DEB_OLD' </dev/null >>'$T/dpkg.log' 2>&1 && dpkg --root='$R' -r $SVC >>'$T/dpkg.log' 2>&1 && rm '$R/etc/logrotate.d/$SVC' && dpkg --root='$R' --force-depends -i '$DEB_OLD' </dev/null >>'$T/dpkg.log' 2>&1"
oldlayout=absent; [ -e "$R/etc/logrotate.d/$SVC" ] && oldlayout=present
check "after the reinstall the deleted file is $newlayout (new layout) and $oldlayout (conffiles): the same" same "$newlayout" "$oldlayout"

section "RPM: no /etc/default, no DEB defaults; erase clears a stale restart marker; sysconfig chmod"
R=$T/rpmreview
mkroot "$R" container
rpm --root "$R" --initdb
check "rpm -i $VERSION" rpm -i --root "$R" --nodeps "$RPM_AMD"
check "RPM install: no /etc/default file, no /usr/share/$SVC, no .dpkg-tmp" absent "$R/etc/default/$SVC" "$R/usr/share/$SVC" \
    "$R/etc/aws-kinesis/agent.json.dpkg-tmp" "$R/etc/logrotate.d/$SVC.dpkg-tmp"
check "RPM install: sysconfig 0600 root" same "$(stat -c '%U %a' "$R/etc/sysconfig/$SVC")" "root 600"
install -d -m 0700 "$R/var/lib/$SVC-pkg" && : >"$R/var/lib/$SVC-pkg/restart"
check "rpm -e with a stale restart marker" rpm -e --root "$R" --nodeps $SVC
check "erase (\$1 = 0) removed the marker and its directory" absent "$R/var/lib/$SVC-pkg"
R=$T/rpmjavaenv
mkroot "$R" container
rpm --root "$R" --initdb
rpm -i --root "$R" --nodeps "$RPM_JAVA" >"$T/rpm.log" 2>&1
printf 'AWS_ACCESS_KEY_ID=AKIAEXAMPLE\n' >>"$R/etc/sysconfig/$SVC"
chmod 0644 "$R/etc/sysconfig/$SVC"
check "rpm -U Java (edited sysconfig, 0644) -> $VERSION" sh -c "rpm -U --root '$R' --nodeps '$RPM_AMD' >'$T/rpm-env.log' 2>&1"
check "the edited sysconfig is kept, now 0640, and the change is said" sh -c \
    "grep -q AKIAEXAMPLE '$R/etc/sysconfig/$SVC' && test \"\$(stat -c '%U %a' '$R/etc/sysconfig/$SVC')\" = 'root 640' && grep -q 'no longer readable by other users' '$T/rpm-env.log'"
chgrp 4 "$R/etc/sysconfig/$SVC" && chmod 0664 "$R/etc/sysconfig/$SVC"
check "rpm -U $VERSION -> $UPGRADE_VERSION (sysconfig root:adm 0664)" sh -c "rpm -U --root '$R' --nodeps '$RPM_UP' >'$T/rpm-env.log' 2>&1"
check "group bits kept: root:adm 0660" same "$(stat -c '%U:%G %a' "$R/etc/sysconfig/$SVC")" "root:adm 660"
check "rpm -U --replacepkgs again: nothing said (idempotent)" sh -c \
    "rpm -U --replacepkgs --root '$R' --nodeps '$RPM_UP' >'$T/rpm-env.log' 2>&1 && ! grep -q 'readable by other' '$T/rpm-env.log' && test \"\$(stat -c '%a' '$R/etc/sysconfig/$SVC')\" = 660"

# ---------------------------------------------------------------------------------------------
section "sizes"
for f in dist/linux_amd64/$SVC dist/linux_arm64/$SVC dist/linux_amd64/api_caller "$RPM_AMD" "$RPM_ARM" "$DEB_AMD" "$DEB_ARM"; do
    stat -c '%s %n' "$f" | awk '{ printf "  %10d bytes  %5.1f MiB  %s\n", $1, $1 / 1048576, $2 }'
done
printf '  exposure (systemd-analyze security --offline=true): %s\n' "${exposure:-?}"
printf '  took %ds\n' $(($(date +%s) - started))

printf '\n%d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
