#!/usr/bin/env python3
"""Draws random cron queries and answers them with the reference oracle.

Writes lines EXPR<TAB>ZONE<TAB>START<TAB>N<TAB>EXPECTED, where EXPECTED is
what `cron_oracle.py batch` prints for EXPR<TAB>ZONE<TAB>START<TAB>N: the N
next fires (UTC, space-separated) or 'error: MESSAGE'. The first line is a
'#' comment giving the command that regenerates the file.

Queries: random expressions in the grammar common to the oracle's strict
mode and vibe-schedd (every item form: *, */s, n, a-b, a-b/s, lists;
starred, restricted and full-range day fields, so both Vixie day rules are
exercised; no names, no 7 for Sunday, no @macros, which only vibe-schedd
accepts) plus about 15% invalid ones, crossed with the zones below and start
times near UTC-offset transitions (a few hours either side) or drawn at
random between 1900 and 2100; N is 1 to 5. Near a transition, 70% of the
valid expressions name the wall hours it skips or repeats (fixed-time and
wildcard), so the DST policy decides the answer.

Error messages: vibe-schedd words its messages like the oracle and may
append a hint in parentheses. The comparison (tests/integ/010-cron-
differential.sh) therefore requires, for an invalid expression, that our
message equal the oracle's or be the oracle's followed by " (...)". Valid
expressions must match exactly.

Python standard library only. Usage:
  gen-cron-vectors.py [--seed N] [--count N] [--oracle PATH] [--out FILE]
  gen-cron-vectors.py --queries-only ...   (print the queries, no oracle)
"""

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe",
         "Asia/Kolkata", "Pacific/Apia", "UTC"]
FIELDS = [("minute", 0, 59), ("hour", 0, 23), ("day-of-month", 1, 31),
          ("month", 1, 12), ("day-of-week", 0, 6)]
HOT = {0: [0, 15, 30, 45, 59, 5, 1], 1: [0, 1, 2, 3, 4, 23, 12],
       2: [1, 2, 8, 15, 28, 29, 30, 31], 3: [1, 2, 3, 4, 9, 10, 11, 12],
       4: [0, 1, 5, 6]}
STAR_P = {0: 0.12, 1: 0.25, 2: 0.5, 3: 0.7, 4: 0.5}
CURATED = [
    "30 2 * * *", "30 1 * * *", "0 2 * * *", "0 3 * * *", "0 1 * * *",
    "59 1 * * *", "15 2 * * 0", "0 0 * * *", "*/30 * * * *",
    "*/15 1-3 * * *", "0 * * * *", "0 */2 * * *", "30 */3 * * *",
    "0 1,2,3 * * *", "30 1-3 * * *", "0,30 2 * * *", "45 1 * * 0",
    "30 9 * * 1-5", "0 12 1 * 1", "0 0 29 2 *", "0 0 1-7 * 1",
    "0 0 */2 * 1", "0 0 1 * */2", "5 2 * 3,10,11 *", "0 0 * * 0",
    "*/5 2 * * *", "0 0-23/6 * * *", "0 0 1,15 * 5", "0 4 * * *",
    "30 0 * * *", "0 0 * * 6", "0 0 1-31 * 1", "0 0 1 * 0-6",
    "0 2 * * 1-5", "30 2 * * 0", "0 9 30 * *", "0 0 29 2 */5",
    "0 0 29 2 1", "15 1 29 2 0", "0 9 * * *", "* * * * *", "* 2 * * *",
    "*/7 1-3 * * *", "0 0 31 * *", "0 12 31 2,4,6,9,11,12 *",
    "0 0 *,5 * 1", "0 0 5,* * 1", "0 0 1-31 * 0-6", "*/1 */1 */1 */1 */1",
]
INVALID_FIELD = {
    0: ["60", "99", "0-60", "61-62", "*/60", "*/0", "5/15", "7-3", "1,,2",
        "?", "L", "*/", "/5", "x", "1-", "-1", "1-2-3", "**", "5#2", "0/0"],
    1: ["24", "*/24", "23-1", "2/3", "1,", ",1", "H", "0-24/2", "1-5/0"],
    2: ["0", "32", "*/31", "31-1", "L", "15W", "LW", "?", "1/2/3", "5L",
        "1-32", "10/5"],
    3: ["0", "13", "*/12", "12-1", "JANUARY", "1-13", "3/2", "?"],
    4: ["8", "9-10", "*/7", "6-1", "1#2", "5L", "?", "1/2", "0-8", "L"],
}
NEVER = ["0 0 30 2 *", "0 0 31 4,6,9,11 *", "15 3 30,31 2 *",
         "0 0 31 2,4 */2", "* * 31 9 *", "0 12 30-31 2 1-5"]


def rand_value(rng, idx):
    lo, hi = FIELDS[idx][1], FIELDS[idx][2]
    return rng.choice(HOT[idx]) if rng.random() < 0.7 else rng.randint(lo, hi)


