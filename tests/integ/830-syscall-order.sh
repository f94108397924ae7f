#!/bin/bash
# Order of system calls behind every acknowledgement (DESIGN §6). kill -9
# tests cannot see a missing fsync (the page cache survives a crash of the
# process, NOTES.md), so this test runs the daemon under strace and checks,
# for each answer line written to the client socket, that before it (and
# after the previous answer; the session sends one request at a time):
#   add/update/pause/resume: write(<id>.json.tmp) -> fsync(<id>.json.tmp)
#     -> rename(<id>.json.tmp, <id>.json) -> fsync(schedules/) -> answer;
#   delete: unlink(<id>.json) -> fsync(schedules/) -> answer (and
#     unlink(events/<id>.jsonl) -> fsync(events/) when it existed);
#   trigger_event: write(_posted.jsonl) of a line holding the answer's
#     event_id -> fdatasync(_posted.jsonl) -> answer (and fsync(events/)
#     after the file was created).
# Why a missing fsync fails it: each rule looks for the fsync (fdatasync)
# line itself, on that file or directory, strictly between the earlier step
# and the answer; a daemon that skipped it, did it on another fd, or did it
# after sending the answer leaves no such line in the window. To show that
# the checker is not vacuous, it is run again on copies of the trace with
# the file fsyncs, the fsyncs of schedules/ or of events/, the fdatasyncs or
# the renames removed, and each copy must fail.
. "$(dirname "$0")/lib.sh"

traced="openat,openat2,write,writev,sendmsg,sendto,fsync,fdatasync,rename,renameat,renameat2,unlink,unlinkat"
# LeakSanitizer cannot run under ptrace (the ASan build's leak check is
# done by the other tests).
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" \
strace -f -tt -y -s 65536 -e trace=$traced -o "$T/trace" \
	"$VIBE_BUILD/vibe-schedd" --socket "$SOCK" --state-dir "$STATE" \
	--pipeline-dir "$PIPES" >>"$DAEMON_LOG" 2>&1 &
STRACE_PID=$!
wait_for 20 vibectl ping || fail "daemon under strace did not answer"
DPID=$(req ping | jq -r .result.pid)

cat >"$T/session.py" <<'PY'
import json, socket, sys
sock, out = sys.argv[1], sys.argv[2]
def sched(sid, v):
    return {"schedule_id": sid, "name": "%s v%d" % (sid, v), "schedule_type": "cron",
            "schedule_definition": {"cron_expression": "0 0 1 1 *"}, "timezone": "UTC",
            "asset_graph": {"name": "g", "assets": [{"name": "a", "command": ["/bin/true", str(v)]}]}}
steps = [("add_schedule", "a", {"schedule": sched("a", 1)}),
         ("add_schedule", "b", {"schedule": sched("b", 1)}),
         ("trigger_event", None, {"event_type": "t", "event_data": {"n": 1}}),
         ("update_schedule", "a", {"schedule": sched("a", 2)}),
         ("pause_schedule", "a", {"schedule_id": "a"}),
         ("trigger_event", None, {"event_type": "t", "event_data": {"n": 2}}),
         ("resume_schedule", "a", {"schedule_id": "a"}),
         ("delete_schedule", "b", {"schedule_id": "b"}),
         ("update_schedule", "a", {"schedule": sched("a", 3)}),
         ("trigger_event", None, {"event_type": "t", "event_data": {"pad": "p" * 3000}}),
         ("delete_schedule", "a", {"schedule_id": "a"})]
s = socket.socket(socket.AF_UNIX); s.connect(sock); f = s.makefile("rb")
log = []
for i, (m, sid, p) in enumerate(steps, 100):
    s.sendall((json.dumps({"jsonrpc": "2.0", "id": i, "method": m, "params": p}) + "\n").encode())
    ans = json.loads(f.readline())
    if "result" not in ans or ans["id"] != i:
        sys.exit("%s: %s" % (m, ans))
    log.append({"id": i, "method": m, "sid": sid})
json.dump(log, open(out, "w"))
PY
python3 "$T/session.py" "$SOCK" "$T/session.json" || fail "session failed"
kill -TERM "$DPID"
wait "$STRACE_PID" || fail "strace/daemon exited with $?"
DPID=

cat >"$T/check.py" <<'PY'
import json, re, sys
trace, session, state = sys.argv[1:4]
drop = sys.argv[4] if len(sys.argv) > 4 else None
LINE = re.compile(r'^(\d+) +(\S+) (\w+)\((.*)\) += (-?\d+)(.*)$')
FD = re.compile(r'(-?\d+|AT_FDCWD)<([^>]*)>')
STR = re.compile(r'"((?:[^"\\]|\\.)*)"')

def parse():
    evs = []
    for raw in open(trace, encoding="utf-8", errors="replace"):
        m = LINE.match(raw.rstrip("\n"))
        if not m:
            continue
        call, args, ret, rest = m.group(3), m.group(4), int(m.group(5)), m.group(6)
        if ret < 0:
            continue
        fds = FD.findall(args)
        ev = {"call": call, "fd": fds[0][1] if fds else None, "args": args,
              "strs": STR.findall(args), "ret_path": None}
        rp = re.match(r'<([^>]*)>', rest)
        if rp:
            ev["ret_path"] = rp.group(1)
        evs.append(ev)
    return evs

def drop_filter(ev):
    """The mutations of the trace used to show the checker fails."""
    c, fd = ev["call"], ev["fd"] or ""
    if drop == "fsync-file":
        return c == "fsync" and fd.endswith(".json.tmp")
    if drop == "fsync-dir":
        return c == "fsync" and fd.endswith("/schedules")
    if drop == "fsync-events-dir":
        return c == "fsync" and fd.endswith("/events")
    if drop == "fdatasync":
        return c in ("fdatasync", "fsync") and fd.endswith("_posted.jsonl")
    if drop == "rename":
        return c.startswith("rename")
    return False

