#!/bin/sh
# aws-kinesis-agent (RPM only): runs at the end of the transaction, after an upgraded package's
# old files and scriptlets are gone. Removes the Java agent's leftovers and restarts the agent
# if preinstall stopped it. Must never fail because systemd is not PID 1.

SVC=aws-kinesis-agent
PKG_DIR=/var/lib/aws-kinesis-agent-pkg   # root-only (see preinstall.sh)
RESTART_MARK=$PKG_DIR/restart

booted() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

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

if booted; then
    systemctl daemon-reload || true
fi
if [ -e "$RESTART_MARK" ]; then
    rm -f "$RESTART_MARK"
    if booted; then
        systemctl start "$SVC.service" || echo "$SVC: start failed; see: journalctl -u $SVC" >&2
    else
        echo "$SVC: the agent was stopped for the upgrade; systemd is not running, start /usr/bin/aws-kinesis-agent yourself" >&2
    fi
fi
rmdir "$PKG_DIR" 2>/dev/null
exit 0