def rand_item(rng, idx):
    lo, hi = FIELDS[idx][1], FIELDS[idx][2]
    k = rng.random()
    if k < 0.40:
        return str(rand_value(rng, idx))
    if k < 0.62:
        a, b = sorted((rand_value(rng, idx), rand_value(rng, idx)))
        return "%d-%d" % (a, b)
    if k < 0.82:
        a, b = sorted((rand_value(rng, idx), rand_value(rng, idx)))
        if a == b:
            b = hi
        return "%d-%d/%d" % (a, b, rng.randint(1, max(1, min(hi - lo, 12))))
    return "*/%d" % rng.choice([1, 2, 3, 5, 6, 7, 10, 15, 20, 30, 45, 59]
                                [: {0: 12, 1: 8, 2: 7, 3: 5, 4: 4}[idx]])


def rand_field(rng, idx):
    lo, hi = FIELDS[idx][1], FIELDS[idx][2]
    if rng.random() < STAR_P[idx]:
        return "*"
    k = rng.random()
    if k < 0.04:
        return "%d-%d" % (lo, hi)  # restricted text, full set
    if k < 0.07:
        return "*,%d" % rand_value(rng, idx)  # starred text, a list
    if k < 0.75:
        return rand_item(rng, idx)
    items = [rand_item(rng, idx) for _ in range(rng.randint(2, 4))]
    return ",".join(items)


def fires_ever(expr):
    """Cheap model of the 'never fires' rule (valid expressions only)."""
    f = expr.split()
    doms, months = expand(f[2], 2), expand(f[3], 3)
    if not f[2].startswith("*") and not f[4].startswith("*"):
        return True
    maxd = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return any(d <= maxd[m] for m in months for d in doms)


def expand(text, idx):
    lo, hi = FIELDS[idx][1], FIELDS[idx][2]
    out = set()
    for item in text.split(","):
        base, _, step = item.partition("/")
        a, b = (lo, hi) if base == "*" else map(int, (base.split("-") * 2)[:2])
        out.update(range(a, b + 1, int(step or 1)))
    return out


def rand_valid(rng):
    while True:
        e = " ".join(rand_field(rng, i) for i in range(5))
        if fires_ever(e):
            return e


def rand_invalid(rng):
    k = rng.random()
    if k < 0.12:
        return rng.choice(NEVER)
    f = rand_valid(rng).split()
    if k < 0.22:
        n = rng.choice([0, 1, 3, 4, 6, 7])
        f = (f + ["*", "1", "2"])[:n]
        return " ".join(f)
    idx = rng.randrange(5)
    f[idx] = rng.choice(INVALID_FIELD[idx])
    if rng.random() < 0.3 and idx != 0:  # an error after a valid list
        f[idx] = "1," + f[idx]
    return " ".join(f)


def transitions(zone, y1, y2):
    """UTC instants of offset changes of ZONE in [y1, y2] (6 h scan)."""
    tz = ZoneInfo(zone)
    out, step = [], dt.timedelta(hours=6)
    t = dt.datetime(y1, 1, 1, tzinfo=UTC)
    end = dt.datetime(y2 + 1, 1, 1, tzinfo=UTC)
    prev = t.astimezone(tz).utcoffset()
    while t < end:
        n = t + step
        off = n.astimezone(tz).utcoffset()
        if off != prev:
            lo, hi = t, n
            while hi - lo > dt.timedelta(seconds=1):
                mid = (lo + (hi - lo) / 2).replace(microsecond=0)
                if mid.astimezone(tz).utcoffset() == prev:
                    lo = mid
                else:
                    hi = mid
            out.append(hi)
            prev = off
        t = n
    return out


def zone_transitions():
    spans = {"Pacific/Apia": [(2009, 2022)], "Europe/London": [(1940, 1948),
             (1968, 1972), (2018, 2045)], "America/New_York": [(1965, 1975),
             (2005, 2009), (2020, 2045)], "Australia/Lord_Howe": [(1981, 1987),
             (2020, 2045)], "Asia/Kolkata": [(1941, 1946)], "UTC": []}
    out = {}
    for z in ZONES:
        out[z] = [t for y1, y2 in spans[z] for t in transitions(z, y1, y2)]
    return out


def rand_start(rng, trs):
    """A start time, and the transition it is near (or None)."""
    if trs and rng.random() < 0.7:
        t = rng.choice(trs)
        k = rng.random()
        if k < 0.5:  # on a 15-minute grid around the transition
            off = dt.timedelta(minutes=15 * rng.randint(-16, 16))
        elif k < 0.8:
            off = dt.timedelta(seconds=rng.randint(-6 * 3600, 6 * 3600))
        else:
            off = dt.timedelta(hours=-rng.randint(20, 50))
        return t + off, t
    k = rng.random()
    lo, hi = (1900, 2100) if k < 0.15 else (1970, 2060)
    a = dt.datetime(lo, 1, 1, tzinfo=UTC).timestamp()
    b = dt.datetime(hi, 1, 1, tzinfo=UTC).timestamp()
    s = rng.randint(int(a), int(b))
    if rng.random() < 0.5:
        s -= s % 60
    return dt.datetime.fromtimestamp(s, UTC), None


