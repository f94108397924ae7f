#!/bin/bash
# Event triggers: type matching, every filter operator (nested paths, a
# non-matching case), leading and trailing debounce with a burst of 20,
# event data in the pipeline's environment, chaining on pipeline_completed,
# malformed event data, posting while stopped, and the rate bound.
. "$(dirname "$0")/lib.sh"
start_daemon --max-concurrent-runs 10 --event-rate 50 --event-burst 20 --socket-mode 0666
OUT=$T/out; mkdir -p "$OUT"; chmod 755 "$T" "$OUT"

ev_schedule() { # ID TYPE EXTRA_DEFINITION_JSON
	add_json "{\"schedule_id\":\"$1\",\"schedule_type\":\"event\",\"schedule_definition\":{\"event_type\":\"$2\"$3},\"overlap\":\"allow\",
	 \"asset_graph\":{\"name\":\"g\",\"assets\":[{\"name\":\"e\",\"command\":\"echo \\\"\$VIBE_EVENT_TYPE|\$VIBE_EVENT_SOURCE|\$VIBE_EVENT_DATA\\\" >>$OUT/$1\"}]}}"
}
triggered() { echo "$1" | jq -r '.result.triggered | join(",")'; }
post() { req trigger_event "$1"; }

ev_schedule csv data_available ',"filter":{"file.name":{"glob":"*.csv"},"bucket":"raw","size":{"in":[1,2,3]},"meta.owner":{"exists":true},"meta.tag":{"regex":"^v[0-9]+$"}}'
ev_schedule other other_type ''
ev_schedule noexist data_available ',"filter":{"meta.secret":{"exists":false}}'

out=$(post '{"event_type":"data_available","event_data":{"bucket":"raw","size":2,"file":{"name":"a.csv"},"meta":{"owner":"x","tag":"v12"}},"source":"s3"}')
assert_eq "$(triggered "$out")" "csv,noexist" "all filters hold"
out=$(post '{"event_type":"data_available","event_data":{"bucket":"raw","size":2,"file":{"name":"a.json"},"meta":{"owner":"x","tag":"v12"}}}')
assert_eq "$(triggered "$out")" "noexist" "glob fails"
out=$(post '{"event_type":"data_available","event_data":{"bucket":"cooked","size":2,"file":{"name":"a.csv"},"meta":{"owner":"x","tag":"v12"}}}')
assert_eq "$(triggered "$out")" "noexist" "equality fails"
out=$(post '{"event_type":"data_available","event_data":{"bucket":"raw","size":7,"file":{"name":"a.csv"},"meta":{"owner":"x","tag":"v12"}}}')
assert_eq "$(triggered "$out")" "noexist" "in fails"
out=$(post '{"event_type":"data_available","event_data":{"bucket":"raw","size":2,"file":{"name":"a.csv"},"meta":{"tag":"v12"}}}')
assert_eq "$(triggered "$out")" "noexist" "exists fails"
out=$(post '{"event_type":"data_available","event_data":{"bucket":"raw","size":2,"file":{"name":"a.csv"},"meta":{"owner":"x","tag":"version"}}}')
assert_eq "$(triggered "$out")" "noexist" "regex fails"
out=$(post '{"event_type":"data_available","event_data":{"meta":{"secret":1}}}')
assert_eq "$(triggered "$out")" "" "exists:false fails"
out=$(post '{"event_type":"other_type"}')
assert_eq "$(triggered "$out")" "other" "type matching"
echo "$out" | jq -e '.result.event_id | test("^v")' >/dev/null || fail "no event_id: $out"
ok "type matching and every filter operator (nested paths, non-matching cases)"

wait_for 10 test -s "$OUT/csv" || fail "csv pipeline did not run"
assert_eq "$(cat "$OUT/csv")" 'data_available|s3|{"bucket":"raw","size":2,"file":{"name":"a.csv"},"meta":{"owner":"x","tag":"v12"}}' "event env"
ev=$(req get_last_event '{"schedule_id":"csv"}')
assert_json "$ev" .result.trigger_type event
assert_json "$ev" .result.trigger_event.event_data.file.name a.csv
ok "event data reaches the pipeline's environment and the ScheduleEvent"

# Bad filters are refused at add time with the path named.
out=$(req add_schedule '{"schedule":{"schedule_id":"badf","schedule_type":"event","schedule_definition":{"event_type":"x","filter":{"a.b":{"regex":"("}}},"asset_graph":{"name":"p"}}}')
assert_json "$out" .error.code -32602
assert_contains "$(echo "$out" | jq -r .error.message)" "a.b"
out=$(req add_schedule '{"schedule":{"schedule_id":"badf","schedule_type":"event","schedule_definition":{"event_type":"x","filter":{"a..b":1}},"asset_graph":{"name":"p"}}}')
assert_json "$out" .error.code -32602
ok "bad filters refused at add time"

# Malformed event data.
for bad in '{"event_type":"x","event_data":[1]}' '{"event_type":"x","event_data":"s"}' '{"event_type":"","event_data":{}}' '{"event_data":{}}'; do
	assert_json "$(post "$bad")" .error.code -32602
done
ok "malformed event data -32602"

