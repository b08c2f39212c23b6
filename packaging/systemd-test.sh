#!/usr/bin/env bash
# packaging/systemd-test.sh: installs the DEB in a Debian system booted with systemd as PID 1
# (systemd-nspawn -b) and checks the packaged service for real, with a Kinesis-compatible sink
# (internal/cmd/fastsink) on the host loopback. Not wired into CI or `make package-test`: it needs
# root, a Debian mirror for the first debootstrap, and about two minutes.
#
#   sudo packaging/systemd-test.sh [dist/aws-kinesis-agent_3.0.0-1_amd64.deb]
#
# Without an argument it uses dist/aws-kinesis-agent_$VERSION-1_<arch>.deb and builds it with
# `make package PKG_ARCHS=<arch>` when missing. Environment:
#   MIRROR        Debian mirror for debootstrap (default: the first Debian URI in /etc/apt/sources.list*,
#                 else http://deb.debian.org/debian)
#   SUITE         Debian suite (default bookworm)
#   ROOTFS_CACHE  debootstrapped base system, reused by later runs (default /var/tmp/kagent-systemd-rootfs-$SUITE);
#                 each run boots a throw-away copy of it
#   KEEP=1        leave the container running at the end and print how to enter it
#
# Checks (one PASS/FAIL line each, "N passed, M failed" at the end, exit 1 on any failure): systemd
# boots; dpkg -i enables but does not start; the unit verifies clean; start; user, groups, sandbox of
# the main process; agent log and checkpoints in their directories; a root:adm 0640 file is read and
# shipped; reload and logrotate reopen the log; restart resumes from the checkpoint; Restart=always
# after kill -9; upgrade while running; stop within TimeoutStopSec while the destination is down, and
# no loss; no syscall denied in normal operation (SystemCallErrorNumber=kill drop-in); no SIGSYS or
# permission errors; started at boot; dpkg -r stops and disables; dpkg -P removes the directories.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

SVC=aws-kinesis-agent
USR=aws-kinesis-agent-user
VERSION=${VERSION:-3.0.0}
SUITE=${SUITE:-bookworm}
ROOTFS_CACHE=${ROOTFS_CACHE:-/var/tmp/kagent-systemd-rootfs-$SUITE}
INCLUDE=systemd,systemd-sysv,dbus,logrotate
STOP_TIMEOUT=20 # the unit's TimeoutStopSec
ALOG=/var/log/$SVC/$SVC.log
TICKETS=/var/log/airline_tickets

pass=0
fail=0
started=$(date +%s)
ok() { pass=$((pass + 1)); printf 'PASS  %s\n' "$1"; }
bad() {
    fail=$((fail + 1))
    printf 'FAIL  %s\n' "$1"
    if [ -n "${2:-}" ]; then printf '%s\n' "$2" | head -n 30 | sed 's/^/        /'; fi
}
info() { printf '      %s\n' "$*"; }
section() { printf '\n== %s  (%ds)\n' "$1" $(($(date +%s) - started)); }
die() {
    echo "systemd-test: $*" >&2
    exit 2
}

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, systemd-nspawn, nsenter)"
ARCH=$(dpkg --print-architecture 2>/dev/null) || die "needs dpkg (a Debian-family host)"
DEB=${1:-dist/${SVC}_$VERSION-1_$ARCH.deb}

if ! command -v debootstrap >/dev/null || ! command -v systemd-nspawn >/dev/null; then
    apt-get install -y -qq debootstrap systemd-container >/dev/null || die "cannot install debootstrap systemd-container"
