#!/bin/bash
# kill -9 of the daemon mid-run, then restart: the run is recorded failed
# ("daemon restarted") with its ScheduleEvent, the orphaned job is not left
# counted as running, and the schedule fires on time again. SIGTERM stops
# running jobs and records them.
. "$(dirname "$0")/lib.sh"
start_daemon --kill-grace-seconds 1
OUT=$T/out; mkdir -p "$OUT"

add_json "{\"schedule_id\":\"every2\",\"schedule_type\":\"interval\",\"schedule_definition\":{\"interval\":\"2s\"},
 \"asset_graph\":{\"name\":\"g\",\"assets\":[{\"name\":\"s\",\"command\":\"echo \$VIBE_SCHEDULED_TIME >>$OUT/fires; exec sleep 30\"}]}}"
wait_for 10 test -s "$OUT/fires" || fail "first fire did not happen"
rid=$(req list_runs '{"schedule_id":"every2"}' | jq -r '.result.runs[0].run_id')
assert_eq "$(run_status "$rid")" running "run before kill -9"
kill9_daemon
pkill -f '^sleep 30$' || true
n=$(wc -l <"$OUT/fires")
start_daemon --kill-grace-seconds 1
out=$(req get_run "{\"run_id\":\"$rid\"}")
assert_json "$out" .result.status failed
assert_json "$out" .result.error "daemon restarted"
ev=$(req get_events '{"schedule_id":"every2","limit":100}' | jq -c "[.result.events[] | select(.run_id==\"$rid\")][0]")
assert_json "$ev" .status failed
assert_json "$ev" .error "daemon restarted"
wait_for 10 lines_at_least $((n + 1)) "$OUT/fires" || fail "schedule did not fire again after restart"
ok "kill -9 mid-run: run recorded failed, fires again"

# SIGTERM: running jobs are stopped and recorded.
rid=$(req list_runs '{"schedule_id":"every2","status":"running"}' | jq -r '.result.runs[0].run_id')
[ -n "$rid" ] && [ "$rid" != null ] || fail "no running run before SIGTERM"
stop_daemon
pgrep -f '^sleep 30$' >/dev/null && fail "a job survived SIGTERM of the daemon"
start_daemon
assert_json "$(req get_run "{\"run_id\":\"$rid\"}")" .result.error "daemon stopped"
vibectl pause every2 >/dev/null
ok "SIGTERM stops running jobs and records them"
