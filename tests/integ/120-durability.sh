#!/bin/bash
# Durability: 200 acknowledged adds survive kill -9 identical; pause, resume
# and delete persist across restarts; a corrupt schedule file is moved to
# schedules/.corrupt/ and the daemon starts; stale sockets are replaced and a
# live daemon's socket is not stolen.
. "$(dirname "$0")/lib.sh"
start_daemon

# 200 adds from 4 concurrent clients, each acknowledged.
for c in 0 1 2 3; do
	(for i in $(seq $((c * 50)) $((c * 50 + 49))); do
		printf '{"jsonrpc":"2.0","id":%d,"method":"add_schedule","params":{"schedule":{"schedule_id":"s%03d","schedule_type":"cron","schedule_definition":{"cron_expression":"%d 9 * * *"},"timezone":"Europe/London","asset_graph":{"name":"g","assets":[{"name":"a","command":["/bin/echo","%d"]}]}}}}\n' \
			"$i" "$i" $((i % 60)) "$i"
	done | rpc 50 >"$T/acks.$c") &
	clients="${clients:-} $!"
done
wait $clients
acked=$(cat "$T"/acks.* | jq -r 'select(.result) | .id' | wc -l)
assert_eq "$acked" 200 "acknowledged adds"
kill9_daemon
start_daemon
out=$(vibectl --json list)
assert_eq "$(echo "$out" | jq '.schedules | length')" 200 "schedules after kill -9"
for i in 0 57 199; do
	id=$(printf 's%03d' $i)
	assert_json "$(vibectl --json get $id)" '.asset_graph.assets[0].command[1]' "$i"
done
ok "200 acknowledged adds survive kill -9"

# Identical: the whole listing before a second kill -9 equals the one after.
vibectl --json list | jq -S . >"$T/before"
kill9_daemon
start_daemon
vibectl --json list | jq -S . >"$T/after"
cmp -s "$T/before" "$T/after" || { diff "$T/before" "$T/after" | head; fail "schedules changed across kill -9"; }
ok "schedules identical across kill -9"

vibectl pause s001 >/dev/null
vibectl delete s002 >/dev/null
vibectl pause s003 >/dev/null
vibectl resume s003 >/dev/null
kill9_daemon
start_daemon
assert_json "$(vibectl --json get s001)" .status paused
assert_json "$(vibectl --json get s003)" .status active
set +e; vibectl get s002 >/dev/null 2>&1; rc=$?; set -e
assert_eq "$rc" 1 "deleted schedule after restart"
ok "pause/resume/delete persist"

# A corrupt file is moved aside; the daemon starts and serves the rest.
stop_daemon
printf '{"schedule_id":"s010", "trunc' >"$STATE/schedules/s010.json"
printf 'not json at all' >"$STATE/schedules/zzz.json"
start_daemon
[ -e "$STATE/schedules/.corrupt/s010.json" ] || fail "corrupt file not moved to .corrupt/"
[ -e "$STATE/schedules/.corrupt/zzz.json" ] || fail "corrupt file not moved to .corrupt/"
assert_eq "$(vibectl --json list | jq '.schedules | length')" 198 "schedules after corruption (199 less s010)"
grep -q "s010.json" "$DAEMON_LOG" || fail "no log line naming the corrupt file"
ok "corrupt file moved to .corrupt/ with a log line"

# A live daemon's socket is not stolen; a stale one is replaced.
set +e
"$VIBE_BUILD/vibe-schedd" --socket "$SOCK" --state-dir "$T/other" >"$T/second.log" 2>&1
rc=$?
set -e
[ $rc -ne 0 ] || fail "a second daemon started on a live socket"
grep -q "already listening" "$T/second.log" || fail "second daemon did not say why: $(cat "$T/second.log")"
assert_json "$(req ping)" .result.pid "$DPID"
kill9_daemon
[ -S "$SOCK" ] || fail "expected a stale socket after kill -9"
start_daemon
assert_json "$(req ping)" .result.pid "$DPID"
ok "live socket kept, stale socket replaced"
mode=$(stat -c %a "$SOCK")
if [ "$(id -u)" = 0 ]; then assert_eq "$mode" 660 "socket mode (root)"; else assert_eq "$mode" 600 "socket mode"; fi
ok "socket mode $mode"
