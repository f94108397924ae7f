#!/bin/bash
# The runner with real child processes: a 4-asset DAG in dependency order
# with the VIBE_* environment and logs; a failing asset skips dependents and
# fails the run; a timeout kills the whole tree, a setsid grandchild
# included; retries back off; max_concurrent_runs=2 holds with 6 runs; no
# zombies at any point.
. "$(dirname "$0")/lib.sh"
start_daemon --max-concurrent-runs 2 --kill-grace-seconds 1
OUT=$T/out; mkdir -p "$OUT"

# A DAG: a -> (b, c) -> d. Each asset records its start and end order.
step() { printf '"echo start %s >>%s/order; env | grep ^VIBE_ | sort >%s/env.%s; echo log-of-%s; sleep 0.3; echo end %s >>%s/order"' "$1" "$OUT" "$OUT" "$1" "$1" "$1" "$OUT"; }
add_json "{\"schedule_id\":\"dag\",\"schedule_type\":\"cron\",\"schedule_definition\":{\"cron_expression\":\"0 0 1 1 *\"},
 \"timezone\":\"America/New_York\",
 \"asset_graph\":{\"name\":\"g\",\"assets\":[
  {\"name\":\"a\",\"command\":$(step a)},
  {\"name\":\"b\",\"command\":$(step b),\"deps\":[\"a\"]},
  {\"name\":\"c\",\"command\":$(step c),\"deps\":[\"a\"],\"env\":{\"EXTRA\":\"x y\"}},
  {\"name\":\"d\",\"command\":$(step d),\"deps\":[\"b\",\"c\"]}]}}"
rid=$(trigger dag)
wait_for 20 run_final "$rid" || fail "dag run did not finish"
assert_eq "$(run_status "$rid")" succeeded "dag run"
order=$(cat "$OUT/order" | tr '\n' ',')
case "$order" in
"start a,end a,start "?",start "?",end "?",end "?",start d,end d,") ;;
*) fail "wrong order: $order" ;;
esac
grep -q "^VIBE_SCHEDULE_ID=dag$" "$OUT/env.d" || fail "VIBE_SCHEDULE_ID: $(cat "$OUT/env.d")"
grep -q "^VIBE_RUN_ID=$rid$" "$OUT/env.d" || fail "VIBE_RUN_ID"
grep -q "^VIBE_ASSET=d$" "$OUT/env.d" || fail "VIBE_ASSET"
grep -q "^VIBE_TRIGGER_TYPE=manual$" "$OUT/env.d" || fail "VIBE_TRIGGER_TYPE"
grep -qE "^VIBE_SCHEDULED_TIME=[0-9-]{10}T[0-9:]{8}-0[45]:00$" "$OUT/env.d" || fail "VIBE_SCHEDULED_TIME in New York: $(grep SCHED "$OUT/env.d")"
grep -qE "^VIBE_LOGICAL_DATE=[0-9]{4}-[0-9]{2}-[0-9]{2}$" "$OUT/env.d" || fail "VIBE_LOGICAL_DATE"
log=$(req get_run_log "{\"run_id\":\"$rid\"}" | jq -r .result.log)
for a in a b c d; do assert_contains "$log" "==> $a <==" "log header"; assert_contains "$log" "log-of-$a" "log"; done
assert_eq "$(req get_run_log "{\"run_id\":\"$rid\",\"asset\":\"c\"}" | jq -r .result.log)" "log-of-c" "one asset's log"
assert_eq "$(vibectl logs "$rid" --asset b)" "log-of-b" "vibectl logs"
out=$(req get_run "{\"run_id\":\"$rid\"}")
assert_eq "$(echo "$out" | jq -r '[.result.assets[].status] | join(",")')" "succeeded,succeeded,succeeded,succeeded" "asset statuses"
no_zombies
ok "4-asset DAG in dependency order, env vars, logs"

# A failing asset: its dependents are skipped and the run fails.
add_json '{"schedule_id":"failing","schedule_type":"cron","schedule_definition":{"cron_expression":"0 0 1 1 *"},
 "asset_graph":{"name":"g","assets":[{"name":"ok1","command":["/bin/true"]},
  {"name":"bad","command":"echo boom >&2; exit 3","deps":["ok1"]},
  {"name":"after","command":["/bin/true"],"deps":["bad"]},
  {"name":"after2","command":["/bin/true"],"deps":["after"]},
  {"name":"indep","command":["/bin/true"]}]}}'
rid=$(trigger failing)
wait_for 20 run_final "$rid" || fail "failing run did not finish"
out=$(req get_run "{\"run_id\":\"$rid\"}")
assert_json "$out" .result.status failed
assert_eq "$(echo "$out" | jq -r '[.result.assets[] | .name + "=" + .status] | join(",")')" \
	"ok1=succeeded,bad=failed,after=skipped,after2=skipped,indep=succeeded" "asset statuses"
assert_json "$out" '.result.assets[1].exit_code' 3
assert_contains "$(req get_run_log "{\"run_id\":\"$rid\",\"asset\":\"bad\"}" | jq -r .result.log)" boom
assert_json "$(req get_last_event '{"schedule_id":"failing"}')" .result.status failed
ok "failing asset skips dependents, run failed"

# A timeout kills the whole tree, a grandchild in a new session included.
add_json "{\"schedule_id\":\"slow\",\"schedule_type\":\"cron\",\"schedule_definition\":{\"cron_expression\":\"0 0 1 1 *\"},
 \"asset_graph\":{\"name\":\"g\",\"assets\":[{\"name\":\"tree\",\"timeout_seconds\":1,
  \"command\":\"sleep 300 & setsid sleep 301 & (trap '' TERM; sleep 302) & echo \$\$ >$OUT/tree.pid; wait\"}]}}"
rid=$(trigger slow)
wait_for 20 run_final "$rid" || fail "timed-out run did not finish"
out=$(req get_run "{\"run_id\":\"$rid\"}")
assert_json "$out" .result.status failed
assert_contains "$(echo "$out" | jq -r '.result.assets[0].error')" "timed out"
sleep 0.5
for s in 300 301 302; do
	if pgrep -f "^sleep $s\$" >/dev/null; then fail "sleep $s survived the timeout"; fi
done
no_zombies
ok "timeout kills the process tree (setsid grandchild and TERM-ignoring child included)"

# A process that left the run's session (setsid, output elsewhere) does not
# outlive a run that ends normally.
add_json '{"schedule_id":"escape","schedule_type":"cron","schedule_definition":{"cron_expression":"0 0 1 1 *"},
 "asset_graph":{"name":"g","assets":[{"name":"e","command":"setsid sleep 304 >/dev/null 2>&1 </dev/null & sleep 0.3; exit 0"}]}}'
