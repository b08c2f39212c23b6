#!/bin/sh
# aws-kinesis-agent: runs after the package's files are removed.
#   RPM: $1 = 0 on erase, >= 1 after an upgrade.  DEB: $1 = remove | purge | upgrade | ...
# Configuration (/etc/aws-kinesis, the sysconfig/default file) and state (checkpoints) are kept on
# removal; a DEB purge deletes the configuration files (not dpkg conffiles: postinstall.sh copies
# them from /usr/share/aws-kinesis-agent), the state, log and runtime directories too.
# The service user is kept (its files may remain). Must never fail because systemd is not PID 1.

SVC=aws-kinesis-agent
PKG_DIR=/var/lib/aws-kinesis-agent-pkg   # root-only (see preinstall.sh)
RESTART_MARK=$PKG_DIR/restart

booted() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

# DEB: the unpack failed after preinstall stopped a running agent (ours or the Java agent), and dpkg
# has put the previous files back: start it again rather than leave it stopped. Systemd was not
# reloaded since the stop, so the unit it starts is the one that ran (Java's SysV one included).
case "$1" in
    abort-install|abort-upgrade)
        # (prev-* are kept: still the defaults /etc has, configured or not.)
        if [ -e "$RESTART_MARK" ]; then
            rm -f "$RESTART_MARK"
            if booted; then
                systemctl start "$SVC.service" || echo "$SVC: start failed; see: journalctl -u $SVC" >&2
            elif [ -x /etc/init.d/$SVC ]; then
                /etc/init.d/$SVC start || true
            elif [ -x /etc/rc.d/init.d/$SVC ]; then
                /etc/rc.d/init.d/$SVC start || true
            else
                echo "$SVC: the installation failed after the agent was stopped; start it again yourself" >&2
            fi
        fi
        rmdir "$PKG_DIR" 2>/dev/null
        exit 0
        ;;
esac

# Removed (not upgraded): a restart marker left by an unpack that was never configured must not start
# an agent installed later; the previous defaults are of no use either.
case "$1" in
    0|remove|purge) rm -f "$RESTART_MARK" "$PKG_DIR"/prev-*; rmdir "$PKG_DIR" 2>/dev/null ;;
esac

if booted; then
    systemctl daemon-reload || true
    case "$1" in
        0|remove|purge) systemctl reset-failed "$SVC.service" >/dev/null 2>&1 || true ;;
    esac
fi
if [ "$1" = purge ]; then
    # /run/aws-kinesis-agent too: the unit's RuntimeDirectoryPreserve=yes keeps it after the stop.
    rm -rf /var/lib/aws-kinesis-agent /var/lib/aws-kinesis-agent-pkg /var/log/aws-kinesis-agent /run/aws-kinesis-agent
    # With dpkg's leftovers from versions where they were conffiles (dpkg purges those it still
    # lists as obsolete conffiles itself) and an interrupted postinstall's temporary copy.
    for f in /etc/aws-kinesis/agent.json /etc/default/$SVC /etc/logrotate.d/$SVC; do
        rm -f "$f" "$f.dpkg-dist" "$f.dpkg-old" "$f.dpkg-new" "$f.dpkg-tmp"
    done
    rmdir /etc/aws-kinesis/agent.d /etc/aws-kinesis 2>/dev/null
fi
exit 0
