#!/bin/bash
# vibe-test: serial (creates users and reuses a uid; other tests add users)
# Privileges with a root daemon and real users (DESIGN §5, §7): two
# throwaway users A and B (own groups, A with a supplementary group) talk
# to a 0666 socket. A sees and changes none of B's schedules, runs, logs,
# events or backfills (-32001 not_found, as if they did not exist); A's
# pipeline runs with A's uid, gid, groups and passwd environment; only
# root may set run_as (to someone else); B's event schedules react to A's
# events only with accept_from; admin methods need root; uid 65534 is
# refused at connect; a deleted owner's schedule does not run and says why.
# Needs root (useradd, runuser); skips with a reason otherwise.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "skip: needs root (creates users, runs clients as them)"; exit 0
fi
for t in useradd userdel groupadd groupdel runuser getent; do
	command -v $t >/dev/null || { echo "skip: $t not installed"; exit 0; }
done
PY=/usr/bin/python3	# the system one: a pyenv shim under /root is unreadable to users
[ -x "$PY" ] || PY=$(command -v python3)
RAW=$VIBE_SRC/tests/integ/rawclient.py

UA=vsa$$ UB=vsb$$ UC=vsc$$ GX=vsx$$
chmod 755 "$T"
mkdir -p "$T/home"; chmod 755 "$T/home"
OUT=$T/out; mkdir -p "$OUT"; chmod 1777 "$OUT"

drop_users() {
	local rc=$?
	if [ -n "$DPID" ]; then
		kill -TERM "$DPID" 2>/dev/null || true
		wait "$DPID" 2>/dev/null || true
		DPID=
	fi
	for u in "$UA" "$UB" "$UC"; do
		getent passwd "$u" >/dev/null && userdel -r -f "$u" >/dev/null 2>&1
	done
	getent group "$GX" >/dev/null && groupdel "$GX"
	set +e; (exit $rc)
	cleanup
}
trap drop_users EXIT

groupadd "$GX"
useradd -m -d "$T/home/$UA" -U -G "$GX" -s /bin/bash "$UA"
useradd -m -d "$T/home/$UB" -U -s /bin/sh "$UB"
useradd -m -d "$T/home/$UC" -U -s /bin/sh "$UC"
[ "$(id -g "$UA")" != "$(id -g "$UB")" ] || fail "A and B share a primary group"

start_daemon --socket-mode 0666 --max-concurrent-runs 10

# as USER METHOD [PARAMS]: one request on the socket as USER; the answer.
as() {
	printf '{"jsonrpc":"2.0","id":1,"method":"%s","params":%s}\n' "$2" "${3:-{\}}" |
		runuser -u "$1" -- "$PY" "$RAW" "$SOCK"
}
# expect_code USER METHOD PARAMS CODE: the call fails with CODE.
expect_code() {
	local out
	out=$(as "$1" "$2" "$3")
	[ "$(echo "$out" | jq -r '.error.code')" = "$4" ] ||
		fail "$1 $2 $3: expected error $4, got: $out"
}
# sched ID TYPE DEFINITION_JSON SHELL_COMMAND [EXTRA_JSON]: a Schedule.
sched() {
	jq -cn --arg id "$1" --arg type "$2" --argjson d "$3" --arg cmd "$4" \
		--argjson extra "${5:-{\}}" \
		'{schedule_id:$id, schedule_type:$type, schedule_definition:$d,
		  overlap:"allow", asset_graph:{name:"g", assets:[{name:"a", command:$cmd}]}} + $extra'
}
add_as() { # USER SCHEDULE_JSON
	local out
	out=$(as "$1" add_schedule "{\"schedule\":$2}")
	echo "$out" | jq -e .result >/dev/null || fail "$1 add_schedule: $out"
	echo "$out"
}
trigger_as() { as "$1" run_schedule "{\"schedule_id\":\"$2\"}" | jq -r .result.run_id; }