rid=$(trigger escape)
wait_for 20 run_final "$rid" || fail "escape run did not finish"
assert_eq "$(run_status "$rid")" succeeded "escape run"
gone() { ! pgrep -f '^sleep 304$' >/dev/null; }
wait_for 5 gone || fail "a setsid escapee survived its run"
ok "a setsid escapee does not outlive its run"

# Retries with doubling delays: fails twice, then succeeds.
add_json "{\"schedule_id\":\"flaky\",\"schedule_type\":\"cron\",\"schedule_definition\":{\"cron_expression\":\"0 0 1 1 *\"},
 \"asset_graph\":{\"name\":\"g\",\"assets\":[{\"name\":\"f\",\"retries\":3,\"retry_delay_seconds\":0.5,
  \"command\":\"date +%s.%N >>$OUT/attempts; [ \$(wc -l <$OUT/attempts) -ge 3 ]\"}]}}"
rid=$(trigger flaky)
wait_for 20 run_final "$rid" || fail "flaky run did not finish"
out=$(req get_run "{\"run_id\":\"$rid\"}")
assert_json "$out" .result.status succeeded
assert_json "$out" '.result.assets[0].attempts' 3
python3 - "$OUT/attempts" <<'PY' || fail "retry delays are not 0.5 s then 1 s"
import sys
t = [float(x) for x in open(sys.argv[1])]
d1, d2 = t[1] - t[0], t[2] - t[1]
assert 0.45 <= d1 < 0.95 and 0.95 <= d2 < 1.9, (d1, d2)
PY
ok "retries with doubling backoff"

