#!/bin/bash
# Exact firing: an interval 1s schedule fires on its grid (scheduled_time
# values exactly 1 s apart, no drift over 20 fires, each started within
# 50 ms of its scheduled time); a cron "* * * * *" schedule fires within 1 s
# after the minute.
. "$(dirname "$0")/lib.sh"
start_daemon
OUT=$T/out; mkdir -p "$OUT"

add_json "{\"schedule_id\":\"tick\",\"schedule_type\":\"interval\",\"schedule_definition\":{\"interval\":\"1s\"},\"overlap\":\"allow\",
 \"asset_graph\":{\"name\":\"g\",\"assets\":[{\"name\":\"t\",\"command\":\"echo \$VIBE_SCHEDULED_TIME \$(date +%s.%N) >>$OUT/ticks\"}]}}"
add_json "{\"schedule_id\":\"minute\",\"schedule_type\":\"cron\",\"schedule_definition\":{\"cron_expression\":\"* * * * *\"},
 \"asset_graph\":{\"name\":\"g\",\"assets\":[{\"name\":\"m\",\"command\":\"echo \$VIBE_SCHEDULED_TIME \$(date +%s.%N) >>$OUT/minute\"}]}}"
wait_for 40 lines_at_least 21 "$OUT/ticks" || fail "interval did not fire 21 times"
vibectl pause tick >/dev/null
python3 - "$OUT/ticks" <<'PY' || fail "interval fires are not on a 1 s grid"
import sys, datetime as dt
rows = [l.split() for l in open(sys.argv[1])][:21]
sched = [dt.datetime.fromisoformat(r[0]).timestamp() for r in rows]
start = [float(r[1]) for r in rows]
gaps = {round(b - a, 6) for a, b in zip(sched, sched[1:])}
assert gaps == {1.0}, gaps
late = [s - t for s, t in zip(start, sched)]
assert all(0 <= x < 0.5 for x in late), late
print("interval lateness (start of the child's shell - scheduled): max %.1f ms" % (max(late) * 1000))
PY
evs=$(req get_events '{"schedule_id":"tick","limit":1000}')
n=$(echo "$evs" | jq '[.result.events[] | select(.trigger_type=="scheduled")] | length')
[ "$n" -ge 21 ] || fail "only $n scheduled events in history"
ok "interval 1s fires exactly on its grid (21 fires)"

wait_for 70 test -s "$OUT/minute" || fail "cron * * * * * did not fire within 70 s"
python3 - "$OUT/minute" <<'PY' || fail "cron fire not within 1 s after the minute"
import sys, datetime as dt
s, t = open(sys.argv[1]).readline().split()
sched = dt.datetime.fromisoformat(s).timestamp()
assert sched % 60 == 0, s
assert 0 <= float(t) - sched < 1.0, float(t) - sched
print("cron lateness: %.1f ms" % ((float(t) - sched) * 1000))
PY
assert_json "$(req get_last_event '{"schedule_id":"minute"}')" .result.trigger_type scheduled
no_zombies
ok "cron * * * * * fires within 1 s after the minute"
