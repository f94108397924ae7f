#!/bin/bash
# Backfills: the seed's example (a daily cron over January 2024, parallel,
# max_parallel 5) gives 31 tasks with the right logical dates and never
# more than 5 at once, answered by execute_backfill wait:true while the
# daemon keeps serving; a New York range across the DST change; an interval
# schedule's grid; the 10,000-task limit; event schedules refused; bad
# ranges; dry_run; failing tasks counted and retry_backfill re-running only
# them; cancel; conflicts; a deleted schedule; vibectl backfill.
. "$(dirname "$0")/lib.sh"
start_daemon --max-concurrent-runs 8 --kill-grace-seconds 1
OUT=$T/out; mkdir -p "$OUT/running"

# reqw METHOD PARAMS SECONDS: one request answered within SECONDS.
reqw() {
	printf '{"jsonrpc":"2.0","id":1,"method":"%s","params":%s}\n' "$1" "$2" | rpc --timeout "$3"
}
bf_get() { req get_backfill "{\"backfill_id\":\"$1\"}"; }
bf_status() { bf_get "$1" | jq -r .result.status; }
bf_is() { test "$(bf_status "$1")" = "$2"; }
bf_field_is() { test "$(bf_get "$1" | jq -r ".result.$2")" = "$3"; }
procs_are() { test "$(pgrep -cx -f "$1")" = "$2"; }
bf_count() { req list_backfills '{}' | jq '.result.backfills | length'; }
cron_schedule() { # ID EXPR ZONE COMMAND_JSON
	add_json "{\"schedule_id\":\"$1\",\"schedule_type\":\"cron\",\"schedule_definition\":{\"cron_expression\":\"$2\"},\"timezone\":\"$3\",\"asset_graph\":{\"name\":\"g\",\"assets\":[{\"name\":\"a\",\"command\":$4}]}}"
}

