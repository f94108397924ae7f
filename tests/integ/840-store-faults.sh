#!/bin/bash
# Store faults: an LD_PRELOAD shim (tests/fault/faultshim.c) makes the Nth
# write/fsync/fdatasync/rename under the state dir fail. A first run of a
# scripted session (add, update, pause, resume, delete, trigger_event) only
# counts those calls; then, for every N of the session and each of ENOSPC
# and EIO (and a short write followed by ENOSPC for every write), the daemon
# is started on a fresh state dir with the fault at N and the session is
# replayed. Checked: the request hit gets -32008 storage_error, with its id,
# naming the cause; a failure inside a put or an append (write, fsync of the
# temp file, rename) leaves the previous state and the daemon keeps serving,
# the same request succeeds when retried (space came back); a failure of the
# batch's fdatasync/directory fsync is answered storage_error and the daemon
# exits (status 1) for a restart, after which the mutation is either wholly
# there or not at all. After a final restart without the fault: the state
# equals the session's model, every acknowledged trigger_event is in
# events/_posted.jsonl, every *.json / *.jsonl file parses, no temp file.
. "$(dirname "$0")/lib.sh"

cc -shared -fPIC -O1 -o "$T/faultshim.so" "$VIBE_SRC/tests/fault/faultshim.c" -ldl ||
	fail "cannot build the fault shim"

cat >"$T/faults.py" <<'PY'
import json, os, shutil, signal, socket, subprocess, sys, time

DAEMON, SHIM, SOCK, STATE, PIPES, LOG, T = sys.argv[1:8]
ERRTEXT = {"ENOSPC": "No space left on device", "EIO": "Input/output error"}
FLOG = os.path.join(T, "fault.log")

class Fail(Exception):
    pass

def sched(sid, v):
    return {"schedule_id": sid, "name": "%s v%d" % (sid, v), "schedule_type": "cron",
            "schedule_definition": {"cron_expression": "0 0 1 1 *"}, "timezone": "UTC",
            "asset_graph": {"name": "g", "assets": [{"name": "a", "command": ["/bin/true", str(v)]}]}}

SESSION = [("add", "a", 1), ("add", "b", 1), ("trigger", None, 1), ("update", "a", 2),
           ("pause", "a", None), ("trigger", None, 2), ("resume", "a", None),
           ("delete", "b", None), ("update", "a", 3), ("add", "c", 1),
           ("trigger", None, 3), ("pause", "c", None)]

def request(step, rid):
    kind, sid, v = step
    if kind in ("add", "update"):
        return kind + "_schedule", {"schedule": sched(sid, v)}
    if kind == "trigger":
        return "trigger_event", {"event_type": "faulty", "event_data": {"n": v}, "source": "t"}
    return kind + "_schedule", {"schedule_id": sid}

def apply(model, step):
    """The state after STEP succeeded (model: sid -> (name, status))."""
    kind, sid, v = step
    m = dict(model)
    if kind == "add":
        m[sid] = ("%s v%d" % (sid, v), "active")
    elif kind == "update":
        m[sid] = ("%s v%d" % (sid, v), m[sid][1])
    elif kind in ("pause", "resume"):
        m[sid] = (m[sid][0], "paused" if kind == "pause" else "active")
    elif kind == "delete":
        del m[sid]
    return m

class Daemon:
    def __init__(self, env_extra):
        env = dict(os.environ)
        env.update(env_extra)
        log = open(LOG, "ab")
        self.p = subprocess.Popen([DAEMON, "--socket", SOCK, "--state-dir", STATE,
                                   "--pipeline-dir", PIPES], stdout=log, stderr=log, env=env)
        log.close()
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.p.poll() is not None:
                raise Fail("daemon exited at start with %d" % self.p.returncode)
            try:
                self.c = Conn()
                if self.c.call("ping", {}, 0).get("result"):
                    return
            except (OSError, Fail):
                pass
            time.sleep(0.02)
        raise Fail("daemon did not answer within 10 s")

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(20)
        self.c.close()
        return rc

class Conn:
    def __init__(self):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(10)
        self.s.connect(SOCK)
        self.f = self.s.makefile("rb")

    def call(self, method, params, rid):
        self.s.sendall((json.dumps({"jsonrpc": "2.0", "id": rid, "method": method,
                                    "params": params}) + "\n").encode())
        try:
            line = self.f.readline()
        except socket.timeout:
            raise Fail("%s: no answer within 10 s" % method)
        if not line:
            raise Fail("%s (id %d): connection closed without an answer" % (method, rid))
        return json.loads(line)

    def close(self):
        self.s.close()

def fresh():
    shutil.rmtree(STATE, ignore_errors=True)
    if os.path.exists(FLOG):
        os.unlink(FLOG)

