#!/bin/bash
# A trailing debounce window open when the daemon dies is finished after
# the restart: the burst's last event still runs, once, with its data.
. "$(dirname "$0")/lib.sh"
start_daemon
OUT=$T/out; mkdir -p "$OUT"
add_json "{\"schedule_id\":\"trail\",\"schedule_type\":\"event\",\"schedule_definition\":{\"event_type\":\"burst\",\"debounce_seconds\":3,\"debounce_mode\":\"trailing\"},
 \"asset_graph\":{\"name\":\"g\",\"assets\":[{\"name\":\"e\",\"command\":\"echo \\\"\$VIBE_EVENT_DATA\\\" >>$OUT/runs\"}]}}"
for i in 1 2 3 4 5; do
	printf '{"jsonrpc":"2.0","id":%d,"method":"trigger_event","params":{"event_type":"burst","event_data":{"i":%d}}}\n' $i $i
done | rpc 5 >/dev/null
kill9_daemon
start_daemon
grep -q "trailing debounce window was open" "$DAEMON_LOG" || fail "no restored window in the log"
wait_for 10 test -s "$OUT/runs" || fail "the burst's last event did not run after the restart"
sleep 1
assert_eq "$(cat "$OUT/runs")" '{"i":5}' "runs after the restart"
ok "a trailing window open at kill -9 is finished after the restart with the last event"