# ---- the seed's example -----------------------------------------------------
cron_schedule daily_report "0 9 * * *" UTC "\"touch $OUT/running/\$\$; ls $OUT/running | wc -l >>$OUT/concurrency; echo \$VIBE_LOGICAL_DATE \$VIBE_SCHEDULED_TIME \$VIBE_TRIGGER_TYPE \$VIBE_BACKFILL_ID >>$OUT/seed; sleep 0.2; rm $OUT/running/\$\$\""
out=$(req create_backfill '{"schedule_id":"daily_report","start_date":"2024-01-01","end_date":"2024-01-31","timezone":"UTC","parallel":true,"max_parallel":5}')
assert_json "$out" .result.tasks_total 31
assert_json "$out" .result.tasks_pending 31
assert_json "$out" .result.status pending
assert_json "$out" '.result | [.timezone, .parallel, .max_parallel, .start_date, .end_date] | map(tostring) | join(",")' "UTC,true,5,2024-01-01,2024-01-31"
assert_json "$out" '.result | has("tasks")' false
bid=$(echo "$out" | jq -r .result.backfill_id)
[ -f "$STATE/backfills/$bid.json" ] || fail "no backfills/$bid.json"
reqw execute_backfill "{\"backfill_id\":\"$bid\",\"wait\":true}" 60 >"$T/seed-result" &
wpid=$!
# The daemon keeps serving while that call waits.
wait_for 5 bf_is "$bid" running || fail "backfill not running"
t0=$(date +%s%N); req ping | jq -e .result.pid >/dev/null || fail "ping while a backfill runs"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1000 ] || fail "ping took $ms ms during a backfill"
assert_json "$(req execute_backfill "{\"backfill_id\":\"$bid\"}")" .error.code -32004
kill -0 "$wpid" 2>/dev/null || fail "execute_backfill wait:true answered before the end"
wait "$wpid" || fail "execute_backfill wait:true failed"
res=$(jq -c .result "$T/seed-result")
assert_json "$res" '[.backfill_id, .status, .tasks_total, .tasks_succeeded, .tasks_failed, .tasks_cancelled] | map(tostring) | join(",")' "$bid,succeeded,31,31,0,0"
line=$(echo "$res" | jq -r '"Backfill completed: \(.tasks_succeeded) succeeded, \(.tasks_failed) failed"')
echo "$line"
assert_eq "$line" "Backfill completed: 31 succeeded, 0 failed" "the seed's print line"
expected=$(python3 -c 'import datetime as d
for i in range(31): print((d.date(2024,1,1)+d.timedelta(i)).isoformat())')
assert_eq "$(awk '{print $1}' "$OUT/seed" | sort)" "$expected" "logical dates run once each"
awk '{print $2}' "$OUT/seed" | grep -qvE '^2024-01-[0-9]{2}T09:00:00(Z|\+00:00)$' && fail "scheduled times: $(awk '{print $2}' "$OUT/seed" | sort | head -3)"
awk '{print $3 " " $4}' "$OUT/seed" | sort -u | grep -qvx "backfill $bid" && fail "trigger type / backfill id: $(sort -u "$OUT/seed" | head -3)"
max=$(sort -n "$OUT/concurrency" | tail -1)
[ "$max" -le 5 ] || fail "$max tasks at once with max_parallel 5"
[ "$max" -ge 2 ] || fail "parallel backfill ran one task at a time"
out=$(req get_backfill "{\"backfill_id\":\"$bid\",\"tasks\":true}")
assert_json "$out" '.result.tasks | length' 31
assert_json "$out" '[.result.tasks[] | select(.status == "succeeded" and (.run_id | startswith("r")))] | length' 31
assert_json "$out" '.result.tasks[30] | .scheduled_time + " " + .logical_date' "2024-01-31T09:00:00Z 2024-01-31"
rid=$(echo "$out" | jq -r '.result.tasks[0].run_id')
assert_json "$(req get_run "{\"run_id\":\"$rid\"}")" '.result | .trigger_type + " " + .backfill_id + " " + .scheduled_time' "backfill $bid 2024-01-01T09:00:00Z"
evs=$(req get_events '{"schedule_id":"daily_report","limit":100}')
assert_json "$evs" "[.result.events[] | select(.backfill_id == \"$bid\" and .trigger_type == \"backfill\")] | length" 31
assert_json "$(req execute_backfill "{\"backfill_id\":\"$bid\"}")" .error.code -32004
no_zombies
ok "seed example: 31 tasks, dates 2024-01-01..31 at 09:00Z, at most $max of 5 at once, wait:true answered at the end"

# ---- time zones: New York across the spring-forward change --------------------
cron_schedule ny "0 9 * * *" UTC '["/bin/true"]'
out=$(req create_backfill '{"schedule_id":"ny","start_date":"2024-03-08","end_date":"2024-03-12","timezone":"America/New_York","dry_run":true}')
got=$(echo "$out" | jq -r '[.result.tasks[].scheduled_time] | join(" ")')
want="2024-03-08T14:00:00Z 2024-03-09T14:00:00Z 2024-03-10T13:00:00Z 2024-03-11T13:00:00Z 2024-03-12T13:00:00Z"
if [ -n "${VIBE_SHARED:-}" ] && [ -f "$VIBE_SHARED/tools/cron_oracle.py" ]; then
	want=$(python3 "$VIBE_SHARED/tools/cron_oracle.py" next "0 9 * * *" America/New_York 2024-03-08T00:00:00 5 --engine ref | tr '\n' ' ' | sed 's/ $//')
fi
assert_eq "$got" "$want" "New York fire times across DST"
assert_json "$out" '[.result.tasks[].logical_date] | join(" ")' "2024-03-08 2024-03-09 2024-03-10 2024-03-11 2024-03-12"
assert_json "$out" .result.timezone America/New_York
# Default zone: the schedule's. Instants and naive times are accepted too.
cron_schedule nyz "30 2 * * *" America/New_York '["/bin/true"]'
out=$(req create_backfill '{"schedule_id":"nyz","start_date":"2024-03-09T00:00:00","end_date":"2024-03-10T12:00:00-04:00","dry_run":true}')
assert_json "$out" '[.result.tasks[].scheduled_time] | join(" ")' "2024-03-09T07:30:00Z 2024-03-10T07:00:00Z"
ok "New York: 14:00Z before the change, 13:00Z after; the gap fires at its end"

# ---- interval schedules: the schedule's own grid ------------------------------
add_json '{"schedule_id":"six","schedule_type":"interval","schedule_definition":{"interval":"6h"},"start_time":"2030-01-01T03:00:00Z","asset_graph":{"name":"g","assets":[{"name":"a","command":["/bin/true"]}]}}'
out=$(req create_backfill '{"schedule_id":"six","start_date":"2024-01-02","end_date":"2024-01-02","timezone":"UTC","dry_run":true}')
assert_json "$out" '[.result.tasks[].scheduled_time] | join(" ")' "2024-01-02T03:00:00Z 2024-01-02T09:00:00Z 2024-01-02T15:00:00Z 2024-01-02T21:00:00Z"
add_json '{"schedule_id":"six2","schedule_type":"interval","schedule_definition":{"interval":"6h"},"asset_graph":{"name":"g","assets":[{"name":"a","command":["/bin/true"]}]}}'
out=$(req create_backfill '{"schedule_id":"six2","start_date":"2024-01-02","end_date":"2024-01-02","timezone":"UTC"}')
assert_json "$out" .result.tasks_total 4
bid6=$(echo "$out" | jq -r .result.backfill_id)
ok "interval 6h over one day: 4 tasks on the grid (start_time in the future, and created_at)"

# ---- the 10,000-task limit ------------------------------------------------------
cron_schedule minutely "* * * * *" UTC '["/bin/true"]'
n0=$(bf_count)
t0=$(date +%s%N)
out=$(req create_backfill '{"schedule_id":"minutely","start_date":"2024-01-01T00:00:00Z","end_date":"2024-01-07T22:39:00Z"}')
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
assert_json "$out" .result.tasks_total 10000
echo "creating 10,000 tasks took $ms ms (client round trip)"
[ "$ms" -lt 2000 ] || fail "creating 10,000 tasks took $ms ms"
bidmax=$(echo "$out" | jq -r .result.backfill_id)
out=$(req create_backfill '{"schedule_id":"minutely","start_date":"2024-01-01T00:00:00Z","end_date":"2024-01-07T22:40:00Z"}')
assert_json "$out" .error.code -32005
assert_json "$out" .error.data.reason limit_exceeded
assert_eq "$(bf_count)" $((n0 + 1)) "backfills after a refused create"
out=$(req create_backfill '{"schedule_id":"minutely","start_date":"2000-01-01","end_date":"2099-12-31","dry_run":true}')
assert_json "$out" .error.code -32005
ok "10,000 tasks accepted ($ms ms), 10,001 refused with -32005 and nothing created"

# ---- refusals -------------------------------------------------------------------------
add_json '{"schedule_id":"onevent","schedule_type":"event","schedule_definition":{"event_type":"x"},"asset_graph":{"name":"g","assets":[{"name":"a","command":["/bin/true"]}]}}'
out=$(req create_backfill '{"schedule_id":"onevent","start_date":"2024-01-01","end_date":"2024-01-02"}')
assert_json "$out" .error.code -32006
assert_json "$out" .error.data.reason not_backfillable
out=$(req create_backfill '{"schedule_id":"ny","start_date":"2024-01-05","end_date":"2024-01-01"}')
assert_json "$out" '.error.code, .error.data.field' "-32602
end_date"
out=$(req create_backfill '{"schedule_id":"ny","start_date":"yesterday","end_date":"2024-01-01"}')
assert_json "$out" '.error.code, .error.data.field' "-32602
start_date"
out=$(req create_backfill '{"schedule_id":"ny","start_date":"2024-01-01","end_date":"2024-13-01"}')
assert_json "$out" .error.data.field end_date
out=$(req create_backfill '{"schedule_id":"ny","start_date":"2024-01-01","end_date":"2024-01-02","timezone":"Mars/Olympus"}')
assert_json "$out" .error.data.field timezone
out=$(req create_backfill '{"schedule_id":"ny","start_date":"2024-01-01","end_date":"2024-01-02","max_parallel":0}')
assert_json "$out" .error.data.field max_parallel
assert_json "$(req create_backfill '{"schedule_id":"nope","start_date":"2024-01-01","end_date":"2024-01-02"}')" .error.code -32001
assert_json "$(req get_backfill '{"backfill_id":"b0"}')" .error.code -32001
assert_eq "$(bf_count)" $((n0 + 1)) "backfills after refusals"
ok "event schedule -32006; bad ranges, zone, max_parallel -32602 with the field; unknown ids -32001"

# ---- dry_run ---------------------------------------------------------------------------
out=$(req create_backfill '{"schedule_id":"daily_report","start_date":"2024-02-01","end_date":"2024-02-29T09:00:00Z","dry_run":true}')
assert_json "$out" '.result.tasks | length' 29
assert_json "$out" .result.backfill_id null
assert_json "$out" '.result.tasks[28] | .scheduled_time + " " + .logical_date + " " + .status' "2024-02-29T09:00:00Z 2024-02-29 pending"
assert_eq "$(bf_count)" $((n0 + 1)) "backfills after a dry run"
ok "dry_run lists the tasks and creates nothing"

# ---- failures, sequential order, retry ---------------------------------------------------
# Fails on even days until $OUT/fixed exists; records what ran.
cron_schedule flaky "0 0 * * *" UTC "\"touch $OUT/running/\$\$; ls $OUT/running | wc -l >>$OUT/conc-seq; echo \$VIBE_LOGICAL_DATE >>$OUT/flaky-runs; sleep 0.05; rm $OUT/running/\$\$; d=\${VIBE_LOGICAL_DATE##*-}; d=\${d#0}; [ -f $OUT/fixed ] || [ \$((d % 2)) -eq 1 ]\""
out=$(req create_backfill '{"schedule_id":"flaky","start_date":"2024-02-01","end_date":"2024-02-10"}')
bidf=$(echo "$out" | jq -r .result.backfill_id)
assert_json "$out" .result.parallel false
res=$(reqw execute_backfill "{\"backfill_id\":\"$bidf\",\"wait\":true}" 60)
assert_json "$res" '.result | [.status, .tasks_succeeded, .tasks_failed] | map(tostring) | join(",")' "failed,5,5"
assert_eq "$(cat "$OUT/flaky-runs" | tr '\n' ' ')" "2024-02-01 2024-02-02 2024-02-03 2024-02-04 2024-02-05 2024-02-06 2024-02-07 2024-02-08 2024-02-09 2024-02-10 " "sequential, oldest first"
assert_eq "$(sort -n "$OUT/conc-seq" | tail -1)" 1 "parallel:false concurrency"
assert_json "$(bf_get "$bidf")" '.result | [.tasks_pending, .tasks_running] | map(tostring) | join(",")' "0,0"
assert_json "$(req execute_backfill "{\"backfill_id\":\"$bidf\"}")" .error.code -32004
: >"$OUT/flaky-runs"; touch "$OUT/fixed"
res=$(reqw retry_backfill "{\"backfill_id\":\"$bidf\",\"wait\":true}" 60)
assert_json "$res" '.result | [.status, .tasks_succeeded, .tasks_failed] | map(tostring) | join(",")' "succeeded,10,0"
assert_eq "$(cat "$OUT/flaky-runs" | tr '\n' ' ')" "2024-02-02 2024-02-04 2024-02-06 2024-02-08 2024-02-10 " "retry re-ran only the failed tasks"
res=$(req retry_backfill "{\"backfill_id\":\"$bidf\"}")
assert_json "$res" .result.status succeeded
ok "failed tasks counted (5 of 10), parallel:false one at a time oldest first, retry re-runs only the 5 failed"

# ---- cancel --------------------------------------------------------------------------------
cron_schedule slow "0 12 * * *" UTC '"sleep 7301"'
bidc=$(req create_backfill '{"schedule_id":"slow","start_date":"2024-01-01","end_date":"2024-01-06","parallel":true,"max_parallel":2}' | jq -r .result.backfill_id)
assert_json "$(req cancel_backfill "{\"backfill_id\":\"$bid6\"}")" .result.status cancelled
assert_json "$(req execute_backfill "{\"backfill_id\":\"$bid6\"}")" .error.code -32004
req execute_backfill "{\"backfill_id\":\"$bidc\"}" >/dev/null
wait_for 10 procs_are 'sleep 7301' 2 || fail "2 slow tasks did not start: $(pgrep -c -f 'sleep 7301')"
sleep 0.3
assert_eq "$(pgrep -cx -f 'sleep 7301')" 2 "slow tasks running with max_parallel 2"
assert_json "$(bf_get "$bidc")" '.result | [.status, .tasks_running, .tasks_pending] | map(tostring) | join(",")' "running,2,4"
out=$(req cancel_backfill "{\"backfill_id\":\"$bidc\"}")
assert_json "$out" .result.status cancelled
wait_for 10 bf_field_is "$bidc" tasks_cancelled 6 || fail "tasks not all cancelled: $(bf_get "$bidc")"
assert_json "$(bf_get "$bidc")" '.result | [.status, .tasks_running, .tasks_pending, .tasks_succeeded] | map(tostring) | join(",")' "cancelled,0,0,0"
pgrep -x -f 'sleep 7301' >/dev/null && fail "a cancelled task's process survived"
assert_json "$(req cancel_backfill "{\"backfill_id\":\"$bidc\"}")" .error.code -32004
assert_json "$(req retry_backfill "{\"backfill_id\":\"$bidc\"}")" .result.tasks_cancelled 6
no_zombies
ok "cancel stops running tasks and cancels pending ones; no process left"

# ---- a deleted schedule ----------------------------------------------------------------------
req delete_schedule '{"schedule_id":"minutely"}' >/dev/null
assert_json "$(bf_get "$bidmax")" .result.tasks_total 10000
assert_json "$(req execute_backfill "{\"backfill_id\":\"$bidmax\"}")" .error.code -32001
assert_json "$(req list_backfills '{"schedule_id":"minutely"}')" '.result.backfills | length' 1
ok "a deleted schedule's backfill stays readable; executing it is not_found"

# ---- vibectl backfill ---------------------------------------------------------------------------
rm -f "$OUT/fixed"
out=$(vibectl backfill create flaky --start 2024-03-01 --end 2024-03-04 --max-parallel 2)
assert_contains "$out" "4 tasks" "vibectl backfill create"
vid=$(echo "$out" | grep -oE 'b[0-9]{13}-[0-9a-f]{6}' | head -1)
[ -n "$vid" ] || fail "no backfill id in: $out"
out=$(vibectl backfill create flaky --start 2024-03-01 --end 2024-03-04 --dry-run)
assert_contains "$out" "2024-03-04T00:00:00Z" "vibectl dry run"
set +e; out=$(vibectl backfill run "$vid" --wait 2>"$T/err"); rc=$?; set -e
assert_eq "$rc" 1 "vibectl backfill run --wait exit code with failures"
assert_contains "$out" "2 of 4 succeeded, 2 failed" "vibectl run --wait result"
assert_contains "$(cat "$T/err")" "2 tasks failed" "vibectl run --wait stderr"
case "$out" in *$'\r'*|*$'\033'*) fail "terminal control characters when not a terminal" ;; esac
assert_contains "$(vibectl backfill get "$vid")" "failed" "vibectl backfill get"
assert_contains "$(vibectl backfill list flaky)" "$vid" "vibectl backfill list"
touch "$OUT/fixed"
out=$(vibectl backfill retry "$vid" --wait) || fail "vibectl backfill retry --wait: $out"
assert_contains "$out" "4 of 4 succeeded, 0 failed" "vibectl retry --wait"
set +e; vibectl backfill cancel "$vid" >/dev/null 2>&1; rc=$?; set -e
assert_eq "$rc" 1 "vibectl backfill cancel of a finished backfill"
assert_json "$(vibectl --json backfill get "$vid")" .status succeeded
ok "vibectl backfill create/run --wait/get/list/retry/cancel"

no_zombies
stop_daemon
ok "daemon stopped cleanly"