CRON='{"cron_expression":"0 0 1 1 *"}'
IDCMD="{ id -u; id -g; id -G; echo \"\$HOME|\$USER|\$LOGNAME|\$SHELL\"; } >$OUT/\$VIBE_SCHEDULE_ID"
out=$(add_as "$UA" "$(sched a_cron cron "$CRON" "$IDCMD")")
assert_json "$out" .result.owner "$UA"
add_as "$UA" "$(sched a_ev event '{"event_type":"sec_ev"}' "echo \"\$VIBE_EVENT_SOURCE \$(id -un)\" >>$OUT/a_ev")" >/dev/null
add_as "$UB" "$(sched b_cron cron "$CRON" "echo b-secret")" >/dev/null
add_as "$UB" "$(sched b_slow cron "$CRON" "echo b-slow-secret; sleep 30")" >/dev/null
add_as "$UB" "$(sched b_ev_acc event "{\"event_type\":\"sec_ev\",\"accept_from\":[\"$UA\"],\"filter\":{\"k\":\"yes\"}}" \
	"echo \"\$VIBE_EVENT_SOURCE \$(id -un)\" >>$OUT/b_ev_acc")" >/dev/null
add_as "$UB" "$(sched b_ev_noacc event '{"event_type":"sec_ev"}' "echo \"\$VIBE_EVENT_SOURCE \$(id -un)\" >>$OUT/b_ev_noacc")" >/dev/null
ok "A and B add schedules over the 0666 socket"

# ---- schedules: B's do not exist for A --------------------------------
assert_eq "$(as "$UA" list_schedules | jq -r '[.result.schedules[].schedule_id] | join(",")')" "a_cron,a_ev" "A's list"
assert_eq "$(as "$UB" list_schedules | jq -r '[.result.schedules[].schedule_id] | join(",")')" "b_cron,b_ev_acc,b_ev_noacc,b_slow" "B's list"
assert_eq "$(req list_schedules | jq -r '.result.schedules | length')" 6 "root's list"
B='{"schedule_id":"b_cron"}'
for m in get_schedule pause_schedule resume_schedule delete_schedule run_schedule \
	get_events get_last_event next_fire_times list_runs; do
	expect_code "$UA" $m "$B" -32001
done
expect_code "$UA" update_schedule "{\"schedule\":$(sched b_cron cron "$CRON" "echo hijacked")}" -32001
expect_code "$UA" add_schedule "{\"schedule\":$(sched b_cron cron "$CRON" "echo hijacked")}" -32002
out=$(as "$UA" get_schedule '{"schedule_id":"b_nonexistent"}')
assert_eq "$(echo "$out" | jq -r .error.message)" "schedule 'b_nonexistent' not found" "missing id message"
assert_eq "$(as "$UA" get_schedule "$B" | jq -r .error.message)" "schedule 'b_cron' not found" "B's id looks missing"
out=$(as "$UB" get_schedule "$B")
assert_json "$out" .result.status active
assert_json "$out" '.result.asset_graph.assets[0].command' "echo b-secret"
assert_eq "$(as "$UB" get_events "$B" | jq '.result.events | length')" 0 "A's run_schedule left no event"
ok "A gets not_found for get/pause/resume/delete/update/run/get_events/next_fire_times on B's schedule; B's is untouched"

# ---- runs: B's are invisible to A -------------------------------------
rb=$(trigger_as "$UB" b_cron)
rslow=$(trigger_as "$UB" b_slow)
ra=$(trigger_as "$UA" a_cron)
wait_for 10 run_final "$rb" || fail "B's run did not finish"
wait_for 10 run_final "$ra" || fail "A's run did not finish"
assert_eq "$(run_status "$rslow")" running "B's slow run"
assert_eq "$(as "$UA" list_runs | jq -r '[.result.runs[].run_id] | join(",")')" "$ra" "A's list_runs"
assert_eq "$(as "$UB" list_runs | jq -r '[.result.runs[].run_id] | sort | join(",")')" \
	"$(printf '%s\n' "$rb" "$rslow" | sort | paste -sd,)" "B's list_runs"
