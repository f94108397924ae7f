#!/usr/bin/env python3
"""Crash storm for vibe-schedd (used by 820-crash-storm.sh).

usage: storm.py DAEMON SOCKET STATE_DIR PIPELINE_DIR LOG [--kills N]
                [--clients N] [--seed S]

Runs the daemon itself. Each round: start the daemon, check the state on
disk and through the daemon against everything acknowledged so far, let
several clients (threads, one connection each; odd clients pipeline three
requests at a time) send random mutations on their own ids, kill -9 the
daemon after a short random time, and collect what each client saw.

The model: for every schedule id the set of states it may be in (absent, or
(version, status)). An acknowledged answer narrows the set to one state (or
checks it: already_exists, not_found); a request whose answer was lost to the
kill may or may not have been applied, so the set grows by the state with it
applied. After every restart the state found on disk must be in the set
(an acknowledged mutation is never lost, an unacknowledged one is never half
applied: the file must equal a version that was sent, field by field), and
then the set becomes that one state. Every acknowledged trigger_event's id
must be in events/_posted.jsonl, and every storm line there must be one that
was sent. Every *.json file under the state dir must be a JSON object and
every line of every *.jsonl must parse (the check runs after the restart,
i.e. after the daemon's torn-tail repair).

Exit status 0 if every check passed; 1 with the first problems printed.
"""
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

IDS_PER_CLIENT = 5
OPS = [("add", 25), ("update", 20), ("pause", 12), ("resume", 12),
       ("delete", 10), ("trigger", 15)]
SCHED_KEYS = ("schedule_id", "name", "schedule_type", "schedule_definition",
              "asset_graph", "timezone")


class Fail(Exception):
    pass


def rpc_line(rid, method, params):
    return (json.dumps({"jsonrpc": "2.0", "id": rid, "method": method,
                        "params": params}, separators=(",", ":")) +
            "\n").encode()


