#!/bin/bash
# The benchmark driver behind `make bench`: installs the anchors' packages
# if missing (redis-server and redis-tools for redis-benchmark,
# python3-croniter for bench/10-cron.sh), then runs bench/bench.py (control
# round trips, durable writes, fire lateness, run throughput, scale, idle,
# backfill; each figure beside an anchor measured in the same run) and
# bench/10-cron.sh. Prints Markdown tables; writes BUILD_DIR/bench.json and
# bench.md. Never a timed assertion: exit 0 unless a tool is missing.
# Usage: bench/run.sh BUILD_DIR   (BENCH_QUICK=1: short runs for iteration;
# BENCH_ONLY=control,durable,lateness,runs,scale,backfill,cron: a subset)
set -u
build=${1:?usage: bench/run.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
"$src/tests/ensure-deps.sh" redis-server redis-tools python3-croniter python3-tz \
	procps util-linux || exit 1
for b in vibe-schedd tests/benchrpc tests/benchbare tests/benchstamp tests/cronbench; do
	[ -x "$build/$b" ] || { echo "missing $build/$b (make BUILD=$build all)" >&2; exit 1; }
done
fs=$(df -T "$build" | awk 'NR == 2 { print $2 }')
[ "$fs" = tmpfs ] && echo "warning: $build is on tmpfs: fsync costs nothing there" >&2
echo "# machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $fs; $(uptime)" >&2

rc=0
python3 "$here/bench.py" "$build" || rc=1
only=${BENCH_ONLY:-cron}
case ",$only," in
*,cron,*)
	echo
	if [ -n "${BENCH_QUICK:-}" ] && [ "${BENCH_QUICK}" != 0 ]; then
		CRON_BENCH_ITERS=${CRON_BENCH_ITERS:-50000} CRON_BENCH_ROUNDS=${CRON_BENCH_ROUNDS:-3} \
			"$here/10-cron.sh" "$build" | tee "$build/bench-cron.md" || rc=1
	else
		"$here/10-cron.sh" "$build" | tee "$build/bench-cron.md" || rc=1
	fi
	;;
esac
exit $rc