for r in "$rb" "$rslow"; do
	for m in get_run get_run_log cancel_run; do
		expect_code "$UA" $m "{\"run_id\":\"$r\"}" -32001
	done
done
assert_eq "$(run_status "$rslow")" running "B's run after A's cancel_run"
assert_contains "$(as "$UB" get_run_log "{\"run_id\":\"$rb\"}" | jq -r .result.log)" b-secret "B reads its log"
assert_json "$(as "$UB" cancel_run "{\"run_id\":\"$rslow\"}")" .result.run_id "$rslow"
wait_for 10 run_final "$rslow" || fail "B's cancel did not end the run"
ok "A's list_runs omits B's runs; get_run/get_run_log/cancel_run of B's runs -> not_found"

# ---- A's pipeline runs as A --------------------------------------------
IFS=: read -r _ _ _ _ _ ahome ashell < <(getent passwd "$UA")
assert_eq "$(run_status "$ra")" succeeded "A's run"
assert_eq "$(sed -n 1p "$OUT/a_cron")" "$(id -u "$UA")" "uid"
assert_eq "$(sed -n 2p "$OUT/a_cron")" "$(id -g "$UA")" "gid"
assert_eq "$(sed -n 3p "$OUT/a_cron" | tr ' ' '\n' | sort -n | paste -sd' ')" \
	"$(id -G "$UA" | tr ' ' '\n' | sort -n | paste -sd' ')" "groups"
case " $(sed -n 3p "$OUT/a_cron") " in *" $(getent group "$GX" | cut -d: -f3) "*) ;; *) fail "supplementary group missing: $(cat "$OUT/a_cron")" ;; esac
case " $(sed -n 3p "$OUT/a_cron") " in *" 0 "*) fail "A's run kept group 0: $(cat "$OUT/a_cron")" ;; esac
assert_eq "$(sed -n 4p "$OUT/a_cron")" "$ahome|$UA|$UA|$ashell" "HOME|USER|LOGNAME|SHELL"
assert_eq "$(stat -c %U "$OUT/a_cron")" "$UA" "file owner"
ok "A's pipeline ran as uid $(id -u "$UA"), gid $(id -g "$UA"), groups $(id -G "$UA"), HOME/USER/LOGNAME/SHELL from passwd"

# ---- run_as ---------------------------------------------------------------
for who in "$UB" root; do
	out=$(as "$UA" add_schedule "{\"schedule\":$(sched a_runas cron "$CRON" "$IDCMD" "{\"run_as\":\"$who\"}")}")
	assert_json "$out" .error.code -32003
	out=$(as "$UA" update_schedule "{\"schedule\":$(sched a_cron cron "$CRON" "$IDCMD" "{\"run_as\":\"$who\"}")}")
	assert_json "$out" .error.code -32003
done
assert_json "$(as "$UA" get_schedule '{"schedule_id":"a_cron"}')" .result.run_as null
add_as "$UA" "$(sched a_self cron "$CRON" "$IDCMD" "{\"run_as\":\"$UA\"}")" >/dev/null
add_json "$(sched r_as_a cron "$CRON" "$IDCMD" "{\"run_as\":\"$UA\"}")"
r1=$(trigger_as "$UA" a_self); r2=$(trigger r_as_a)
wait_for 10 run_final "$r1" || fail "a_self did not finish"
wait_for 10 run_final "$r2" || fail "r_as_a did not finish"
assert_eq "$(sed -n 1p "$OUT/a_self")" "$(id -u "$UA")" "a_self uid"
assert_eq "$(sed -n 1p "$OUT/r_as_a")" "$(id -u "$UA")" "root's run_as A uid"
assert_eq "$(sed -n 4p "$OUT/r_as_a")" "$ahome|$UA|$UA|$ashell" "root's run_as A environment"
expect_code "$UA" get_schedule '{"schedule_id":"r_as_a"}' -32001
ok "A cannot set run_as to B or root (-32003), may set itself; root's run_as A runs as A"

