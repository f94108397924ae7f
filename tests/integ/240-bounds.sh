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
