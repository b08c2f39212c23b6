#!/bin/sh
# aws-kinesis-agent: runs after the package's files are in place.
#   RPM: $1 = 1 on install, >= 2 on upgrade (RPM then runs posttrans.sh, which restarts).
#   DEB: $1 = configure <last-configured-version, empty on first install> | abort-upgrade | abort-remove | abort-deconfigure.
# Ownership of the state/log directories, import of the Java agent's checkpoints, enabling the
# unit on first install (not starting it, like the Java agent), and on DEB the restart.
# Must never fail because systemd is not PID 1.

SVC=aws-kinesis-agent
USR=aws-kinesis-agent-user
STATE_DIR=/var/lib/aws-kinesis-agent
LOG_DIR=/var/log/aws-kinesis-agent
# Package markers and the import's staging: root-only, because the service user owns STATE_DIR
# and LOG_DIR and could plant symlinks there for root to write, chown or chmod through.
PKG_DIR=/var/lib/aws-kinesis-agent-pkg
RESTART_MARK=$PKG_DIR/restart
JAVA_CHECKPOINTS=/var/run/aws-kinesis-agent/checkpoints
# DEB only: the packaged defaults of the /etc files, which are not dpkg conffiles (see nfpm.yaml).
DEFAULTS=/usr/share/$SVC

booted() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }
have_systemctl() { command -v systemctl >/dev/null 2>&1; }

# Java agent leftovers not owned by any package (installed by its `setup` script, or kept by RPM).
remove_java_leftovers() {
    rm -f /etc/cron.d/$SVC /usr/bin/aws-kinesis-agent-babysit \
          /etc/rc.d/init.d/$SVC /etc/init.d/$SVC /var/run/$SVC.pid
    for d in /etc/rc.d/rc0.d /etc/rc.d/rc1.d /etc/rc.d/rc2.d /etc/rc.d/rc3.d /etc/rc.d/rc4.d \
             /etc/rc.d/rc5.d /etc/rc.d/rc6.d /etc/rc0.d /etc/rc1.d /etc/rc2.d /etc/rc3.d \
             /etc/rc4.d /etc/rc5.d /etc/rc6.d; do
        [ -d "$d" ] && rm -f "$d"/[SK][0-9][0-9]$SVC
    done
    if ls /usr/share/aws-kinesis-agent/lib/AWSKinesisStreamingDataAgent*.jar >/dev/null 2>&1; then
        rm -rf /usr/share/aws-kinesis-agent/lib
    fi
    rmdir /usr/share/aws-kinesis-agent/lib /usr/share/aws-kinesis-agent 2>/dev/null
    return 0
}

# install_default SRC DST MODE: DEB's configuration files. On a fresh install SRC is copied to DST
# when DST is missing; on an upgrade a missing DST stays missing (the operator deleted it, as dpkg
# keeps a deleted conffile deleted), and DST is replaced only when it is the previous version's
# default, unedited ($PKG_DIR/prev-*, kept by preinstall), keeping its owner and mode. Anything else
# in DST (an edited file, a symlink, even a dangling one) is left alone. The copy is made under a
# temporary name in DST's directory (a suffix logrotate and run-parts ignore), then linked (only if
# DST is still missing: ln fails on an existing entry) or renamed over the unedited default. These
# directories are root's: the service user cannot plant anything there. Returns 1 on a failure.
install_default() {
    src=$DEFAULTS/$1 dst=$2 mode=$3 prev=$PKG_DIR/prev-$1 replace= ok=0
    [ -f "$src" ] || return 0
    # Left by an earlier version's conffile question that failed without a terminal.
    rm -f "$dst.dpkg-new"
    if [ -e "$dst" ] || [ -L "$dst" ]; then
        [ -f "$prev" ] && [ -f "$dst" ] && [ ! -L "$dst" ] && cmp -s "$dst" "$prev" && ! cmp -s "$dst" "$src" || return 0
        replace=1
    elif [ -z "$fresh" ]; then
        return 0
    fi
    [ -d "${dst%/*}" ] || install -d -m 0755 "${dst%/*}" || return 1
    tmp=$dst.dpkg-tmp
    rm -f "$tmp"
    if install -m "$mode" -o root -g root "$src" "$tmp"; then
        if [ -n "$replace" ]; then
            chown --reference="$dst" "$tmp" && chmod --reference="$dst" "$tmp" &&
                mv -f -T "$tmp" "$dst" && echo "$SVC: updated $dst to the new default (it was unedited)" || ok=1
        else
            ln "$tmp" "$dst" || [ -e "$dst" ] || [ -L "$dst" ] || ok=1
        fi
    else
        ok=1
    fi
    rm -f "$tmp"
    return $ok
}