# ---- backfills ----------------------------------------------------------
out=$(as "$UB" create_backfill '{"schedule_id":"b_cron","start_date":"2020-01-01","end_date":"2022-12-31"}')
bf=$(echo "$out" | jq -r .result.backfill_id)
[ -n "$bf" ] && [ "$bf" != null ] || fail "B's create_backfill: $out"
expect_code "$UA" create_backfill '{"schedule_id":"b_cron","start_date":"2020-01-01","end_date":"2022-12-31"}' -32001
expect_code "$UA" create_backfill '{"schedule_id":"b_cron","start_date":"2020-01-01","end_date":"2022-12-31","dry_run":true}' -32001
for m in get_backfill execute_backfill cancel_backfill retry_backfill; do
	expect_code "$UA" $m "{\"backfill_id\":\"$bf\"}" -32001
done
assert_eq "$(as "$UA" list_backfills | jq '.result.backfills | length')" 0 "A's list_backfills"
assert_eq "$(as "$UA" list_backfills "$B" | jq '.result.backfills | length')" 0 "A's list_backfills of b_cron"
assert_eq "$(as "$UB" list_backfills | jq -r '[.result.backfills[].backfill_id] | join(",")')" "$bf" "B's list_backfills"
assert_json "$(as "$UB" get_backfill "{\"backfill_id\":\"$bf\"}")" .result.status pending
ok "B's backfills are invisible to A (create/get/execute/cancel/retry -> not_found)"

# ---- events: accept_from --------------------------------------------------
post_as() { # USER SOURCE K [TYPE]
	local out
	out=$(as "$1" trigger_event "{\"event_type\":\"${4:-sec_ev}\",\"source\":\"$2\",\"event_data\":{\"k\":\"$3\"}}")
	echo "$out" | jq -e .result >/dev/null || fail "$1 trigger_event: $out"
	echo "$out" | jq -r '.result.triggered | join(",")'
}
assert_eq "$(post_as "$UA" A-yes yes)" "a_ev,b_ev_acc" "A's matching event"
assert_eq "$(post_as "$UA" A-no no)" "a_ev" "A's event failing B's filter"
assert_eq "$(post_as "$UA" A-other yes sec_other)" "" "A's event of another type"
assert_eq "$(post_as "$UB" B-yes yes)" "b_ev_acc,b_ev_noacc" "B's event"
assert_eq "$(post_as root root yes)" "a_ev,b_ev_acc,b_ev_noacc" "root's event"
wait_for 10 lines_at_least 3 "$OUT/a_ev" || fail "a_ev runs: $(cat "$OUT/a_ev" 2>&1)"
wait_for 10 lines_at_least 3 "$OUT/b_ev_acc" || fail "b_ev_acc runs: $(cat "$OUT/b_ev_acc" 2>&1)"
wait_for 10 lines_at_least 2 "$OUT/b_ev_noacc" || fail "b_ev_noacc runs: $(cat "$OUT/b_ev_noacc" 2>&1)"
sleep 0.5
assert_eq "$(sort "$OUT/a_ev" | paste -sd,)" "A-no $UA,A-yes $UA,root $UA" "a_ev ran for"
assert_eq "$(sort "$OUT/b_ev_acc" | paste -sd,)" "A-yes $UB,B-yes $UB,root $UB" "b_ev_acc ran for"
assert_eq "$(sort "$OUT/b_ev_noacc" | paste -sd,)" "B-yes $UB,root $UB" "b_ev_noacc ran for"
ok "B's event schedule reacts to A only with accept_from [A] (and its filter), as B; root's events reach all"