def dst_expr(rng, zone, tr):
    """An expression whose hours touch the wall hours skipped or repeated
    at transition TR, fixed-time or wildcard, so the DST policy matters."""
    tz = ZoneInfo(zone)
    h0 = (tr - dt.timedelta(seconds=1)).astimezone(tz).hour
    h1 = tr.astimezone(tz).hour
    lo, hi = min(h0, h1), max(h0, h1)
    k = rng.random()
    if k < 0.35:
        hour = str(rng.randint(lo, hi))
    elif k < 0.55:
        hour = "%d-%d" % (max(0, lo - rng.randint(0, 1)), min(23, hi + rng.randint(0, 1)))
    elif k < 0.75:
        hs = {rng.randint(lo, hi), rng.randint(max(0, lo - 1), min(23, hi + 1))}
        hour = ",".join(map(str, sorted(hs)))
    elif k < 0.9:
        hour = "*"
    else:
        hour = "*/%d" % rng.choice([1, 2, 3])
    k = rng.random()
    if k < 0.45:
        minute = str(rng.choice([0, 15, 30, 45, 59, rng.randint(0, 59)]))
    elif k < 0.65:
        minute = "*/%d" % rng.choice([5, 10, 15, 20, 30])
    elif k < 0.8:
        a = rng.randint(0, 50)
        minute = "%d-%d" % (a, rng.randint(a, 59))
    elif k < 0.9:
        minute = "0,30"
    else:
        minute = "*"
    day = rng.choice(["* * *"] * 6 + ["* * 0", "1-15 * *", "* %d *" % tr.month,
                                      "*/2 * *", "%d * 0" % rng.randint(1, 31)])
    return "%s %s %s" % (minute, hour, day)


def queries(seed, count):
    rng = random.Random(seed)
    trs = zone_transitions()
    out = []
    exprs = list(CURATED)
    while len(out) < count:
        z = rng.choice(ZONES)
        start, tr = rand_start(rng, trs[z])
        if exprs and rng.random() < 0.1:
            e = exprs.pop(0)
        elif rng.random() < 0.15:
            e = rand_invalid(rng)
        elif tr is not None and rng.random() < 0.7:
            e = dst_expr(rng, z, tr)
        else:
            e = rand_valid(rng)
        out.append("%s\t%s\t%s\t%d" % (e, z, start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                       rng.randint(1, 5)))
    return out


def run_oracle(oracle, qs, jobs):
    """Answers QS with `oracle batch`, in JOBS parallel processes (files
    for stdin and stdout, so no pipe can fill up and deadlock)."""
    chunks = [qs[i::jobs] for i in range(jobs)]
    with tempfile.TemporaryDirectory() as tmp:
        procs = []
        for j, c in enumerate(chunks):
            qpath, apath = os.path.join(tmp, "q%d" % j), os.path.join(tmp, "a%d" % j)
            with open(qpath, "w") as f:
                f.write("".join(q + "\n" for q in c))
            with open(qpath) as fin, open(apath, "w") as fout:
                procs.append((subprocess.Popen([sys.executable, oracle, "batch"],
                                               stdin=fin, stdout=fout), apath))
        answers = []
        for p, apath in procs:
            if p.wait() != 0:
                sys.exit("oracle failed")
            with open(apath) as f:
                answers.append(f.read().split("\n")[:-1])
    out = [None] * len(qs)
    for j, a in enumerate(answers):
        if len(a) != len(chunks[j]):
            sys.exit("oracle answered %d of %d queries" % (len(a), len(chunks[j])))
        for i, line in enumerate(a):
            out[j + i * jobs] = line
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.environ.get("VIBE_SHARED") or os.path.join(here, "..", "..", "..", "shared")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=20250309)
    ap.add_argument("--count", type=int, default=3600)
    ap.add_argument("--oracle", default=os.path.join(shared, "tools", "cron_oracle.py"))
    ap.add_argument("--out", default="-")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--queries-only", action="store_true")
    a = ap.parse_args()
    qs = queries(a.seed, a.count)
    f = sys.stdout if a.out == "-" else open(a.out, "w")
    if a.queries_only:
        f.write("".join(q + "\n" for q in qs))
        return 0
    ans = run_oracle(a.oracle, qs, max(1, a.jobs))
    f.write("# python3 tests/vectors/gen-cron-vectors.py --seed %d --count %d "
            "--oracle ../shared/tools/cron_oracle.py --out tests/vectors/cron.tsv\n"
            % (a.seed, a.count))
    f.write("".join("%s\t%s\n" % (q, r) for q, r in zip(qs, ans)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
