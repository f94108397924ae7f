# Shared helpers for the integration tests: a private temp dir, socket and
# state dir per test, the real daemon, vibectl, and a raw JSON-line client.
# Source it; it sets -eu and a trap that stops the daemon and cleans up.
set -eu
: "${VIBE_BUILD:?run through tests/run-tests.sh}"
: "${VIBE_SRC:?run through tests/run-tests.sh}"
T=$(mktemp -d /tmp/vibe-integ.XXXXXX)
SOCK=$T/vibe.sock
STATE=$T/state
PIPES=$T/pipelines
mkdir -p "$PIPES"
DAEMON_LOG=$T/daemon.log
DPID=
export VIBE_SCHEDD_SOCKET=$SOCK

cleanup() {
	local rc=$?
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -TERM "$DPID" 2>/dev/null || true
		local drc=0
		wait "$DPID" 2>/dev/null || drc=$?
		if [ $drc -eq 99 ] && [ $rc -eq 0 ]; then
			echo "FAIL: valgrind found errors or leaks in the daemon"
			rc=1
		fi
	fi
	if [ $rc -ne 0 ] && [ -f "$DAEMON_LOG" ]; then
		echo "--- daemon log (last 30 lines) ---"; tail -n 30 "$DAEMON_LOG"
	fi
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

vibectl() { "$VIBE_BUILD/vibectl" --socket "$SOCK" "$@"; }

# VIBE_VALGRIND=1: every daemon runs under valgrind's memcheck; any error
# or definite leak makes it exit 99, which stop_daemon reports.
VALGRIND=()
if [ "${VIBE_VALGRIND:-0}" = 1 ]; then
	VALGRIND=(valgrind -q --error-exitcode=99 --leak-check=full
		--errors-for-leak-kinds=definite --show-leak-kinds=definite
		--child-silent-after-fork=yes)
fi

# start_daemon [ARGS...]: starts vibe-schedd on the private dirs and waits
# until it answers.
start_daemon() {
	"${VALGRIND[@]}" "$VIBE_BUILD/vibe-schedd" --socket "$SOCK" --state-dir "$STATE" \
		--pipeline-dir "$PIPES" "$@" >>"$DAEMON_LOG" 2>&1 &
	DPID=$!
	local i
	for i in $(seq 1 400); do
		if "$VIBE_BUILD/vibectl" --socket "$SOCK" ping >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$DPID" 2>/dev/null || fail "daemon exited at start: $(tail -n 5 "$DAEMON_LOG")"
		sleep 0.05
	done
	fail "daemon did not answer within 20 s"
}

stop_daemon() {
	local rc=0
	kill -TERM "$DPID"
	wait "$DPID" || rc=$?
	DPID=
	[ $rc -ne 99 ] || fail "valgrind found errors or leaks in the daemon (see the log)"
	[ $rc -eq 0 ] || fail "daemon exited with status $rc on SIGTERM"
}

kill9_daemon() {
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null || true
	DPID=
}

# rpc: JSON-RPC lines on stdin, sent pipelined on one connection; prints the
# answers. rpc_count N: wait for N answers (default: one per input line).
rpc() { python3 "$VIBE_SRC/tests/integ/rawclient.py" "$SOCK" "$@"; }

# req METHOD [PARAMS_JSON]: one request, prints the whole answer.
req() {
	printf '{"jsonrpc":"2.0","id":1,"method":"%s","params":%s}\n' "$1" "${2:-{\}}" | rpc
}

# assert_json JSON JQ_FILTER EXPECTED: the filter's raw output equals EXPECTED.
assert_json() {
	local got
	got=$(printf '%s' "$1" | jq -r "$2") || fail "jq '$2' failed on: $1"
	[ "$got" = "$3" ] || fail "expected $2 = '$3', got '$got' in: $1"
}

assert_eq() { [ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"; }
assert_contains() {
	case "$1" in *"$2"*) ;; *) fail "${3:-output}: '$2' not in: $1" ;; esac
}

# add_json JSON: add_schedule with a raw Schedule object; fails the test on error.
add_json() {
	local out doc
	doc=$(printf '%s' "$1" | jq -c .) || fail "bad JSON in the test: $1"
	out=$(req add_schedule "{\"schedule\":$doc}")
	echo "$out" | jq -e .result >/dev/null || fail "add_schedule failed: $out"
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds.
wait_for() {
	local limit=$1 i; shift
	for i in $(seq 1 $((limit * 10))); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	return 1
}

# run_status RUN_ID: the run's status.
run_status() { req get_run "{\"run_id\":\"$1\"}" | jq -r .result.status; }
run_final() { case "$(run_status "$1")" in succeeded|failed|cancelled) return 0 ;; esac; return 1; }

# trigger ID: run_schedule; prints the run id.
trigger() { req run_schedule "{\"schedule_id\":\"$1\"}" | jq -r .result.run_id; }

# no_zombies: the daemon has no zombie children.
# A child is a zombie for a moment between its exit and the daemon's
# waitpid; one that stays a zombie for 2 s was never reaped.
no_zombies() {
	local z i
	for i in $(seq 1 20); do
		z=$(ps --ppid "$DPID" -o stat= 2>/dev/null | grep -c '^Z' || true)
		[ "$z" = 0 ] && return 0
		sleep 0.1
	done
	fail "$z zombie children of the daemon for 2 s"
}

# lines FILE: its line count (0 if missing).
lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
# lines_at_least N FILE: true once FILE has N lines (for wait_for).
lines_at_least() { [ "$(lines "$2")" -ge "$1" ]; }
