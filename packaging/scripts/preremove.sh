#!/bin/sh
# aws-kinesis-agent: runs before the package's files are removed.
#   RPM: $1 = 0 on erase, >= 1 when this (old) version is being replaced by an upgrade.
#   DEB: $1 = remove | upgrade <new-version> | deconfigure | failed-upgrade.
# On removal: stop and disable. On upgrade: nothing (the new package's preinstall stops the
# agent and restarts it afterwards). Must never fail because systemd is not PID 1.

SVC=aws-kinesis-agent

case "$1" in
    0|remove) ;;
    *) exit 0 ;;
esac

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemctl stop "$SVC.service" || true
fi
if command -v systemctl >/dev/null 2>&1; then
    # Remember that it was enabled, so a DEB reinstall after "remove" (not purge) enables it again.
    # In the root-only package directory, not the service user's /var/lib/$SVC (see preinstall.sh).
    # DEB only: an RPM reinstall is a fresh install, which enables the unit anyway.
    if [ "$1" = remove ] && systemctl is-enabled --quiet "$SVC.service" 2>/dev/null; then
        install -d -m 0700 -o root -g root /var/lib/$SVC-pkg && : > /var/lib/$SVC-pkg/enable
    fi
    systemctl --no-reload disable "$SVC.service" >/dev/null 2>&1 || true
fi
rm -f /etc/systemd/system/$SVC.service.d/50-old-systemd.conf
rmdir /etc/systemd/system/$SVC.service.d 2>/dev/null
exit 0