# ---- a schedule id deleted by B and taken by A ---------------------------------
add_as "$UB" "$(sched reused cron "$CRON" "echo reused-b-secret; sleep 0.2")" >/dev/null
add_as "$UB" "$(sched reused2 cron "$CRON" "echo reused2-b-secret; trap '' TERM; sleep 3")" >/dev/null
rold=$(trigger_as "$UB" reused)
wait_for 10 run_final "$rold" || fail "B's reused run did not finish"
rlive=$(trigger_as "$UB" reused2)
run_is_running() { [ "$(run_status "$1")" = running ]; }
wait_for 5 run_is_running "$rlive" || fail "reused2 not running"
as "$UB" delete_schedule '{"schedule_id":"reused"}' | jq -e .result.deleted >/dev/null || fail "B's delete"
as "$UB" delete_schedule '{"schedule_id":"reused2"}' | jq -e .result.deleted >/dev/null || fail "B's delete 2"
add_as "$UA" "$(sched reused cron "$CRON" "echo a")" >/dev/null
# The id is free at once, though B's cancelled run is still ending: that
# run stays B's and leaves nothing under the id when it ends.
add_as "$UA" "$(sched reused2 cron "$CRON" "echo a")" >/dev/null
expect_code "$UA" get_run "{\"run_id\":\"$rlive\"}" -32001
run_over() { [ "$(run_status "$1")" != running ]; }
wait_for 15 run_over "$rlive" || fail "B's cancelled run did not end"
for r in "$rold" "$rlive"; do
	for m in get_run get_run_log cancel_run; do
		expect_code "$UA" $m "{\"run_id\":\"$r\"}" -32001
	done
done
for id in reused reused2; do
	assert_eq "$(as "$UA" list_runs "{\"schedule_id\":\"$id\"}" | jq '.result.runs | length')" 0 "A's runs of $id"
	assert_eq "$(as "$UA" get_events "{\"schedule_id\":\"$id\"}" | jq '.result.events | length')" 0 "A's events of $id"
done
ok "a schedule id B deleted is A's at once, without B's runs (ending or ended) or history"

# ---- admin methods, the overflow uid ----------------------------------------
expect_code "$UA" stop '{}' -32003
expect_code "$UA" start '{}' -32003
assert_json "$(req is_running)" .result.running true
# Read only: the daemon may close before a write would land (EPIPE).
out=$(runuser -u nobody -- "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
print(s.makefile().readline().strip())' "$SOCK") || true
assert_json "$out" .error.code -32003
assert_contains "$out" 65534
assert_json "$(as "$UA" ping)" .result.version "$(req ping | jq -r .result.version)"
ok "stop/start by A -> permission_denied; uid 65534 refused at connect"

# ---- a deleted owner -----------------------------------------------------------
add_as "$UC" "$(sched c_sched cron "$CRON" "touch $OUT/c_ran")" >/dev/null
cuid=$(id -u "$UC")
userdel -r -f "$UC" >/dev/null 2>&1 || true
! getent passwd "$UC" >/dev/null || fail "userdel $UC"
rc=$(trigger c_sched)
wait_for 10 run_final "$rc" || fail "c_sched run did not end"
out=$(req get_run "{\"run_id\":\"$rc\"}")
assert_json "$out" .result.status failed
err=$(echo "$out" | jq -r .result.error)
assert_contains "$err" "'$UC'" "the run's error names the missing owner"
assert_contains "$err" "uid $cuid does not exist" "the run's error says why"
[ ! -e "$OUT/c_ran" ] || fail "the deleted user's pipeline ran"
assert_contains "$(req get_last_event '{"schedule_id":"c_sched"}' | jq -r .result.error)" "$UC" "event error"
ok "a deleted owner's schedule does not run: $err"

# The deleted owner's uid handed to a new user (useradd picks the lowest
# free uid): the new user does not inherit C's pipeline.
UD=vsd$$
useradd -M -u "$cuid" -U -s /bin/sh "$UD"
UC=$UD	# drop_users removes it
rc=$(trigger c_sched)
wait_for 10 run_final "$rc" || fail "c_sched run did not end"
out=$(req get_run "{\"run_id\":\"$rc\"}")
assert_json "$out" .result.status failed
err=$(echo "$out" | jq -r .result.error)
assert_contains "$err" "is now user '$UD'" "uid reuse"
[ ! -e "$OUT/c_ran" ] || fail "the deleted user's pipeline ran as the uid's new user"
ok "a reused uid does not run the deleted owner's pipeline: $err"
no_zombies
stop_daemon
