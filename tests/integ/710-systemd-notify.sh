#!/bin/bash
# systemd integration where PID 1 is not systemd: the sd_notify protocol
# against a test NOTIFY_SOCKET (READY=1 only once the control socket
# accepts, STATUS=, watchdog pings while the loop runs, STOPPING=1 on
# SIGTERM), and socket activation through systemd-socket-activate.
. "$(dirname "$0")/lib.sh"

NS=$T/notify.sock
python3 - "$NS" "$SOCK" "$T/notify.log" <<'PY' &
import socket, sys, time
ns, ctl, log = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(ns)
s.settimeout(15)
out = open(log, "w", buffering=1)
t0 = time.time()
while True:
    try:
        msg = s.recv(4096).decode()
    except socket.timeout:
        break
    for line in msg.split("\n"):
        extra = ""
        if line == "READY=1":
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                c.connect(ctl)
                extra = " accepts"
            except OSError as e:
                extra = " refused:%s" % e
            c.close()
        out.write("%.3f %s%s\n" % (time.time() - t0, line, extra))
    if "STOPPING=1" in msg:
        break
PY
LISTENER=$!
for i in $(seq 50); do [ -S "$NS" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$NS WATCHDOG_USEC=400000 start_daemon
sleep 1.5
stop_daemon
wait $LISTENER || true
cat "$T/notify.log"
grep -q '^[0-9.]* READY=1 accepts$' "$T/notify.log" || fail "READY=1 missing or sent before the socket accepted"
grep -q 'STATUS=running: 0 schedules' "$T/notify.log" || fail "no STATUS= line"
pings=$(grep -c 'WATCHDOG=1' "$T/notify.log")
[ "$pings" -ge 4 ] || fail "only $pings watchdog pings in 1.5 s with WatchdogSec=0.4s"
grep -q 'STOPPING=1' "$T/notify.log" || fail "no STOPPING=1 on SIGTERM"
ok "sd_notify: READY after the socket accepts, STATUS, $pings watchdog pings, STOPPING"

# Socket activation: systemd-socket-activate listens and hands over fd 3.
if command -v systemd-socket-activate >/dev/null; then
	rm -f "$SOCK"
	systemd-socket-activate -l "$SOCK" "$VIBE_BUILD/vibe-schedd" --state-dir "$STATE" \
		--socket "$T/unused.sock" >>"$DAEMON_LOG" 2>&1 &
	DPID=$!
	for i in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
	out=$(req ping)
	assert_json "$out" .result.pid "$DPID"
	grep -q "using the socket passed by systemd" "$DAEMON_LOG" || fail "the daemon did not use the passed socket"
	[ ! -e "$T/unused.sock" ] || fail "the daemon created its own socket although one was passed"
	stop_daemon
	ok "socket activation via systemd-socket-activate"
else
	echo "skip - systemd-socket-activate is not installed"
fi