start_if_marked() {
    [ -e "$RESTART_MARK" ] || return 0
    rm -f "$RESTART_MARK"
    if booted; then
        systemctl start "$SVC.service" || echo "$SVC: start failed; see: journalctl -u $SVC" >&2
    else
        echo "$SVC: the agent was stopped for the upgrade; systemd is not running, start /usr/bin/aws-kinesis-agent yourself" >&2
    fi
}

fresh=
case "$1" in
    1) fresh=1 ;;
    [2-9]|[1-9][0-9]*) ;;
    configure) [ -z "$2" ] && fresh=1 ;;
    # (prev-* are kept: they are still the defaults /etc has, configured or not.)
    abort-upgrade|abort-remove|abort-deconfigure) start_if_marked; rmdir "$PKG_DIR" 2>/dev/null; exit 0 ;;
    *) exit 0 ;;
esac

# Directories (systemd's StateDirectory=/LogsDirectory= also fix these at every start).
install -d -m 0750 "$STATE_DIR" "$LOG_DIR"
chown "$USR:$USR" "$STATE_DIR" "$LOG_DIR" 2>/dev/null || chown "$USR" "$STATE_DIR" "$LOG_DIR" || true
# Log files left by the Java agent (it ran as the same user; this is for safety).
find "$LOG_DIR" -maxdepth 1 -type f -name '*.log' -exec chown -h "$USR" {} + 2>/dev/null || true

# DEB: the configuration files, from the defaults, where missing. An operator's file (edited, written
# by configuration management or by the Java agent's setup script) is never replaced and never asked about.
config_failed=
if [ "$1" = configure ]; then
    install_default agent.json /etc/aws-kinesis/agent.json 0644 || config_failed=" /etc/aws-kinesis/agent.json"
    install_default $SVC.default /etc/default/$SVC 0600 || config_failed="$config_failed /etc/default/$SVC"
    install_default $SVC.logrotate /etc/logrotate.d/$SVC 0644 || config_failed="$config_failed /etc/logrotate.d/$SVC"
    # Kept after a failure, so that `dpkg --configure -a` does the update.
    [ -n "$config_failed" ] || rm -f "$PKG_DIR"/prev-*
fi
# The environment file may hold AWS keys: the Java agent's setup script left /etc/default's readable
# by all (0644). Only root (systemd) needs to read it.
for f in /etc/default/$SVC /etc/sysconfig/$SVC; do
    if [ -f "$f" ] && [ ! -L "$f" ] && [ -n "$(find "$f" -maxdepth 0 -user 0 -perm /007 2>/dev/null)" ]; then
        chmod o-rwx "$f" && echo "$SVC: $f may hold AWS keys; it is no longer readable by other users"
    fi
done

# Java checkpoints: the agent imports them itself at first start when checkpointFile is unset; copy
# them now too (the Java agent is stopped), so they survive a reboot that clears /var/run.
# Both directories belong to the service user: a source is copied without following a symlink (-P),
# owned and moded in the root-only PKG_DIR, then renamed into place (a rename replaces whatever
# entry is there without following it).
if [ -f "$JAVA_CHECKPOINTS" ] && [ ! -e "$STATE_DIR/checkpoints" ] && install -d -m 0700 -o root -g root "$PKG_DIR"; then
    for f in "$JAVA_CHECKPOINTS" "$JAVA_CHECKPOINTS-wal" "$JAVA_CHECKPOINTS-journal"; do
        [ -f "$f" ] || continue
        tmp="$PKG_DIR/import"
        rm -rf "$tmp"
        if cp -P -p "$f" "$tmp" && chown -h "$USR" "$tmp" && { [ -L "$tmp" ] || chmod 0640 "$tmp"; } &&
            mv -f -T "$tmp" "$STATE_DIR/$(basename "$f")"; then :; else rm -f "$tmp"; fi
    done
    echo "$SVC: imported the Java agent's checkpoints into $STATE_DIR/checkpoints"
fi

