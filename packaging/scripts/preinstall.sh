#!/bin/sh
# aws-kinesis-agent: runs before the package's files are unpacked.
#   RPM: $1 = 1 on install, >= 2 on upgrade.  DEB: $1 = install | upgrade | abort-upgrade.
# Creates the service user and, on install/upgrade over a running agent (ours or the Java agent),
# stops it and leaves a marker so that postinstall (DEB) / posttrans (RPM) starts it again.
# Must never fail because systemd is not PID 1 (containers, CI, image builds).

SVC=aws-kinesis-agent
USR=aws-kinesis-agent-user
# Package markers live in a root-only directory: /var/lib/aws-kinesis-agent belongs to the service
# user, who could plant a symlink there for root to write through.
PKG_DIR=/var/lib/aws-kinesis-agent-pkg
RESTART_MARK=$PKG_DIR/restart
# DEB only: the packaged defaults of the /etc files (see postinstall.sh).
DEFAULTS=/usr/share/$SVC

booted() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

case "$1" in
    abort-upgrade) exit 0 ;;
esac

# Its group, named by the unit's Group= and the logrotate rule: made on its own, because useradd
# makes a same-named group only where USERGROUPS_ENAB is on, and a user made earlier may lack one.
if ! grep -q "^$USR:" /etc/group 2>/dev/null; then
    groupadd -r "$USR" || {
        echo "$SVC: cannot create group $USR" >&2
        exit 1
    }
fi
# Service user, as the Java agent's setup script creates it: system user, no login, locked.
if ! id "$USR" >/dev/null 2>&1; then
    shell=/sbin/nologin
    [ -x "$shell" ] || shell=/usr/sbin/nologin
    [ -x "$shell" ] || shell=/bin/false
    useradd -r -g "$USR" -s "$shell" -c "Streaming Data Agent" "$USR" || {
        echo "$SVC: cannot create user $USR" >&2
        exit 1
    }
fi
usermod -L "$USR" >/dev/null 2>&1 || true

# Stop a running agent so files (and, for the Java agent, its checkpoint database) are quiescent.
was_running=
if booted; then
    if systemctl is-active --quiet "$SVC.service" 2>/dev/null; then
        was_running=1
        systemctl stop "$SVC.service" || true
    fi
else
    # No systemd: the Java agent may run under its SysV script (which still exists at this point).
    for init in /etc/rc.d/init.d/$SVC /etc/init.d/$SVC; do
        if [ -x "$init" ] && "$init" status >/dev/null 2>&1; then
            was_running=1
            "$init" stop || true
            break
        fi
    done
fi
if [ -n "$was_running" ]; then
    install -d -m 0700 -o root -g root "$PKG_DIR" && : > "$RESTART_MARK"
fi

# DEB upgrade: keep the previous version's defaults (about to be replaced), so that postinstall
# updates an /etc copy that still equals its default and leaves an edited one alone. Those of an
# earlier upgrade unpacked but never configured are kept: they are the defaults /etc still has.
if [ "$1" = upgrade ]; then
    for n in agent.json $SVC.default $SVC.logrotate; do
        [ -e "$PKG_DIR/prev-$n" ] && continue
        if [ -f "$DEFAULTS/$n" ] && [ ! -L "$DEFAULTS/$n" ] && install -d -m 0700 -o root -g root "$PKG_DIR"; then
            cp "$DEFAULTS/$n" "$PKG_DIR/prev-$n" || rm -f "$PKG_DIR/prev-$n"
        fi
    done
else
    rm -f "$PKG_DIR"/prev-* 2>/dev/null
fi

# The Java agent's cron babysitter would restart the Java agent during the upgrade; its other
# leftovers are removed once the new files are in place (postinstall / posttrans). It does nothing
# without the agent's pid file. RPM: the Java RPM owns the cron file, and removing it here made rpm
# warn "file aws-kinesis-agent: remove failed" as it erased the old package; posttrans removes it.
case "$1" in
    [0-9]*) rm -f /var/run/$SVC.pid ;;
    *) rm -f /etc/cron.d/$SVC /var/run/$SVC.pid ;;
esac
exit 0
