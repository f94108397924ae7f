#!/bin/bash
# A backfill survives its daemon: kill -9 in the middle (20 tasks of 0.5 s,
# max_parallel 2, killed while the 4th pair runs), then a restart resumes
# it; the tasks that were running run again and every date succeeds exactly
# once. The same after a clean SIGTERM stop.
#
# A task records its date only when it completes under a live daemon: its
# last step writes to its stdout, the pipe to the daemon that started it,
# which fails (SIGPIPE/EPIPE) once that daemon is dead -- so an orphan of
# the killed daemon cannot record a success the restarted daemon does not
# know of.
. "$(dirname "$0")/lib.sh"
OUT=$T/out; mkdir -p "$OUT"
start_daemon --max-concurrent-runs 4 --kill-grace-seconds 1

add_json "{\"schedule_id\":\"daily\",\"schedule_type\":\"cron\",\"schedule_definition\":{\"cron_expression\":\"0 6 * * *\"},\"timezone\":\"UTC\",\"asset_graph\":{\"name\":\"g\",\"assets\":[{\"name\":\"a\",\"command\":\"echo \$VIBE_LOGICAL_DATE >>$OUT/starts; sleep 0.5; echo done || exit 1; echo \$VIBE_LOGICAL_DATE >>$OUT/success\"}]}}"

bf_get() { req get_backfill "{\"backfill_id\":\"$1\"}"; }
bf_is() { test "$(bf_get "$1" | jq -r .result.status)" = "$2"; }
starts_at_least() { test "$(cat "$OUT/starts" 2>/dev/null | wc -l)" -ge "$1"; }

# check_once BACKFILL FIRST_DATE N: each of the N dates from FIRST_DATE
# succeeded exactly once as far as the daemon knows (its run records of the
# backfill), and each ran to completion at least once.
check_once() {
	local want got
	want=$(python3 -c "import datetime as d, sys
for i in range($3): print((d.date.fromisoformat('$2') + d.timedelta(i)).isoformat())")
	got=$(grep "^${2%-*}" "$OUT/success" | sort -u)
	[ "$got" = "$want" ] || fail "dates that never completed: $(comm -13 <(echo "$got") <(echo "$want") | head -5)"
	got=$(req list_runs '{"schedule_id":"daily","status":"succeeded","limit":1000}' |
		jq -r ".result.runs[] | select(.backfill_id==\"$1\") | .scheduled_time[0:10]" | sort)
	[ "$got" = "$want" ] || fail "succeeded runs per date: $(echo "$got" | uniq -c | awk '$1 != 1' | head -5) (have $(echo "$got" | wc -l), want $3)"
}

# ---- kill -9 in the middle ----------------------------------------------------------
bid=$(req create_backfill '{"schedule_id":"daily","start_date":"2024-01-01","end_date":"2024-01-20","parallel":true,"max_parallel":2}' | jq -r .result.backfill_id)
req execute_backfill "{\"backfill_id\":\"$bid\"}" >/dev/null
# Pairs start together; the 7th start is the 4th pair: kill while it sleeps.
wait_for 20 starts_at_least 7 || fail "the backfill did not progress"
sleep 0.15
kill9_daemon
done_before=$(wc -l <"$OUT/success")
[ "$done_before" -ge 5 ] && [ "$done_before" -lt 20 ] || fail "$done_before tasks done at the kill"
# The orphans of the dead daemon end without recording a success.
sleep 0.8
assert_eq "$(wc -l <"$OUT/success")" "$done_before" "successes recorded by orphans"

start_daemon --max-concurrent-runs 4 --kill-grace-seconds 1
# The restarted daemon may already have run more tasks by the time we ask,
# so read what it found on disk from its log. It cannot know of more
# successes than the tasks completed; it may know of fewer (killed between
# a task's end and its durable record).
left=$(grep -o "backfill $bid resumes: [0-9]* of 20" "$DAEMON_LOG" | grep -o '[0-9]* of' | cut -d' ' -f1)
[ -n "$left" ] || fail "no resume line in the log"
[ $((20 - left)) -le "$done_before" ] || fail "$((20 - left)) successes on disk, only $done_before completed"
wait_for 30 bf_is "$bid" succeeded || fail "the resumed backfill did not finish: $(bf_get "$bid")"
out=$(bf_get "$bid")
assert_json "$out" '.result | [.tasks_succeeded, .tasks_failed, .tasks_cancelled, .tasks_running, .tasks_pending] | map(tostring) | join(",")' "20,0,0,0,0"
check_once "$bid" 2024-01-01 20
starts=$(wc -l <"$OUT/starts")
[ "$starts" -ge 22 ] || fail "only $starts starts: the killed tasks were not run again"
# The killed runs are failed in the run history; the task state decided the re-run.
assert_json "$(req list_runs '{"schedule_id":"daily","status":"failed"}')" '[.result.runs[] | select(.error == "daemon restarted")] | length >= 2' true
grep -q "backfill $bid resumes" "$DAEMON_LOG" || fail "no resume line in the log"
no_zombies
ok "kill -9 after $done_before of 20: resumed, every date succeeded exactly once ($starts starts)"

# ---- a clean stop (SIGTERM) in the middle ------------------------------------------------
: >"$OUT/starts"
bid2=$(req create_backfill '{"schedule_id":"daily","start_date":"2024-02-01","end_date":"2024-02-10","parallel":true,"max_parallel":2}' | jq -r .result.backfill_id)
req execute_backfill "{\"backfill_id\":\"$bid2\"}" >/dev/null
wait_for 20 starts_at_least 5 || fail "the second backfill did not progress"
sleep 0.15
stop_daemon
grep -q "backfill $bid2: task .* stopped with the daemon" "$DAEMON_LOG" || fail "no stopped task in the log"
start_daemon --max-concurrent-runs 4 --kill-grace-seconds 1
assert_json "$(bf_get "$bid2")" .result.status running
wait_for 30 bf_is "$bid2" succeeded || fail "the backfill did not finish after a clean restart: $(bf_get "$bid2")"
assert_json "$(bf_get "$bid2")" '.result | [.tasks_succeeded, .tasks_failed] | map(tostring) | join(",")' "10,0"
check_once "$bid2" 2024-02-01 10
assert_json "$(bf_get "$bid")" .result.tasks_succeeded 20
no_zombies
ok "SIGTERM mid-backfill: the stopped tasks are not failed; resumed, every date once"
