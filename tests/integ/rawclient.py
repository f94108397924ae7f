#!/usr/bin/env python3
"""Raw JSON-line client for the integration tests.

usage: rawclient.py SOCKET [N] [--timeout S]
Sends stdin's lines on one connection (pipelined), then prints answers until
N were read (default: as many as non-empty input lines that carry an "id",
or 1), the server closes, or the timeout passes. Exit 3 if it cannot
connect."""
import json, socket, sys, time

def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    timeout = 10.0
    if "--timeout" in sys.argv:
        timeout = float(sys.argv[sys.argv.index("--timeout") + 1])
        args = [a for a in args if a != sys.argv[sys.argv.index("--timeout") + 1]]
    path = args[0]
    data = sys.stdin.buffer.read()
    want = int(args[1]) if len(args) > 1 else None
    if want is None:
        want = 0
        for line in data.split(b"\n"):
            try:
                obj = json.loads(line)
                want += 1 if isinstance(obj, dict) and "id" in obj else 0
            except Exception:
                want += 1 if line.strip() else 0
        want = max(want, 1)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
    except OSError as e:
        print("cannot connect: %s" % e, file=sys.stderr)
        sys.exit(3)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the daemon closed first (e.g. a line over the cap): read what it said
    buf, got, deadline = b"", 0, time.time() + timeout
    s.settimeout(0.2)
    while got < want and time.time() < deadline:
        try:
            chunk = s.recv(1 << 16)
        except socket.timeout:
            continue
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf and got < want:
            line, buf = buf.split(b"\n", 1)
            print(line.decode())
            got += 1
    s.close()

main()
