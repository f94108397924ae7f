#!/bin/bash
# A shell script posts 1,000 events with vibectl in a loop; every
# acknowledged one is in history after kill -9 and a restart.
. "$(dirname "$0")/lib.sh"
start_daemon
add_json '{"schedule_id":"sink","schedule_type":"event","schedule_definition":{"event_type":"tick","debounce_seconds":3600},
 "asset_graph":{"name":"g","assets":[{"name":"e","command":["/bin/true"]}]}}'
for i in $(seq 1 1000); do
	out=$(vibectl event tick i=$i --source loop) || fail "event $i not acknowledged"
	echo "$out" | grep -oE 'v[0-9]+-[0-9a-f]+' | head -1
done >"$T/ids"
kill9_daemon
start_daemon
assert_eq "$(sort -u "$T/ids" | wc -l)" 1000 "distinct event ids printed"
req get_events '{"schedule_id":"sink","limit":5000}' | jq -r '.result.events[].trigger_event.event_id' | sort -u >"$T/history"
missing=$(comm -23 <(sort -u "$T/ids") "$T/history" | wc -l)
assert_eq "$missing" 0 "acknowledged events missing from history after kill -9"
posted=$(jq -r 'select(.event_type=="tick") | .event_id' "$STATE/events/_posted.jsonl" | sort -u | wc -l)
assert_eq "$posted" 1000 "events in _posted.jsonl"
ok "1,000 events posted from a shell loop survive kill -9"