evs = [e for e in parse() if not drop_filter(e)]
sess = json.load(open(session))
SD, ED = state + "/schedules", state + "/events"
REPLY_CALLS = ("write", "writev", "sendmsg", "sendto")
replies = {}
for i, e in enumerate(evs):
    if e["call"] in REPLY_CALLS and (e["fd"] or "").startswith("socket:"):
        body = " ".join(e["strs"])
        for m in re.finditer(r'\\"jsonrpc\\":\\"2.0\\",\\"id\\":(\d+)', body):
            replies.setdefault(int(m.group(1)), (i, body))
errors = []

def find(lo, hi, pred, last=False):
    rng = range(hi - 1, lo - 1, -1) if last else range(lo, hi)
    for i in rng:
        if pred(evs[i]):
            return i
    return None

def sync_of(e, path, calls=("fsync",)):
    return e["call"] in calls and e["fd"] == path

def check_put(lo, hi, sid, what):
    tmp, final = "%s/%s.json.tmp" % (SD, sid), "%s.json" % sid
    r = find(lo, hi, lambda e: e["call"].startswith("rename") and e["fd"] == SD
             and e["strs"][:1] == [sid + ".json.tmp"] and e["strs"][-1:] == [final], last=True)
    if r is None:
        return errors.append("%s: no rename of %s.json.tmp to %s before the answer" % (what, sid, final))
    w = find(lo, r, lambda e: e["call"] == "write" and e["fd"] == tmp, last=True)
    if w is None:
        return errors.append("%s: no write of %s before its rename" % (what, tmp))
    if find(w + 1, r, lambda e: sync_of(e, tmp, ("fsync", "fdatasync"))) is None:
        errors.append("%s: %s.json.tmp not fsync'ed between its write and its rename" % (what, sid))
    if find(r + 1, hi, lambda e: sync_of(e, SD)) is None:
        errors.append("%s: schedules/ not fsync'ed between the rename and the answer" % what)

def check_delete(lo, hi, sid, what):
    u = find(lo, hi, lambda e: e["call"].startswith("unlink") and e["fd"] == SD
             and e["strs"][:1] == [sid + ".json"])
    if u is None:
        return errors.append("%s: no unlink of schedules/%s.json before the answer" % (what, sid))
    if find(u + 1, hi, lambda e: sync_of(e, SD)) is None:
        errors.append("%s: schedules/ not fsync'ed between the unlink and the answer" % what)
    ul = find(lo, hi, lambda e: e["call"].startswith("unlink") and e["fd"] == ED
              and e["strs"][:1] == [sid + ".jsonl"])
    if ul is not None and find(ul + 1, hi, lambda e: sync_of(e, ED)) is None:
        errors.append("%s: events/ not fsync'ed after the unlink of %s.jsonl" % (what, sid))

def check_trigger(lo, hi, body, what):
    m = re.search(r'\\"event_id\\":\\"([^\\"]+)\\"', body)
    if not m:
        return errors.append("%s: no event_id in the answer" % what)
    posted = ED + "/_posted.jsonl"
    w = find(lo, hi, lambda e: e["call"] == "write" and e["fd"] == posted
             and m.group(1) in " ".join(e["strs"]))
    if w is None:
        return errors.append("%s: %s not written to _posted.jsonl before the answer" % (what, m.group(1)))
    if find(w + 1, hi, lambda e: sync_of(e, posted, ("fdatasync", "fsync"))) is None:
        errors.append("%s: _posted.jsonl not fdatasync'ed between the write and the answer" % what)
    c = find(lo, w, lambda e: e["call"].startswith("open") and e["ret_path"] == posted
             and "O_CREAT" in e["args"])
    if c is not None and find(c + 1, hi, lambda e: sync_of(e, ED)) is None:
        errors.append("%s: events/ not fsync'ed after _posted.jsonl was created" % what)

prev = 0
checked = 0
for step in sess:
    what = "%s %s (id %d)" % (step["method"], step["sid"] or "", step["id"])
    if step["id"] not in replies:
        errors.append("%s: its answer is not in the trace" % what)
        continue
    hi, body = replies[step["id"]]
    m = step["method"]
    if m == "trigger_event":
        check_trigger(prev, hi, body, what)
    elif m == "delete_schedule":
        check_delete(prev, hi, step["sid"], what)
    else:
        check_put(prev, hi, step["sid"], what)
    prev = hi + 1
    checked += 1
for e in errors:
    print("order: " + e)
print("checked %d acknowledgements, %d problems" % (checked, len(errors)))
sys.exit(1 if errors else 0)
PY
state=$(cd "$STATE" && pwd -P)
python3 "$T/check.py" "$T/trace" "$T/session.json" "$state" || fail "syscall order"
ok "every acknowledgement follows its fsyncs (temp file, rename, directory; fdatasync of _posted.jsonl)"

for mutation in fsync-file fsync-dir fsync-events-dir fdatasync rename; do
	if python3 "$T/check.py" "$T/trace" "$T/session.json" "$state" "$mutation" >"$T/mut.out"; then
		fail "checker passed a trace without its $mutation lines"
	fi
	echo "  without $mutation: $(grep -c '^order:' "$T/mut.out") problems found, e.g. $(grep -m1 '^order:' "$T/mut.out")"
done
ok "the checker fails traces with a missing fsync, fdatasync or rename"