# Upgrading over the Java agent (its jars or SysV script are still here): treat like a first
# install for enabling, since the Java agent's SysV registration does not carry over.
from_java=
if ls /usr/share/aws-kinesis-agent/lib/*.jar >/dev/null 2>&1 || [ -e /usr/bin/aws-kinesis-agent-babysit ] \
   || [ -e /etc/rc.d/init.d/$SVC ] || [ -e /etc/init.d/$SVC ]; then
    from_java=1
fi

case "$1" in
    configure) remove_java_leftovers ;;  # RPM does this in posttrans, after the old package is gone
esac

# systemd before 239 (Amazon Linux 2 has 219) does not know the @system-service syscall group: it
# would drop it from SystemCallFilter= and leave an allow-list that kills the agent at start. There,
# a drop-in clears the filter; newer systemd gets the packaged unit unchanged.
OLD_SYSTEMD_DROPIN=/etc/systemd/system/$SVC.service.d/50-old-systemd.conf
systemd_version=$(systemctl --version 2>/dev/null | sed -n '1s/^systemd \([0-9][0-9]*\).*/\1/p')
if [ -n "$systemd_version" ] && [ "$systemd_version" -lt 239 ]; then
    mkdir -p "${OLD_SYSTEMD_DROPIN%/*}"
    cat > "$OLD_SYSTEMD_DROPIN" <<EOD
# Written by the $SVC package: systemd $systemd_version predates the @system-service syscall
# group (systemd 239), so the unit's system call allow-list is cleared. Removed with the package.
[Service]
SystemCallFilter=
EOD
    if [ "$systemd_version" -lt 235 ]; then
        # RuntimeDirectoryPreserve= came with 235: before, /run/aws-kinesis-agent (where configs
        # naming Java's default checkpointFile keep their checkpoints) would be deleted at every
        # stop. The package's tmpfiles.d entry makes it instead.
        cat >> "$OLD_SYSTEMD_DROPIN" <<EOD
# systemd $systemd_version predates RuntimeDirectoryPreserve= (235) and would delete
# /run/$SVC, checkpoints included, at every stop: it comes from tmpfiles.d instead.
RuntimeDirectory=
ReadWritePaths=-/run/$SVC
EOD
    fi
elif [ -e "$OLD_SYSTEMD_DROPIN" ]; then
    rm -f "$OLD_SYSTEMD_DROPIN"
    rmdir "${OLD_SYSTEMD_DROPIN%/*}" 2>/dev/null
fi

# /run/aws-kinesis-agent now, not only at the next boot (tmpfiles.d entry of the package).
if command -v systemd-tmpfiles >/dev/null 2>&1; then
    systemd-tmpfiles --create /usr/lib/tmpfiles.d/$SVC.conf >/dev/null 2>&1 || true
fi
if booted; then
    systemctl daemon-reload || true
fi
# Enabled before a removal whose configuration was kept (see preremove.sh).
was_enabled=
if [ -e "$PKG_DIR/enable" ]; then
    rm -f "$PKG_DIR/enable"
    was_enabled=1
fi
if [ -n "$fresh$from_java$was_enabled" ] && have_systemctl; then
    # Enabled (starts at boot) but not started, like the Java agent's install.
    systemctl --no-reload enable "$SVC.service" >/dev/null 2>&1 || true
fi
if [ -n "$fresh" ] && [ ! -e "$RESTART_MARK" ]; then
    echo "$SVC: installed. Edit /etc/aws-kinesis/agent.json, then: systemctl start $SVC"
fi

# PrivateTmp=yes gives the service its own /tmp: flows on /tmp or /var/tmp (like the Java agent's
# sample flows on /tmp/app.log*) would see nothing.
if grep -qsE '"filePattern"[[:space:]]*:[[:space:]]*"/(var/)?tmp/' /etc/aws-kinesis/agent.json /etc/aws-kinesis/agent.d/* 2>/dev/null; then
    echo "$SVC: WARNING: a flow reads files under /tmp or /var/tmp, which the service cannot see (PrivateTmp=yes)." >&2
    echo "$SVC: move those files, or run: systemctl edit $SVC  and add  [Service] PrivateTmp=no" >&2
fi

case "$1" in
    configure) start_if_marked ;;
esac
# Empty unless RPM's posttrans has a restart still to do.
rmdir "$PKG_DIR" 2>/dev/null
if [ -n "$config_failed" ]; then
    # dpkg leaves the package half-configured; `dpkg --configure -a` tries again.
    echo "$SVC: could not create or update$config_failed from /usr/share/$SVC" >&2
    exit 1
fi
exit 0