fi
if [ -z "${MIRROR:-}" ]; then
    MIRROR=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
        grep -v '^[[:space:]]*#' | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n 1 | tr -d ' ')
    MIRROR=${MIRROR:-http://deb.debian.org/debian}
fi
if [ ! -f "$DEB" ]; then
    [ $# -eq 0 ] || die "$DEB: no such file"
    make package PKG_ARCHS="$ARCH" >/dev/null || die "make package failed"
fi

T=$(mktemp -d /var/tmp/kagent-systemd.XXXXXX)
ROOT=$T/root
MACHINE=kagent-test-$$
NSPID=
PID1=
SINKPID=
SINK_URL=

cleanup() {
    if [ -n "${KEEP:-}" ] && [ -n "$PID1" ] && kill -0 "$NSPID" 2>/dev/null; then
        echo
        echo "KEEP=1: container left running (nspawn pid $NSPID; fastsink pid ${SINKPID:-none}). Enter it with:"
        echo "  nsenter -t $PID1 -a bash      # stop: nsenter -t $PID1 -a systemctl poweroff; kill $SINKPID; rm -rf $T"
        return
    fi
    if [ -n "$NSPID" ] && kill -0 "$NSPID" 2>/dev/null; then
        [ -n "$PID1" ] && nsenter -t "$PID1" -a systemctl poweroff >/dev/null 2>&1
        for _ in $(seq 40); do kill -0 "$NSPID" 2>/dev/null || break; sleep 0.5; done
        kill -TERM "$NSPID" 2>/dev/null && sleep 3
        kill -KILL "$NSPID" 2>/dev/null
    fi
    [ -n "$SINKPID" ] && kill "$SINKPID" 2>/dev/null
    # nspawn's mounts live in its own mount namespace; never delete through a mount on the host.
    if [ -d "$T" ] && ! findmnt -rn -o TARGET | grep -q "^$T"; then rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ct CMD...: runs CMD inside the container (all its namespaces).
ct() { nsenter -t "$PID1" -a "$@"; }
# check NAME CMD...: passes when CMD exits 0; shows its output when it does not.
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$out"; fi
}
# waitfor SECONDS CMD...: retries CMD every 0.5 s until it succeeds.
waitfor() {
    local end=$(($(date +%s) + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.5
    done
}
same() { [ "$1" = "$2" ] || { echo "got:  $1"; echo "want: $2"; return 1; }; }
mainpid() { ct systemctl show -P MainPID $SVC; }
prop() { ct systemctl show -P "$1" $SVC; }
active() { [ "$(ct systemctl is-active $SVC)" = active ]; }

# sink_start: fastsink on the host loopback (the container shares the host network). The first run
# picks a free port; a restart reuses it (the agent's endpoint names it). Counts start at 0.
sink_start() {
    local addr=127.0.0.1:0
    [ -n "$SINK_URL" ] && addr=${SINK_URL#http://}
    : >"$T/sink.log"
    "$T/fastsink" --addr "$addr" --print-every 500ms >"$T/sink.log" 2>&1 &
    SINKPID=$!
    waitfor 10 grep -q '^http://' "$T/sink.log" || die "fastsink did not start: $(cat "$T/sink.log")"
    SINK_URL=$(head -n 1 "$T/sink.log")
}
sink_stop() {
    kill "$SINKPID" 2>/dev/null
    wait "$SINKPID" 2>/dev/null
    SINKPID=
}
sink_count() { grep -E '^[0-9]+ records' "$T/sink.log" | tail -n 1 | awk '{ print $1 }' | grep . || echo 0; }
sink_has() { [ "$(sink_count)" -ge "$1" ]; }
# write_tickets N PREFIX: N CSV lines in a new file $TICKETS/PREFIX-*.log, root:adm 0640 from the
# start (written elsewhere, installed under a name the flow ignores, then renamed).
write_tickets() {
    ct sh -c "set -e; rm -rf /root/stage; api_caller --sample $1 --out-dir /root/stage >/dev/null 2>&1
        for f in /root/stage/*.log; do
            install -o root -g adm -m 0640 \"\$f\" $TICKETS/.$2.tmp
            mv $TICKETS/.$2.tmp $TICKETS/$2-\$(basename \"\$f\")
        done; rm -rf /root/stage"
}
# boot: starts the container and waits until its systemd reports running (or degraded).
boot() {
    local flags=() state=
    # Without systemd on the host there is no machined to register with nor a scope to create.
    [ -d /run/systemd/system ] || flags=(--register=no --keep-unit)
    systemd-nspawn -D "$ROOT" --machine="$MACHINE" "${flags[@]}" --console=pipe -b \
        >>"$T/nspawn.log" 2>&1 </dev/null &
    NSPID=$!
    PID1=
    for _ in $(seq 120); do
        kill -0 "$NSPID" 2>/dev/null || break
        [ -n "$PID1" ] || PID1=$(pgrep -P "$NSPID" | head -n 1)
        if [ -n "$PID1" ]; then
            state=$(ct systemctl is-system-running 2>/dev/null)
            case "$state" in running | degraded) return 0 ;; esac
        fi
        sleep 0.5
    done
    echo "state: ${state:-none}"
    tail -n 30 "$T/nspawn.log"
    return 1
}
poweroff() {
    ct systemctl poweroff
    for _ in $(seq 60); do kill -0 "$NSPID" 2>/dev/null || break; sleep 0.5; done
    ! kill -0 "$NSPID" 2>/dev/null && wait "$NSPID" 2>/dev/null
    NSPID='' PID1=''
}

section "setup"
info "package  $DEB"
info "rootfs   $ROOTFS_CACHE ($SUITE, $MIRROR)"
if [ ! -e "$ROOTFS_CACHE/.kagent-rootfs-complete" ] || [ "$(cat "$ROOTFS_CACHE/.kagent-rootfs-complete")" != "$INCLUDE" ]; then
    info "debootstrap (first run, about a minute)"
    rm -rf "$ROOTFS_CACHE.tmp"
    debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$ROOTFS_CACHE.tmp" "$MIRROR" >"$T/debootstrap.log" 2>&1 ||
        { tail -n 20 "$T/debootstrap.log"; die "debootstrap failed"; }
    echo "$INCLUDE" >"$ROOTFS_CACHE.tmp/.kagent-rootfs-complete"
    rm -rf "$ROOTFS_CACHE"
    mv "$ROOTFS_CACHE.tmp" "$ROOTFS_CACHE"
fi
cp -a "$ROOTFS_CACHE" "$ROOT" || die "cannot copy the rootfs"
echo "$MACHINE" >"$ROOT/etc/hostname"
cp "$DEB" "$ROOT/root/agent.deb"
go build -o "$T/fastsink" ./internal/cmd/fastsink || die "cannot build fastsink"
sink_start
info "sink     $SINK_URL"

section "boot"
# boot sets NSPID and PID1: not through check, whose $(...) is a subshell.
if boot >"$T/boot.out" 2>&1; then ok "systemd-nspawn boots $SUITE with systemd as PID 1"; else bad "systemd-nspawn boots $SUITE" "$(cat "$T/boot.out")"; fi
[ -n "$PID1" ] || { bad "no container, stopping here"; exit 1; }
check "PID 1 in the container is systemd" same "$(ct cat /proc/1/comm)" systemd
SYSTEMD_VERSION=$(ct systemctl --version | head -n 1)
info "$SYSTEMD_VERSION"
info "system state: $(ct systemctl is-system-running)"

section "install"
check "dpkg -i $(basename "$DEB") </dev/null (no --force-confold)" ct dpkg -i /root/agent.deb </dev/null
check "user $USR exists" ct id $USR
check "enabled, not started" same "$(ct systemctl is-enabled $SVC) $(ct systemctl is-active $SVC)" "enabled inactive"
check "systemd-analyze verify: silent" same "$(ct systemd-analyze verify $SVC.service 2>&1)" ""
check "no unit warnings in the journal" same "$(ct journalctl -b --no-pager -o cat | grep "$SVC.service:")" ""
info "$(ct systemd-analyze security $SVC.service --no-pager | tail -n 1)"

# The packaged flow, pointed at the sink: placeholder keys, no CloudWatch, 1 s buffers (not 60 s).
cat >"$ROOT/etc/aws-kinesis/agent.json" <<EOF
{
  "cloudwatch.emitMetrics": false,
  "kinesis.region": "us-east-1",
  "kinesis.endpoint": "$SINK_URL",
  "awsAccessKeyId": "AKIASYSTEMDTEST",
  "awsSecretAccessKey": "systemd-test-placeholder",
  "flows": [
    {
      "filePattern": "$TICKETS/*log",
      "kinesisStream": "airline_tickets",
      "partitionKeyOption": "RANDOM",
      "initialPosition": "START_OF_FILE",
      "maxBufferAgeMillis": 1000,
      "dataProcessingOptions": [
        {
          "optionName": "CSVTOJSON",
          "customFieldNames": ["cost", "trip_class", "show_to_affiliates", "return_date", "origin",
                               "number_of_changes", "gate", "found_at", "duration", "distance",
                               "destination", "depart_date", "actual", "record_id"]
        }
      ]
    }
  ]
}
EOF
echo 'AGENT_ARGS="-L DEBUG"' >>"$ROOT/etc/default/$SVC"
# Like /var/log/nginx etc. on Debian: only group adm may enter.
ct install -d -o root -g adm -m 0750 $TICKETS

section "start"
check "systemctl start" ct systemctl start $SVC
sleep 2
check "active" active
PID=$(mainpid)
check "runs as $USR" same "$(ct awk '/^Uid:/ { print $2 } /^Gid:/ { print $2 }' /proc/"$PID"/status | tr '\n' ' ')" \
    "$(ct id -u $USR) $(ct id -g $USR) "
check "supplementary group adm" sh -c "nsenter -t $PID1 -a awk '/^Groups:/' /proc/$PID/status | grep -qw $(ct getent group adm | cut -d: -f3)"
check "sandboxed: no capabilities, NoNewPrivs, seccomp filter" same \
    "$(ct awk '/^(CapEff|CapBnd|NoNewPrivs|Seccomp):/ { printf "%s %s ", $1, $2 }' /proc/"$PID"/status)" \
    "CapEff: 0000000000000000 CapBnd: 0000000000000000 NoNewPrivs: 1 Seccomp: 2 "
check "AGENT_ARGS from /etc/default/$SVC on the command line" \
    sh -c "nsenter -t $PID1 -a cat /proc/$PID/cmdline | tr '\0' ' ' | grep -q -- '-L DEBUG'"
check "agent log $ALOG, owned by $USR, started" sh -c \
    "[ \"\$(nsenter -t $PID1 -a stat -c %U $ALOG)\" = $USR ] && nsenter -t $PID1 -a grep -q 'Startup completed' $ALOG"
check "checkpoints in /var/lib/$SVC, owned by $USR" same "$(ct stat -c %U /var/lib/$SVC/checkpoints)" $USR

section "ship"
write_tickets 1000 a
check "a root:adm 0640 file: 1000 records reach the sink" waitfor 30 sink_has 1000
info "sink: $(sink_count) records"
check "the file is checkpointed" waitfor 10 ct grep -q "$TICKETS/a-" /var/lib/$SVC/checkpoints-wal /var/lib/$SVC/checkpoints

section "reload, logrotate"
ct mv $ALOG $ALOG.moved
check "systemctl reload" ct systemctl reload $SVC
check "reload: new log file reopened (SIGHUP)" waitfor 5 ct grep -q 'Reopened the log file (SIGHUP)' $ALOG
check "reload: same process" same "$(mainpid)" "$PID"
ct rm -f $ALOG.moved
check "logrotate -f /etc/logrotate.d/$SVC" ct logrotate -f /etc/logrotate.d/$SVC
check "logrotate: $ALOG.1 kept, new log reopened" sh -c \
    "nsenter -t $PID1 -a test -s $ALOG.1 && nsenter -t $PID1 -a grep -q 'Reopened the log file (SIGHUP)' $ALOG"
check "logrotate: new log $USR 0640" same "$(ct stat -c '%U %a' $ALOG)" "$USR 640"

section "restart, kill -9"
check "systemctl restart" ct systemctl restart $SVC
waitfor 5 active
check "restart: new process, active" sh -c "[ '$(mainpid)' != '$PID' ] && [ \"\$(nsenter -t $PID1 -a systemctl is-active $SVC)\" = active ]"
check "restart: resumes from the checkpoint" waitfor 5 ct grep -q "from previous checkpoint $TICKETS/a-" $ALOG
sleep 3
check "restart: nothing sent twice" same "$(sink_count)" 1000
PID=$(mainpid)
ct sh -c "kill -9 $PID"
check "kill -9: failed with result signal" waitfor 5 sh -c "[ \"\$(nsenter -t $PID1 -a systemctl show -P Result $SVC)\" = signal ]"
check "kill -9: restarted by Restart=always (RestartSec=5s)" waitfor 15 sh -c \
    "[ \"\$(nsenter -t $PID1 -a systemctl show -P NRestarts $SVC)\" = 1 ] && [ \"\$(nsenter -t $PID1 -a systemctl is-active $SVC)\" = active ]"

section "upgrade while running"
PID=$(mainpid)
check "dpkg -i again (upgrade) while running, </dev/null" ct dpkg -i /root/agent.deb </dev/null
check "upgrade: stopped and started again" sh -c "[ '$(mainpid)' != '$PID' ] && [ \"\$(nsenter -t $PID1 -a systemctl is-active $SVC)\" = active ]"
check "upgrade: edited agent.json kept" ct grep -q "$SINK_URL" /etc/aws-kinesis/agent.json

section "stop with the destination down"
sink_stop
write_tickets 700 b
check "records read but not sent" waitfor 15 ct grep -q 'Retriable send error' $ALOG
t0=$(date +%s%N)
check "systemctl stop" ct systemctl stop $SVC
ms=$((($(date +%s%N) - t0) / 1000000))
info "stop took ${ms} ms"
check "stop: within TimeoutStopSec=${STOP_TIMEOUT}s, clean exit" sh -c \
    "[ $ms -lt $((STOP_TIMEOUT * 1000)) ] && [ \"\$(nsenter -t $PID1 -a systemctl show -P Result $SVC)\" = success ]"
sink_start
check "systemctl start" ct systemctl start $SVC
check "the 700 records arrive after the start (none lost by the stop)" waitfor 30 sink_has 700
info "sink: $(sink_count) records"

section "syscall filter: kill instead of EPERM"
ct mkdir -p /etc/systemd/system/$SVC.service.d
printf '[Service]\nSystemCallErrorNumber=kill\n' >"$ROOT/etc/systemd/system/$SVC.service.d/90-systemd-test.conf"
ct systemctl daemon-reload
check "restart with SystemCallErrorNumber=kill" ct systemctl restart $SVC
base=$(sink_count)
write_tickets 500 c
check "500 records sent" waitfor 30 sink_has $((base + 500))
check "reload" ct systemctl reload $SVC
sleep 1
check "still the same process (no denied syscall)" same "$(prop NRestarts) $(ct systemctl is-active $SVC)" "0 active"
check "stop: clean exit" sh -c "nsenter -t $PID1 -a systemctl stop $SVC && [ \"\$(nsenter -t $PID1 -a systemctl show -P Result $SVC)\" = success ]"
rm -f "$ROOT/etc/systemd/system/$SVC.service.d/90-systemd-test.conf"
ct rmdir /etc/systemd/system/$SVC.service.d
ct systemctl daemon-reload
check "started again with the packaged unit" ct systemctl start $SVC

section "journal and agent log"
check "no SIGSYS / status=31/SYS in the journal" same "$(ct journalctl -b --no-pager -o cat | grep -E 'SIGSYS|31/SYS')" ""
check "no unexpected kills (only the kill -9 above)" same "$(ct journalctl -b -u $SVC --no-pager -o cat | grep -c 'code=killed')" 1
check "agent log: no permission / read-only errors" same \
    "$(ct sh -c "cat /var/log/$SVC/*.log* 2>/dev/null" | grep -iE 'permission denied|operation not permitted|read-only file system|EACCES|EPERM')" ""
info "agent log: $(ct sh -c "cat /var/log/$SVC/*.log*" | grep -cE ' (WARN|ERROR) ') WARN/ERROR lines (the outage above)"

section "reboot"
poweroff
if boot >"$T/boot.out" 2>&1; then ok "container booted again"; else bad "container booted again" "$(cat "$T/boot.out")"; fi
[ -n "$PID1" ] || { bad "no container, stopping here"; exit 1; }
check "started at boot (enabled, WantedBy=multi-user.target)" waitfor 10 active
check "runs as $USR after boot" same "$(ct stat -c %U /proc/"$(mainpid)")" $USR

section "remove, purge"
check "dpkg -r" ct dpkg -r $SVC
check "remove: stopped, unit gone" same "$(ct systemctl is-active $SVC) $(ct systemctl list-unit-files $SVC.service --no-legend | wc -l)" "inactive 0"
check "remove: checkpoints and config kept" ct test -s /var/lib/$SVC/checkpoints -a -s /etc/aws-kinesis/agent.json
check "dpkg -P" ct dpkg -P $SVC
check "purge: /etc/aws-kinesis, state, log and runtime dirs gone" sh -c \
    "! nsenter -t $PID1 -a ls -d /etc/aws-kinesis /var/lib/$SVC /var/log/$SVC /run/$SVC 2>/dev/null | grep ."

printf '\n%d passed, %d failed  (%s, %ds)\n' $pass $fail "$SYSTEMD_VERSION" $(($(date +%s) - started))
[ $fail -eq 0 ]
