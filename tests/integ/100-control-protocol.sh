#!/bin/bash
# The control protocol over the real socket: ping/status/start/stop, the
# error codes of DESIGN §2, pipelining, malformed input on a live connection,
# the line cap, path-traversal ids.
. "$(dirname "$0")/lib.sh"
start_daemon --max-request-bytes 4096

out=$(req ping)
assert_json "$out" .result.version "$("$VIBE_BUILD/vibe-schedd" --version | cut -d' ' -f2)"
assert_json "$out" '.result.pid' "$DPID"
ok "ping"

out=$(req status)
assert_json "$out" .result.running true
assert_json "$out" .result.schedules.total 0
assert_json "$out" .result.config.max_concurrent_runs 3
ok "status"

assert_json "$(req stop)" .result.running false
assert_json "$(req is_running)" .result.running false
assert_json "$(req start)" .result.running true
assert_json "$(req is_running)" .result.running true
ok "start/stop/is_running"

out=$(req no_such_method)
assert_json "$out" .error.code -32601
assert_json "$out" .error.data.reason method_not_found
ok "unknown method -32601"

# Malformed JSON, then the same connection still answers, in order.
out=$(printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":' \
	'{"jsonrpc":"2.0","id":2,"method":"ping"}' | rpc 2)
assert_json "$(echo "$out" | sed -n 1p)" .error.code -32700
assert_json "$(echo "$out" | sed -n 1p)" .id null
assert_json "$(echo "$out" | sed -n 2p)" .id 2
assert_json "$(echo "$out" | sed -n 2p)" '.result.pid' "$DPID"
ok "parse error -32700 keeps the connection"

out=$(printf '%s\n' '[1,2]' '{"jsonrpc":"1.0","id":3,"method":"ping"}' \
	'{"jsonrpc":"2.0","id":4,"method":"ping","params":[1]}' | rpc 3)
assert_json "$(echo "$out" | sed -n 1p)" .error.code -32600
assert_json "$(echo "$out" | sed -n 2p)" .error.code -32600
assert_json "$(echo "$out" | sed -n 2p)" .id 3
assert_json "$(echo "$out" | sed -n 3p)" .error.code -32600
ok "invalid requests -32600"

deep=$(printf '%.0s[' $(seq 40))1$(printf '%.0s]' $(seq 40))
out=$(printf '{"jsonrpc":"2.0","id":5,"method":"ping","params":{"x":%s}}\n' "$deep" | rpc)
assert_json "$out" .error.code -32600
out=$(printf '{"jsonrpc":"2.0","id":6,"method":"ping","params":{},"params":{}}\n' | rpc)
assert_json "$out" .error.code -32600
ok "nesting over 32 and duplicate keys -32600"

# Pipelined: 50 requests on one connection come back in order.
out=$(for i in $(seq 1 50); do
	printf '{"jsonrpc":"2.0","id":%d,"method":"ping"}\n' "$i"; done | rpc 50)
assert_eq "$(echo "$out" | jq -r .id | tr '\n' ' ')" "$(seq 1 50 | tr '\n' ' ')" "pipelined ids"
ok "pipelined answers in order"

# A notification is executed but not answered.
out=$(printf '%s\n' '{"jsonrpc":"2.0","method":"stop"}' \
	'{"jsonrpc":"2.0","id":7,"method":"is_running"}' | rpc 1)
assert_json "$out" .id 7
assert_json "$out" .result.running false
req start >/dev/null
ok "notifications"

out=$(req get_schedule '{"schedule_id":"nope"}')
assert_json "$out" .error.code -32001
assert_json "$out" .error.data.reason not_found
out=$(req get_schedule '{}')
assert_json "$out" .error.code -32602
assert_json "$out" .error.data.field schedule_id
out=$(req get_schedule '{"schedule_id":5}')
assert_json "$out" .error.code -32602
assert_json "$out" .error.data.field schedule_id
out=$(req get_schedule '{"schedule_id":"x","bogus":1}')
assert_json "$out" .error.code -32602
assert_json "$out" .error.data.field bogus
ok "not found -32001, invalid params -32602 naming the field"

# Path traversal never reaches the file system.
out=$(req get_schedule '{"schedule_id":"../x"}')
assert_json "$out" .error.code -32001
out=$(req add_schedule '{"schedule":{"schedule_id":"../../etc/x","schedule_type":"interval","schedule_definition":{"interval":"1h"},"asset_graph":{"name":"p"}}}')
assert_json "$out" .error.code -32602
assert_json "$out" .error.data.field schedule.schedule_id
[ ! -e "$T/etc" ] && [ ! -e "$STATE/../x.json" ] || fail "a file escaped the state dir"
out=$(req delete_schedule '{"schedule_id":"../schedules/x"}')
assert_json "$out" .error.code -32001
ok "path-traversal ids refused"

# A line over the cap: -32005, then the connection is closed.
big=$(head -c 5000 /dev/zero | tr '\0' 'a')
out=$(printf '{"jsonrpc":"2.0","id":8,"method":"ping","params":{"x":"%s"}}\n{"jsonrpc":"2.0","id":9,"method":"ping"}\n' "$big" | rpc 2)
assert_json "$(echo "$out" | sed -n 1p)" .error.code -32005
assert_json "$(echo "$out" | sed -n 1p)" .error.data.field max_request_bytes
assert_eq "$(echo "$out" | wc -l)" 1 "answers after an over-long line"
assert_json "$(req ping)" .result.pid "$DPID"
ok "line over max_request_bytes -32005 and closed; daemon still serves"

stop_daemon
[ ! -e "$SOCK" ] || fail "socket file left behind after SIGTERM"
ok "socket removed on exit"