# max_concurrent_runs=2: 6 slow runs, never more than 2 at once, all 6 run.
mkdir -p "$OUT/running"
for i in 1 2 3 4 5 6; do
	add_json "{\"schedule_id\":\"conc$i\",\"schedule_type\":\"cron\",\"schedule_definition\":{\"cron_expression\":\"0 0 1 1 *\"},
	 \"asset_graph\":{\"name\":\"g\",\"assets\":[{\"name\":\"s\",\"command\":\"touch $OUT/running/\$\$; ls $OUT/running | wc -l >>$OUT/concurrency; sleep 1.5; rm $OUT/running/\$\$; echo done >>$OUT/done\"}]}}"
done
# All six triggers on one connection (runs start from the next loop turn),
# then the status while the first two still sleep.
for i in 1 2 3 4 5 6; do
	printf '{"jsonrpc":"2.0","id":%d,"method":"run_schedule","params":{"schedule_id":"conc%d"}}\n' $i $i
done | rpc 6 >/dev/null
st=$(req status)
assert_json "$st" .result.runs.running 2
assert_json "$st" .result.runs.queued 4
wait_for 30 lines_at_least 6 "$OUT/done" || fail "not all 6 runs ran"
max=$(sort -n "$OUT/concurrency" | tail -1)
[ "$max" -le 2 ] || fail "$max runs at once with max_concurrent_runs=2"
no_zombies
ok "max_concurrent_runs=2 with 6 runs: at most $max at once, all 6 ran"

# An asset graph with only a name runs PIPELINE_DIR/<name>.
printf '#!/bin/sh\necho "pipeline ran as $VIBE_ASSET"\n' >"$PIPES/report_pipeline"
chmod +x "$PIPES/report_pipeline"
add_json '{"schedule_id":"named","schedule_type":"cron","schedule_definition":{"cron_expression":"0 9 * * *"},"asset_graph":{"name":"report_pipeline"}}'
rid=$(trigger named)
wait_for 20 run_final "$rid" || fail "named pipeline did not finish"
assert_eq "$(run_status "$rid")" succeeded "named pipeline"
assert_contains "$(req get_run_log "{\"run_id\":\"$rid\"}" | jq -r .result.log)" "pipeline ran as report_pipeline"
ok "asset graph with only a name runs PIPELINE_DIR/<name>"

# cancel_run stops a running run.
add_json "{\"schedule_id\":\"long\",\"schedule_type\":\"cron\",\"schedule_definition\":{\"cron_expression\":\"0 0 1 1 *\"},\"asset_graph\":{\"name\":\"g\",\"assets\":[{\"name\":\"s\",\"command\":[\"sleep\",\"303\"]}]}}"
rid=$(trigger long)
run_running() { [ "$(run_status "$1")" = running ]; }
wait_for 10 run_running "$rid" || fail "long run did not start"
assert_json "$(req cancel_run "{\"run_id\":\"$rid\"}")" .result.run_id "$rid"
wait_for 10 run_final "$rid" || fail "cancelled run did not finish"
assert_eq "$(run_status "$rid")" cancelled "cancelled run"
pgrep -f '^sleep 303$' >/dev/null && fail "cancelled process survived"
assert_json "$(req cancel_run "{\"run_id\":\"$rid\"}")" .error.code -32004
no_zombies
ok "cancel_run"

out=$(vibectl runs --limit 3)
assert_contains "$out" long
stop_daemon
ok "clean shutdown"