def shim_env(n, err, short=False):
    return {"LD_PRELOAD": SHIM, "VIBE_FAULT_DIR": STATE, "VIBE_FAULT_N": str(n),
            "VIBE_FAULT_ERRNO": err, "VIBE_FAULT_CALL": "any", "VIBE_FAULT_LOG": FLOG,
            "VIBE_FAULT_SHORT": "1" if short else "0",
            "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}

def flog_lines():
    if not os.path.exists(FLOG):
        return []
    return open(FLOG).read().splitlines()

def disk_state():
    """Every file parses; returns (schedules model, posted event ids)."""
    model, posted = {}, set()
    for root, _d, files in os.walk(STATE):
        for f in files:
            path = os.path.join(root, f)
            rel = os.path.relpath(path, STATE)
            if ".tmp" in f:
                raise Fail("%s: temp file left after a restart" % rel)
            data = open(path, "rb").read()
            if f.endswith(".json"):
                try:
                    doc = json.loads(data)
                except ValueError as e:
                    raise Fail("%s does not parse: %s" % (rel, e))
                if not isinstance(doc, dict):
                    raise Fail("%s is not an object" % rel)
                if rel.startswith("schedules" + os.sep):
                    model[doc["schedule_id"]] = (doc["name"], doc["status"])
            elif f.endswith(".jsonl"):
                if data and not data.endswith(b"\n"):
                    raise Fail("%s: torn last line after a restart" % rel)
                for n, line in enumerate(data.split(b"\n")[:-1], 1):
                    try:
                        doc = json.loads(line)
                    except ValueError as e:
                        raise Fail("%s:%d does not parse: %s" % (rel, n, e))
                    if f == "_posted.jsonl":
                        posted.add(doc["event_id"])
    return model, posted

def check_served(d, model):
    for sid in ("a", "b", "c"):
        ans = d.c.call("get_schedule", {"schedule_id": sid}, 0)
        got = (ans["result"]["name"], ans["result"]["status"]) if "result" in ans else None
        if got != model.get(sid):
            raise Fail("schedule %s: served %r, expected %r" % (sid, got, model.get(sid)))

def check_restarted(model, acked):
    disk, posted = disk_state()
    if disk != model:
        raise Fail("state on disk %r, expected %r" % (disk, model))
    lost = acked - posted
    if lost:
        raise Fail("acknowledged events missing from _posted.jsonl: %s" % sorted(lost))

def sync_call(line):
    """Is the faulted call one of store_sync's (directory fsync, log fdatasync)?"""
    parts = line.split()
    call, path = parts[1], parts[2]
    return (call == "fdatasync" or (call == "fsync" and not path.endswith(".tmp")))

class Run:
    def __init__(self, n, err, short):
        self.n, self.err, self.short = n, err, short
        self.model, self.acked = {}, set()
        self.outcome = "not hit"

    def step(self, d, i, st, rid):
        method, params = request(st, rid)
        ans = d.c.call(method, params, rid)
        if ans.get("id") != rid:
            raise Fail("%s: answer has id %r, the request had %d: %s" %
                       (method, ans.get("id"), rid, json.dumps(ans)))
        if "result" in ans:
            self.model = apply(self.model, st)
            if st[0] == "trigger":
                self.acked.add(ans["result"]["event_id"])
            return True
        return self.storage_error(d, st, method, ans)

    def storage_error(self, d, st, method, ans):
        e = ans["error"]
        if e["code"] != -32008:
            raise Fail("%s: expected -32008 storage_error, got %s" % (method, json.dumps(ans)))
        if ERRTEXT[self.err] not in e["message"]:
            raise Fail("%s: the error does not name the cause (%s): %s" %
                       (method, ERRTEXT[self.err], e["message"]))
        hits = [l for l in flog_lines() if " FAULT " in l]
        if not hits:
            raise Fail("%s: storage_error but the shim faulted nothing" % method)
        return hits[-1]

    def run(self):
        fresh()
        d = Daemon(shim_env(self.n, self.err, self.short))
        rid, i = 100, 0
        try:
            while i < len(SESSION):
                st = SESSION[i]
                rid += 1
                r = self.step(d, i, st, rid)
                if r is not True:
                    d = self.after_error(d, st, r)
                i += 1
        except BaseException:
            if d.p.poll() is None:
                d.p.kill()
                d.p.wait()
            raise
        rc = d.stop()
        if rc != 0:
            raise Fail("daemon exited with %d on SIGTERM" % rc)
        d = Daemon({})
        check_served(d, self.model)
        d.stop()
        check_restarted(self.model, self.acked)

    def after_error(self, d, st, hit):
        before = self.model
        after = apply(before, st)
        if sync_call(hit):
            # The batch's sync failed: the daemon must say so and exit.
            try:
                rc = d.p.wait(10)
            except subprocess.TimeoutExpired:
                raise Fail("fault %r: the daemon did not exit after a failed sync" % hit)
            d.c.close()
            if rc != 1:
                raise Fail("fault %r: exit status %d, expected 1" % (hit, rc))
            disk, _ = disk_state()
            if disk not in (before, after):
                raise Fail("fault %r: state %r is neither %r nor %r" % (hit, disk, before, after))
            self.model = disk
            if st[0] == "trigger":
                kept = "event kept or not"
            else:
                kept = "applied" if disk == after and before != after else "not applied"
            self.outcome = "storage_error, exited 1, restarted (%s)" % kept
            d = Daemon({})
            if disk == before and before != after:
                self.retry(d, st)
            return d
        # A put or an append failed: nothing changed, the daemon serves on.
        check_served(d, before)
        disk, _ = disk_state_nocheck()
        if disk != before:
            raise Fail("fault %r: state on disk changed to %r, expected %r" % (hit, disk, before))
        self.retry(d, st)
        self.outcome = "storage_error, state kept, served on, retry ok"
        return d

    def retry(self, d, st):
        method, params = request(st, 999)
        ans = d.c.call(method, params, 999)
        if "result" not in ans:
            raise Fail("%s retried after the fault: %s" % (method, json.dumps(ans)))
        self.model = apply(self.model, st)
        if st[0] == "trigger":
            self.acked.add(ans["result"]["event_id"])

def disk_state_nocheck():
    model = {}
    sd = os.path.join(STATE, "schedules")
    for f in os.listdir(sd):
        if f.endswith(".json"):
            doc = json.load(open(os.path.join(sd, f)))
            model[doc["schedule_id"]] = (doc["name"], doc["status"])
    return model, None

def counting_run():
    fresh()
    d = Daemon(shim_env(0, "EIO"))
    start = len(flog_lines())
    for rid, st in enumerate(SESSION, 1):
        method, params = request(st, rid)
        ans = d.c.call(method, params, rid)
        if "result" not in ans:
            raise Fail("counting run: %s: %s" % (method, json.dumps(ans)))
    if d.stop() != 0:
        raise Fail("counting run: bad exit status")
    return start, flog_lines()

def group_commit_case():
    """Two pipelined adds share one store_sync; its directory fsync fails:
    both get -32008 with their own ids before the daemon exits."""
    fresh()
    env = shim_env(4, "EIO")      # fsyncs: state dir at start, 2 temp files, schedules/
    env["VIBE_FAULT_CALL"] = "fsync"
    d = Daemon(env)
    lines = b""
    for rid, sid in ((7, "x"), (8, "y")):
        lines += (json.dumps({"jsonrpc": "2.0", "id": rid, "method": "add_schedule",
                              "params": {"schedule": sched(sid, 1)}}) + "\n").encode()
    d.c.s.sendall(lines)
    got = []
    for _ in range(2):
        line = d.c.f.readline()
        if not line:
            raise Fail("group commit: connection closed after %d answers" % len(got))
        got.append(json.loads(line))
    rc = d.p.wait(10)
    d.c.close()
    hit = [l for l in flog_lines() if " FAULT " in l]
    if hit and hit[0].split()[2].endswith(".tmp"):
        # The daemon read the two lines in two turns (rare): no shared batch.
        print("  group commit: the lines arrived apart, case skipped")
        d = Daemon({})
        d.stop()
        return
    if not hit or not hit[0].split()[2].endswith("/schedules"):
        raise Fail("group commit: the fault hit %r, not the fsync of schedules/" % hit)
    for rid, ans in zip((7, 8), got):
        if ans.get("id") != rid or ans.get("error", {}).get("code") != -32008:
            raise Fail("group commit: answer %s for request %d" % (json.dumps(ans), rid))
    if rc != 1:
        raise Fail("group commit: exit status %d after a failed sync" % rc)
    d = Daemon({})
    d.stop()
    disk_state()
    print("  group commit: both answers storage_error with their ids, exit 1")

def main():
    try:
        start, calls = counting_run()
        print("session: %d store calls after %d at start" % (len(calls) - start, start))
        cases = []
        for n in range(start + 1, len(calls) + 1):
            for err in ("ENOSPC", "EIO"):
                cases.append((n, err, False))
            if calls[n - 1].split()[1] == "write":
                cases.append((n, "ENOSPC", True))
        for n, err, short in cases:
            r = Run(n, err, short)
            r.run()
            print("  %-50s %-6s%s: %s" % (calls[n - 1].split(None, 1)[1].replace(STATE + "/", ""),
                                          err, " short" if short else "", r.outcome))
        group_commit_case()
        # A fault at start: the daemon refuses to start and says why.
        fresh()
        try:
            Daemon(shim_env(1, "EIO"))
            raise Fail("the daemon started although its first fsync failed")
        except Fail as e:
            if "exited at start" not in str(e):
                raise
        print("%d fault cases passed" % len(cases))
    except Fail as e:
        print("FAIL: %s" % e)
        if "r" in locals():
            print("  (case: fault at call %d, %s%s)" % (r.n, r.err, " short" if r.short else ""))
        return 1
    return 0

sys.exit(main())
PY
python3 "$T/faults.py" "$VIBE_BUILD/vibe-schedd" "$T/faultshim.so" "$SOCK" "$STATE" \
	"$PIPES" "$DAEMON_LOG" "$T" | tee "$T/faults.out"
grep -q 'fault cases passed' "$T/faults.out" || fail "store faults"
ok "store faults: errors answered, previous state kept, recovery after restart"
