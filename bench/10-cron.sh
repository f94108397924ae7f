#!/bin/bash
# Benchmark of cron_next() (daemon/cron.c) against Debian's python3-croniter
# on the same expressions in America/New_York, chained next() calls from
# 2025-01-01T00:00Z (back to the start every 1,000 fires). Prints a Markdown
# table with the targets: median <= 1 us per next, >= 50x faster than
# croniter. A table, never a timed assertion: exit 0 unless a tool fails.
# Usage: bench/10-cron.sh BUILD_DIR   (cronbench is BUILD_DIR/tests/cronbench)
set -u
build=${1:?usage: bench/10-cron.sh BUILD_DIR}
bench=$build/tests/cronbench
[ -x "$bench" ] || { echo "missing $bench (make BUILD=$build all)" >&2; exit 1; }
py=/usr/bin/python3
if ! "$py" -c 'import croniter, pytz' 2>/dev/null && [ "$(id -u)" = 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		python3-croniter python3-tz >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bench" "${CRON_BENCH_ITERS:-200000}" "${CRON_BENCH_ROUNDS:-9}" \
	>"$tmp/vibe" 2>/dev/null || { echo "cronbench failed" >&2; exit 1; }

# croniter: same expressions, pytz-aware start, get_next() chained; fewer
# iterations (it is about 10^4 times slower per call).
cut -f1 "$tmp/vibe" | awk '{ print $0 "\t" ($0 ~ /29 2/ ? 300 : 2000) }' \
	>"$tmp/exprs"
cat >"$tmp/bench_croniter.py" <<'EOF'
import datetime as dt, statistics, sys, time
import pytz
from croniter import croniter
tz = pytz.timezone("America/New_York")
start = dt.datetime(2025, 1, 1, tzinfo=pytz.utc).astimezone(tz)
rounds = int(sys.argv[1])
for line in sys.stdin:
    expr, iters = line.rstrip("\n").split("\t")
    iters, res = int(iters), []
    for _ in range(rounds):
        it, k = croniter(expr, start), 0
        t0 = time.perf_counter_ns()
        for _ in range(iters):
            it.get_next(dt.datetime)
            k += 1
            if k == 1000:
                it, k = croniter(expr, start), 0
        res.append((time.perf_counter_ns() - t0) / iters)
    print("%s\t%.1f\t%.1f\t%.1f" % (expr, statistics.median(res), min(res), max(res)))
EOF
"$py" "$tmp/bench_croniter.py" 3 <"$tmp/exprs" >"$tmp/croniter" 2>"$tmp/err" ||
	{ echo "croniter: $(tail -n 1 "$tmp/err")" >&2; : >"$tmp/croniter"; }

echo "### cron_next: ns per call, America/New_York (median of rounds [min..max])"
echo
echo "| expression | vibe ns/next | croniter ns/next | ratio | median <= 1 us | >= 50x croniter |"
echo "|---|---|---|---|---|---|"
awk -F'\t' -v cfile="$tmp/croniter" '
BEGIN {
	while ((getline line < cfile) > 0) {
		split(line, f, "\t")
		ci[f[1]] = f[2]; cimin[f[1]] = f[3]; cimax[f[1]] = f[4]
	}
}
{
	if ($1 in ci) {
		cs = sprintf("%.0f [%.0f..%.0f]", ci[$1], cimin[$1], cimax[$1])
		ratio = ci[$1] / $2
		rs = sprintf("%.0fx", ratio)
		fast = ratio >= 50 ? "met" : "not met"
	} else {
		cs = "n/a (python3-croniter missing)"; rs = "n/a"; fast = "n/a"
	}
	printf "| `%s` | %.0f [%.0f..%.0f] | %s | %s | %s | %s |\n", $1, $2,
	       $3, $4, cs, rs, ($2 <= 1000 ? "met" : "not met"), fast
}' "$tmp/vibe"
