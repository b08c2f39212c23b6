#!/bin/sh
# aws-kinesis-agent: runs after the package's files are removed.
#   RPM: $1 = 0 on erase, >= 1 after an upgrade.  DEB: $1 = remove | purge | upgrade | ...
# Configuration (/etc/aws-kinesis, the sysconfig/default file) and state (checkpoints) are kept on
# removal; a DEB purge deletes the configuration files (not dpkg conffiles: postinstall.sh copies
# them from /usr/share/aws-kinesis-agent), the state, log and runtime directories too.
# The service user is kept (its files may remain). Must never fail because systemd is not PID 1.

SVC=aws-kinesis-agent

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
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
        rm -f "$f" "$f.dpkg-dist" "$f.dpkg-old" "$f.dpkg-new" "$f.dpkg-tmp" "${f%/*}/.${f##*/}.$SVC-new"
    done
    rmdir /etc/aws-kinesis/agent.d /etc/aws-kinesis 2>/dev/null
fi
exit 0
