#!/bin/bash
# History and logs stay bounded: a schedule's events file is cut back to
# history_limit events when it doubles (newest kept, latest versions), an
# asset's log stops at max_log_bytes with a note, and run records beyond
# run_retention are pruned with their logs.
. "$(dirname "$0")/lib.sh"
start_daemon --history-limit 10 --max-log-bytes 2048 --run-retention 5
add_json '{"schedule_id":"chatty","schedule_type":"cron","schedule_definition":{"cron_expression":"0 0 1 1 *"},"overlap":"allow",
 "asset_graph":{"name":"g","assets":[{"name":"talk","command":"head -c 200000 /dev/zero | tr \"\\\\0\" x; echo; echo tail-end"}]}}'
for i in $(seq 1 25); do trigger chatty >/dev/null; done
settled() { ! req get_events '{"schedule_id":"chatty","limit":100}' | jq -e '.result.events[] | select(.status=="queued" or .status=="running")' >/dev/null; }
wait_for 30 settled || fail "runs did not finish"
lines=$(wc -l <"$STATE/events/chatty.jsonl")
[ "$lines" -le 20 ] || fail "history file has $lines lines with history_limit 10"
evs=$(req get_events '{"schedule_id":"chatty","limit":100}')
n=$(echo "$evs" | jq '.result.events | length')
[ "$n" -ge 10 ] && [ "$n" -le 20 ] || fail "$n events kept"
assert_eq "$(echo "$evs" | jq -r '[.result.events[].status] | unique | join(",")')" succeeded "kept events are final versions"
ok "history bounded: $lines lines on disk, $n events kept"

rid=$(req list_runs '{"schedule_id":"chatty","limit":1}' | jq -r '.result.runs[0].run_id')
log=$(req get_run_log "{\"run_id\":\"$rid\"}" | jq -r .result.log)
size=$(stat -c %s "$STATE/runs/$rid.talk.log")
[ "$size" -le 2200 ] || fail "log is $size bytes with max_log_bytes 2048"
assert_contains "$log" "output truncated at max_log_bytes=2048"
ok "log capped at max_log_bytes ($size bytes on disk)"

runs=$(req list_runs '{"schedule_id":"chatty","limit":100}' | jq '.result.runs | length')
assert_eq "$runs" 5 "runs kept with run_retention 5"
files=$(ls "$STATE/runs" | grep -c '^r.*\.json$')
assert_eq "$files" 5 "run records on disk"
logs=$(ls "$STATE/runs" | grep -c '\.log$')
assert_eq "$logs" 5 "run logs on disk"
ok "run records and logs pruned to run_retention"

# The posted-events log keeps the newest 100 x history_limit events.
for b in 1 2 3; do
	for i in $(seq 1 1000); do printf '{"jsonrpc":"2.0","id":%d,"method":"trigger_event","params":{"event_type":"nobody","event_data":{"b":%d,"i":%d}}}\n' $i $b $i; done | rpc 1000 >/dev/null
done
posted=$(wc -l <"$STATE/events/_posted.jsonl")
[ "$posted" -le 2000 ] && [ "$posted" -ge 1000 ] || fail "_posted.jsonl has $posted lines with history_limit 10"
assert_eq "$(tail -1 "$STATE/events/_posted.jsonl" | jq -c .event_data)" '{"b":3,"i":1000}' "newest posted event kept"
ok "posted-events log bounded ($posted lines after 3,000 events)"
