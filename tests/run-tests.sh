#!/bin/bash
# Runs every test of one build: the cmocka unit binaries in BUILD/tests/,
# then every tests/integ/NNN-*.sh (each gets VIBE_BUILD, VIBE_SRC and, when
# it exists, VIBE_SHARED). Prints one line per test program and closes with
# "N passed, N failed". Exit status: 0 only if nothing failed.
# Usage: tests/run-tests.sh BUILD [PATTERN]
set -u
build=${1:?usage: run-tests.sh BUILD [PATTERN]}
pattern=${2:-}
src=$(cd "$(dirname "$0")/.." && pwd)
export VIBE_BUILD="$src/$build" VIBE_SRC="$src"
[ -d "$src/../shared/tools" ] && export VIBE_SHARED="$(cd "$src/../shared" && pwd)"
passed=0 failed=0 failures=""
logdir="$src/$build/test-logs"
mkdir -p "$logdir"

run_one() { # name, command...
	local name=$1; shift
	local log="$logdir/$(basename "$name").log" t0=$SECONDS rc
	"$@" >"$log" 2>&1; rc=$?
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1)); printf 'PASS %-40s %3ds\n' "$name" $((SECONDS - t0))
	else
		failed=$((failed + 1)); failures="$failures $name"
		printf 'FAIL %-40s %3ds (exit %d)\n' "$name" $((SECONDS - t0)) $rc
		tail -n 40 "$log" | sed 's/^/    | /'
	fi
}

for t in "$VIBE_BUILD"/tests/test-*; do
	[ -x "$t" ] || continue
	case "$(basename "$t")" in *"$pattern"*) ;; *) continue ;; esac
	run_one "unit/$(basename "$t")" "$t"
done
for t in "$src"/tests/integ/[0-9]*.sh; do
	[ -f "$t" ] || continue
	case "$(basename "$t")" in *"$pattern"*) ;; *) continue ;; esac
	run_one "integ/$(basename "$t" .sh)" bash "$t"
done
[ -n "$failures" ] && echo "failed:$failures (logs in $logdir)"
echo "$build: $passed passed, $failed failed"
[ $failed -eq 0 ]
