#!/bin/bash
# Runs the tests of one build: the cmocka unit binaries in BUILD/tests/,
# then every tests/integ/NNN-*.sh (each gets VIBE_BUILD, VIBE_SRC and, when
# it exists, VIBE_SHARED). Integration tests run JOBS at a time (default 3:
# most of their time is spent waiting on real clocks); a test whose first
# lines say "# vibe-test: serial" runs alone afterwards. Prints one line per
# test program and closes with "N passed, N failed". Exit status: 0 only if
# nothing failed.
#
# Usage: tests/run-tests.sh BUILD [PATTERN]
#   UNIT=0 skips the unit tests, INTEG=0 the integration tests;
#   VIBE_VALGRIND=1 runs every daemon under valgrind (tests/integ/lib.sh).
set -u
build=${1:?usage: run-tests.sh BUILD [PATTERN]}
pattern=${2:-}
jobs=${JOBS:-3}
src=$(cd "$(dirname "$0")/.." && pwd)
export VIBE_BUILD="$src/$build" VIBE_SRC="$src"
[ -d "$src/../shared/tools" ] && export VIBE_SHARED="$(cd "$src/../shared" && pwd)"
logdir="$src/$build/test-logs${VIBE_VALGRIND:+-valgrind}"
rm -rf "$logdir"
mkdir -p "$logdir"
passed=0 failed=0 failures=""

# run_one NAME COMMAND...: runs it, writes NAME's log and a result file.
run_one() {
	local name=$1; shift
	local base; base=$(basename "$name")
	local t0=$SECONDS rc
	"$@" >"$logdir/$base.log" 2>&1 </dev/null; rc=$?
	echo "$rc $((SECONDS - t0))" >"$logdir/$base.result"
}

report() { # NAME
	local name=$1 base rc secs
	base=$(basename "$name")
	read -r rc secs <"$logdir/$base.result"
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1)); printf 'PASS %-40s %3ds\n' "$name" "$secs"
	else
		failed=$((failed + 1)); failures="$failures $name"
		printf 'FAIL %-40s %3ds (exit %d)\n' "$name" "$secs" "$rc"
		tail -n 40 "$logdir/$base.log" | sed 's/^/    | /'
	fi
}

matches() { case "$(basename "$1")" in *"$pattern"*) return 0 ;; esac; return 1; }

if [ "${UNIT:-1}" != 0 ]; then
	for t in "$VIBE_BUILD"/tests/test-*; do
		[ -x "$t" ] && matches "$t" || continue
		run_one "unit/$(basename "$t")" "$t"
		report "unit/$(basename "$t")"
	done
fi

if [ "${INTEG:-1}" != 0 ]; then
	parallel=() serial=()
	for t in "$src"/tests/integ/[0-9]*.sh; do
		[ -f "$t" ] && matches "$t" || continue
		if head -n 5 "$t" | grep -q '^# vibe-test: serial'; then
			serial+=("$t")
		else
			parallel+=("$t")
		fi
	done
	declare -A running=()
	for t in "${parallel[@]}"; do
		while [ ${#running[@]} -ge "$jobs" ]; do
			wait -n 2>/dev/null
			for pid in "${!running[@]}"; do
				if ! kill -0 "$pid" 2>/dev/null; then
					report "integ/$(basename "${running[$pid]}" .sh)"
					unset "running[$pid]"
				fi
			done
		done
		run_one "integ/$(basename "$t" .sh)" bash "$t" &
		running[$!]=$t
	done
	for pid in "${!running[@]}"; do
		wait "$pid"
		report "integ/$(basename "${running[$pid]}" .sh)"
	done
	for t in "${serial[@]}"; do
		run_one "integ/$(basename "$t" .sh)" bash "$t"
		report "integ/$(basename "$t" .sh)"
	done
fi

[ -n "$failures" ] && echo "failed:$failures (logs in $logdir)"
echo "$build${VIBE_VALGRIND:+ (valgrind)}: $passed passed, $failed failed"
[ $failed -eq 0 ]