class Conn:
    """One connection; recv_answer() returns a dict or None when closed."""

    def __init__(self, path, timeout=10.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""

    def send(self, data):
        try:
            self.s.sendall(data)
            return True
        except OSError:
            return False

    def recv_answer(self):
        while b"\n" not in self.buf:
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                raise Fail("no answer within the timeout (daemon hung?)")
            except OSError:
                return None
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def call(self, method, params=None):
        if not self.send(rpc_line(1, method, params or {})):
            return None
        return self.recv_answer()

    def close(self):
        self.s.close()


def schedule_doc(sid, c, v):
    """Version V of schedule SID (client C): every version is distinct."""
    if v % 3 == 0:
        stype, sdef = "event", {"event_type": "storm%d" % c}
    else:
        stype, sdef = "cron", {"cron_expression": "%d %d * * *" % (v % 60, v % 24)}
    return {"schedule_id": sid, "name": "%s v%d" % (sid, v),
            "schedule_type": stype, "schedule_definition": sdef,
            "timezone": "UTC",
            "asset_graph": {"name": "g", "assets": [
                {"name": "a", "command": ["/bin/true", "v%d" % v]}]}}


class Client(threading.Thread):
    """Sends random mutations on its own ids until its connection dies."""

    def __init__(self, storm, c, rng):
        super().__init__(daemon=True)
        self.storm, self.c, self.rng = storm, c, rng
        self.log = []           # (op, answer or None), in send order
        self.error = None
        self.pipeline = 3 if c % 2 else 1

    def make_op(self):
        st, c, rng = self.storm, self.c, self.rng
        kind = rng.choices([o for o, _ in OPS], [w for _, w in OPS])[0]
        sid = "s%d_%d" % (c, rng.randrange(IDS_PER_CLIENT))
        if kind in ("add", "update"):
            st.next_version[c] += 1
            v = st.next_version[c] * 10 + c   # unique over all clients
            doc = schedule_doc(sid, c, v)
            st.versions[doc["name"]] = doc
            return {"kind": kind, "sid": sid, "v": doc["name"],
                    "method": kind + "_schedule", "params": {"schedule": doc}}
        if kind == "trigger":
            st.next_event[c] += 1
            data = {"c": c, "n": st.next_event[c]}
            if rng.random() < 0.4:
                # Big lines: kill -9 tears these appends (NOTES.md).
                data["pad"] = "x" * rng.randrange(4000, 40000)
            st.events_sent[(c, data["n"])] = "storm%d" % c
            return {"kind": kind, "method": "trigger_event",
                    "params": {"event_type": "storm%d" % c,
                               "event_data": data, "source": "storm"}}
        return {"kind": kind, "sid": sid, "method": kind + "_schedule",
                "params": {"schedule_id": sid}}

    def run(self):
        try:
            conn = Conn(self.storm.sock)
        except OSError as e:
            self.error = "connect: %s" % e
            return
        try:
            self.loop(conn)
        except Fail as e:
            self.error = str(e)
        finally:
            conn.close()

    def loop(self, conn):
        rid = 0
        while True:
            batch = [self.make_op() for _ in range(self.pipeline)]
            data = b""
            for op in batch:
                rid += 1
                op["id"] = rid
                data += rpc_line(rid, op["method"], op["params"])
            sent = conn.send(data)
            for op in batch:
                ans = conn.recv_answer() if sent else None
                if ans is not None and ans.get("id") != op["id"]:
                    raise Fail("client %d: answer id %r for request %r" %
                               (self.c, ans.get("id"), op["id"]))
                self.log.append((op, ans))
                if ans is None:
                    sent = False
            if not sent:
                return


def parse_version(doc):
    return doc["name"]


class Storm:
    def __init__(self, args):
        self.daemon, self.sock, self.state, self.pipes, self.logpath = args[:5]
        self.kills = 50
        self.nclients = 4
        self.seed = int(time.time())
        opts = args[5:]
        for i in range(0, len(opts), 2):
            setattr(self, {"--kills": "kills", "--clients": "nclients",
                           "--seed": "seed"}[opts[i]], int(opts[i + 1]))
        self.rng = random.Random(self.seed)
        self.proc = None
        self.versions = {}           # name -> doc sent
        self.next_version = [0] * self.nclients
        self.next_event = [0] * self.nclients
        self.events_sent = {}        # (c, n) -> event_type
        self.acked_events = set()    # event ids acknowledged
        self.possible = {}           # sid -> list of states
        for c in range(self.nclients):
            for k in range(IDS_PER_CLIENT):
                self.possible["s%d_%d" % (c, k)] = [None]
        self.stats = {"acked": 0, "unacked": 0, "errors": 0, "checked": 0,
                      "ambiguous": 0, "tears": 0}

    # ---- the daemon ----------------------------------------------------

    def start(self):
        log = open(self.logpath, "ab")
        self.proc = subprocess.Popen(
            [self.daemon, "--socket", self.sock, "--state-dir", self.state,
             "--pipeline-dir", self.pipes], stdout=log, stderr=log)
        log.close()
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise Fail("daemon exited at start with %d" % self.proc.returncode)
            try:
                conn = Conn(self.sock, 2.0)
                ans = conn.call("ping")
                conn.close()
                if ans and ans.get("result", {}).get("pid") == self.proc.pid:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise Fail("daemon did not answer within 10 s")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self):
        if self.proc is None:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=20)
        self.proc = None
        return rc

    # ---- the model -----------------------------------------------------

    @staticmethod
    def apply(op, state):
        k = op["kind"]
        if k == "add":
            return (op["v"], "active") if state is None else state
        if state is None or k == "delete":
            return None
        if k == "update":
            return (op["v"], state[1])
        return (state[0], "paused" if k == "pause" else "active")

    def narrow(self, c, op, ans):
        """Folds one answered (or lost) request into the model."""
        if op["kind"] == "trigger":
            if ans is not None and "result" in ans:
                self.acked_events.add(ans["result"]["event_id"])
            return self.count(ans)
        sid = op["sid"]
        p = self.possible[sid]
        where = "client %d %s %s (request %d)" % (c, op["kind"], sid, op["id"])
        if ans is None:
            self.stats["unacked"] += 1
            new = [self.apply(op, s) for s in p]
            self.possible[sid] = p + [s for s in new if s not in p]
            return
        self.count(ans)
        if "error" in ans:
            code = ans["error"]["code"]
            if code == -32002 and op["kind"] == "add":
                keep = [s for s in p if s is not None]
            elif code == -32001 and op["kind"] != "add":
                keep = [s for s in p if s is None]
            else:
                raise Fail("%s: unexpected error %s" % (where, json.dumps(ans)))
            if not keep:
                raise Fail("%s: answered %s but the model allows only %r" %
                           (where, ans["error"]["message"], p))
            self.possible[sid] = keep
            return
        res = ans["result"]
        if op["kind"] == "delete":
            if None in p and len(p) == 1:
                raise Fail("%s: deleted, but it was absent" % where)
            self.possible[sid] = [None]
            return
        got = (parse_version(res), res["status"])
        allowed = [self.apply(op, s) for s in p]
        if got not in allowed:
            raise Fail("%s: answered %r, the model allows %r" %
                       (where, got, allowed))
        self.possible[sid] = [got]

    def count(self, ans):
        if ans is None:
            self.stats["unacked"] += 1
        elif "error" in ans:
            self.stats["errors"] += 1
            self.stats["acked"] += 1
        else:
            self.stats["acked"] += 1

    # ---- the checks after a restart --------------------------------------

    def check_files(self):
        """Every JSON file parses; returns _posted.jsonl's records."""
        posted = []
        for root, _dirs, files in os.walk(self.state):
            for f in files:
                path = os.path.join(root, f)
                rel = os.path.relpath(path, self.state)
                if f.endswith(".tmp"):
                    raise Fail("%s: temp file left after the restart" % rel)
                if f.endswith(".json"):
                    with open(path, "rb") as fh:
                        try:
                            doc = json.loads(fh.read())
                        except ValueError as e:
                            raise Fail("%s: does not parse: %s" % (rel, e))
                    if not isinstance(doc, dict):
                        raise Fail("%s: not a JSON object" % rel)
                elif f.endswith(".jsonl"):
                    with open(path, "rb") as fh:
                        data = fh.read()
                    if data and not data.endswith(b"\n"):
                        raise Fail("%s: torn last line after the restart: %r"
                                   % (rel, data[-80:]))
                    for n, line in enumerate(data.split(b"\n")[:-1], 1):
                        try:
                            doc = json.loads(line)
                        except ValueError as e:
                            raise Fail("%s:%d: does not parse (%s): %r" %
                                       (rel, n, e, line[:200]))
                        if rel == os.path.join("events", "_posted.jsonl"):
                            posted.append(doc)
        return posted

    def check_schedule(self, sid, conn):
        path = os.path.join(self.state, "schedules", sid + ".json")
        found = None
        if os.path.exists(path):
            with open(path) as fh:
                doc = json.load(fh)
            sent = self.versions.get(doc.get("name"))
            if sent is None:
                raise Fail("%s: holds %r, a version never sent" %
                           (path, doc.get("name")))
            for k in SCHED_KEYS:
                if doc.get(k) != sent[k]:
                    raise Fail("schedules/%s.json: %s is %r, version %s sent %r"
                               % (sid, k, doc.get(k), sent["name"], sent[k]))
            found = (doc["name"], doc["status"])
        if found not in self.possible[sid]:
            raise Fail("schedule %s: on disk %r, acknowledged history allows "
                       "only %r" % (sid, found, self.possible[sid]))
        if len(self.possible[sid]) > 1:
            self.stats["ambiguous"] += 1
        self.possible[sid] = [found]
        ans = conn.call("get_schedule", {"schedule_id": sid})
        if ans is None:
            raise Fail("get_schedule %s: no answer" % sid)
        live = None
        if "result" in ans:
            live = (ans["result"]["name"], ans["result"]["status"])
        if live != found:
            raise Fail("schedule %s: the daemon serves %r, the file holds %r" %
                       (sid, live, found))
        self.stats["checked"] += 1

    def check(self):
        posted = self.check_files()
        ids = set()
        for ev in posted:
            ids.add(ev.get("event_id"))
            if ev.get("source") != "storm":
                continue
            d = ev.get("event_data") or {}
            want = self.events_sent.get((d.get("c"), d.get("n")))
            if want is None or want != ev.get("event_type"):
                raise Fail("_posted.jsonl: a storm event never sent: %r" % ev)
        lost = self.acked_events - ids
        if lost:
            raise Fail("%d acknowledged trigger_event(s) missing from "
                       "_posted.jsonl, e.g. %s" % (len(lost), sorted(lost)[0]))
        self.stats["checked"] += len(self.acked_events)
        conn = Conn(self.sock)
        try:
            for sid in sorted(self.possible):
                self.check_schedule(sid, conn)
        finally:
            conn.close()

    # ---- the storm -------------------------------------------------------

    def round(self):
        clients = [Client(self, c, random.Random(self.rng.random()))
                   for c in range(self.nclients)]
        for cl in clients:
            cl.start()
        time.sleep(self.rng.uniform(0.02, 0.35))
        self.kill9()
        for cl in clients:
            cl.join(15)
            if cl.is_alive():
                raise Fail("client %d still running 15 s after the kill" % cl.c)
            if cl.error:
                raise Fail(cl.error)
        for cl in clients:
            for op, ans in cl.log:
                self.narrow(cl.c, op, ans)

    def tear(self):
        """Leaves what kill -9 leaves when it lands inside a write(2) of a
        long line (NOTES.md: 22 of 60 kills tore a 6,000-byte line): the
        first part of a line, no newline, at the end of _posted.jsonl and of
        one schedule's history. Real tears are rare with short lines and
        few kills, so every tenth kill makes one; the restart must cut it
        (check_files) and later appends must not be glued onto it."""
        evdir = os.path.join(self.state, "events")
        for f in sorted(os.listdir(evdir))[:2]:
            if not f.endswith(".jsonl"):
                continue
            with open(os.path.join(evdir, f), "ab") as fh:
                fh.write(b'{"event_id":"torn-by-the-test","event_type":"x"' +
                         b',"event_data":{"pad":"' + b"y" * 5000)
            self.stats["tears"] += 1

    def main(self):
        print("storm: seed %d, %d clients, %d kills" %
              (self.seed, self.nclients, self.kills))
        t0 = time.time()
        try:
            self.start()
            for k in range(self.kills):
                self.round()
                if k % 10 == 9:
                    self.tear()
                self.start()
                self.check()
            rc = self.stop()
            if rc != 0:
                raise Fail("daemon exited with %d on SIGTERM" % rc)
        except Fail as e:
            print("FAIL: %s (seed %d)" % (e, self.seed))
            if self.proc is not None:
                self.kill9()
            return 1
        s = self.stats
        print("storm: %d kills in %.1f s; %d answers (%d errors such as "
              "not_found), %d requests lost to a kill; %d checks of acknowledged "
              "state passed (%d states where a lost request left two "
              "possibilities); %d acknowledged trigger_events; %d torn "
              "lines planted and cut" %
              (self.kills, time.time() - t0, s["acked"], s["errors"],
               s["unacked"], s["checked"], s["ambiguous"],
               len(self.acked_events), s["tears"]))
        return 0


if __name__ == "__main__":
    if len(sys.argv) < 6:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(Storm(sys.argv[1:]).main())
