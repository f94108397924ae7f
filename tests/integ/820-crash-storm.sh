#!/bin/bash
# Crash storm: 4 clients (two one request at a time, two pipelining three)
# send random add/update/pause/resume/delete/trigger_event on their own ids
# while the daemon is killed with SIGKILL 50 times at random moments and
# restarted. After every restart: each acknowledged mutation is on disk and
# served (unless a later acknowledged one superseded it), a mutation whose
# answer was lost is either wholly applied or not at all (every schedule file
# equals a version that was sent), every acknowledged trigger_event is in
# events/_posted.jsonl, and every *.json / *.jsonl file in the state dir
# parses. The model and the checks are in storm.py.
# STORM_KILLS and STORM_SEED override the number of kills and the seed.
. "$(dirname "$0")/lib.sh"

seed=${STORM_SEED:-$(date +%s)}
python3 "$VIBE_SRC/tests/integ/storm.py" "$VIBE_BUILD/vibe-schedd" "$SOCK" \
	"$STATE" "$PIPES" "$DAEMON_LOG" --kills "${STORM_KILLS:-50}" \
	--clients 4 --seed "$seed" | tee "$T/storm.out"
grep -q '^storm: .* kills in' "$T/storm.out" || fail "crash storm failed (seed $seed)"
tears=$(grep -c 'torn tail' "$DAEMON_LOG" || true)
echo "torn tails cut at start: $tears"
ok "crash storm: every acknowledged mutation survived ${STORM_KILLS:-50} kill -9s"
