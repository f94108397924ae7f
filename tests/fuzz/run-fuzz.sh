#!/bin/bash
# Runs each fuzz target for SECONDS of wall time, FUZZ_JOBS at a time
# (default: all at once, so `make check` spends SECONDS on fuzzing, not
# SECONDS per target), from its checked-in corpus plus a scratch corpus. Fails if any target crashes,
# leaks or trips a sanitizer; the crashing input is left in BUILD/ and
# printed. Usage: run-fuzz.sh BUILD SECONDS TARGET...
set -u
build=$1 secs=$2; shift 2
status=0 pids=() names=()
run() {
	local t=$1 scratch=$build/corpus-$1
	mkdir -p "$scratch"
	"$build/fuzz-$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$build/crash-$t-" -print_final_stats=1 \
		"$scratch" "tests/fuzz/corpus/$t" >"$build/fuzz-$t.log" 2>&1
}
wait_one() {
	local i=$1
	if wait "${pids[$i]}"; then
		echo "fuzz ${names[$i]}: ok ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$build/fuzz-${names[$i]}.log" | grep -o '[0-9]*$') runs in ${secs}s)"
	else
		echo "fuzz ${names[$i]}: FAILED (see $build/fuzz-${names[$i]}.log)"
		tail -n 30 "$build/fuzz-${names[$i]}.log"
		status=1
	fi
}
for t in "$@"; do
	run "$t" &
	pids+=($!) names+=("$t")
	if [ ${#pids[@]} -ge "${FUZZ_JOBS:-$#}" ]; then
		for i in "${!pids[@]}"; do wait_one "$i"; done
		pids=() names=()
	fi
done
for i in "${!pids[@]}"; do wait_one "$i"; done
echo "fuzz: $([ $status = 0 ] && echo "$# passed, 0 failed" || echo "some failed")"
exit $status