# Debounce, leading: a burst of 20 -> one run, 19 recorded debounced.
ev_schedule lead burst_l ',"debounce_seconds":60'
ev_schedule trail burst_t ',"debounce_seconds":2,"debounce_mode":"trailing"'
# Each burst is 20 events pipelined on one connection (a burst, even on a
# loaded machine).
burst() { for i in $(seq 1 20); do printf '{"jsonrpc":"2.0","id":%d,"method":"trigger_event","params":{"event_type":"%s","event_data":{"i":%d}}}\n' $i "$1" $i; done | rpc 20; }
out=$(burst burst_l)
assert_eq "$(echo "$out" | jq -r '.result.triggered | length' | tr '\n' ' ')" "1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 " "leading answers"
out=$(burst burst_t)
assert_eq "$(echo "$out" | jq -r '.result.debounced | length' | sort -u)" "1" "trailing answers"
wait_for 10 test -s "$OUT/trail" || fail "trailing debounce did not run"
sleep 1.5
assert_eq "$(wc -l <"$OUT/lead")" 1 "leading runs"
assert_eq "$(wc -l <"$OUT/trail")" 1 "trailing runs"
assert_eq "$(cut -d'|' -f3 "$OUT/lead")" '{"i":1}' "leading gets the first event"
assert_eq "$(cut -d'|' -f3 "$OUT/trail")" '{"i":20}' "trailing gets the last event"
evs=$(req get_events '{"schedule_id":"lead","limit":100}')
assert_eq "$(echo "$evs" | jq '[.result.events[] | select(.status=="debounced")] | length')" 19 "leading debounced"
evs=$(req get_events '{"schedule_id":"trail","limit":100}')
assert_eq "$(echo "$evs" | jq '[.result.events[] | select(.status=="debounced")] | length')" 20 "trailing debounced"
assert_eq "$(echo "$evs" | jq '[.result.events[] | select(.status!="debounced")] | length')" 1 "trailing triggers"
ok "leading and trailing debounce with a burst of 20"

# Chaining: B runs when A completes; C when A fails.
add_json "{\"schedule_id\":\"A\",\"schedule_type\":\"cron\",\"schedule_definition\":{\"cron_expression\":\"0 0 1 1 *\"},\"asset_graph\":{\"name\":\"g\",\"assets\":[{\"name\":\"a\",\"command\":[\"/bin/true\"]}]}}"
add_json "{\"schedule_id\":\"Z\",\"schedule_type\":\"cron\",\"schedule_definition\":{\"cron_expression\":\"0 0 1 1 *\"},\"asset_graph\":{\"name\":\"g\",\"assets\":[{\"name\":\"a\",\"command\":[\"/bin/false\"]}]}}"
ev_schedule B pipeline_completed ',"filter":{"schedule_id":"A"}'
ev_schedule C pipeline_failed ',"filter":{"schedule_id":"Z"}'
trigger A >/dev/null; trigger Z >/dev/null
wait_for 10 test -s "$OUT/B" || fail "B did not chain on A"
wait_for 10 test -s "$OUT/C" || fail "C did not chain on Z's failure"
assert_contains "$(cat "$OUT/B")" '"status":"succeeded"'
assert_contains "$(cat "$OUT/B")" 'pipeline_completed|vibe-schedd|'
assert_contains "$(cat "$OUT/C")" '"status":"failed"'
ok "chaining on pipeline_completed / pipeline_failed"

# vibectl event: typed KEY=VALUE, exit codes.
id=$(vibectl event other_type n=5 ok=true name=x nested.k=1 'raw:=[1,2]')
case "$id" in *v1*) ;; *) fail "vibectl event printed: $id" ;; esac
wait_for 10 lines_at_least 2 "$OUT/other" || fail "vibectl event did not trigger"
assert_eq "$(tail -1 "$OUT/other" | cut -d'|' -f3 | jq -c -S .)" '{"n":5,"name":"x","nested":{"k":1},"ok":true,"raw":[1,2]}' "typed values"
vibectl stop >/dev/null
set +e; vibectl event other_type 2>"$T/err"; rc=$?; set -e
assert_eq "$rc" 1 "exit code while stopped"
assert_contains "$(cat "$T/err")" "stopped"
assert_json "$(post '{"event_type":"other_type"}')" .error.data.reason scheduler_stopped
vibectl start >/dev/null
set +e; "$VIBE_BUILD/vibectl" --socket "$T/nope.sock" event other_type 2>/dev/null; rc=$?; set -e
assert_eq "$rc" 3 "exit code when unreachable"
ok "vibectl event: typed values, exit 0/1/3, scheduler_stopped"

# The rate bound for a non-root poster (needs root to make a user).
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null; then
	u=vibeev$$
	useradd -M -s /bin/sh "$u"
	trap 'userdel "$u" 2>/dev/null; cleanup' EXIT
	out=$(for i in $(seq 1 60); do printf '{"jsonrpc":"2.0","id":%d,"method":"trigger_event","params":{"event_type":"nobody_listens"}}\n' $i; done |
		runuser -u "$u" -- python3 "$VIBE_SRC/tests/integ/rawclient.py" "$SOCK" 60)
	limited=$(echo "$out" | jq -r 'select(.error.data.reason=="limit_exceeded") | .id' | wc -l)
	accepted=$(echo "$out" | jq -r 'select(.result) | .id' | wc -l)
	[ "$accepted" -ge 20 ] && [ "$limited" -ge 1 ] || fail "rate bound: $accepted accepted, $limited limited"
	assert_contains "$(echo "$out" | jq -r 'select(.error) | .error.message' | head -1)" event_rate
	ok "rate bound: $accepted accepted, $limited answered limit_exceeded"
else
	echo "skip - rate bound test needs root and useradd"
fi
no_zombies
