#!/bin/bash
# Schedule methods through vibectl and raw JSON: add (flags, file, stdin),
# get, list with a status filter, update, pause/resume/delete, validation
# errors naming the field, next_fire_times against the schedule math, and
# the seed's three example schedules exactly as the seed describes them.
. "$(dirname "$0")/lib.sh"
start_daemon

# The seed's examples.
vibectl add daily_report --name "Daily Report" --cron "0 9 * * *" \
	--description "Generate daily report at 9 AM" --tz America/New_York \
	--pipeline report_pipeline >/dev/null
vibectl add hourly_sync --name "Hourly Data Sync" --every 1h \
	--description "Sync data every hour" --tz UTC --pipeline sync_pipeline >/dev/null
vibectl add data_arrival --name "Process New Data" --on data_available \
	--debounce 60 --description "Process data when new data arrives" --tz UTC \
	--pipeline process_pipeline >/dev/null
out=$(vibectl --json get daily_report)
assert_json "$out" .schedule_type cron
assert_json "$out" .name "Daily Report"
assert_json "$out" .schedule_definition.cron_expression "0 9 * * *"
assert_json "$out" .schedule_definition.description "Generate daily report at 9 AM"
assert_json "$out" .asset_graph.name report_pipeline
assert_json "$out" .timezone America/New_York
assert_json "$out" .status active
assert_json "$out" .owner root
assert_contains "$(echo "$out" | jq -r .next_fire_time_local)" "T09:00:00-0"
out=$(vibectl --json get hourly_sync)
assert_json "$out" .schedule_definition.interval 1h
out=$(vibectl --json get data_arrival)
assert_json "$out" .schedule_definition.event_type data_available
assert_json "$out" .schedule_definition.debounce_seconds 60
assert_json "$out" .next_fire_time null
ok "the seed's three schedules added with vibectl"

out=$(vibectl list)
assert_contains "$out" daily_report
assert_contains "$out" "0 9 * * *"
assert_contains "$out" "in "
ok "vibectl list shows next fire"

# From a file and from stdin.
cat >"$T/s.json" <<'J'
{"schedule_id":"from_file","schedule_type":"cron",
 "schedule_definition":{"cron_expression":"*/5 * * * *"},
 "asset_graph":{"name":"g","assets":[{"name":"a","command":["/bin/true"]},
   {"name":"b","command":"echo hi","deps":["a"],"timeout_seconds":5,"retries":1}]}}
J
vibectl add -f "$T/s.json" >/dev/null
sed 's/from_file/from_stdin/' "$T/s.json" | vibectl add -f - >/dev/null
assert_json "$(vibectl --json get from_stdin)" '.asset_graph.assets[1].deps[0]' a
ok "add -f FILE and -f -"

# Errors: already exists (exit 1), not found (exit 1), bad input (field named).
set +e
vibectl add -f "$T/s.json" 2>"$T/err"; rc=$?
set -e
assert_eq "$rc" 1 "exit code for already exists"
assert_contains "$(cat "$T/err")" "already exists"
out=$(req add_schedule "{\"schedule\":$(jq -c . "$T/s.json")}")
assert_json "$out" .error.code -32002

check_invalid() { # SCHEDULE_JSON FIELD MESSAGE_PART
	local out
	out=$(req add_schedule "{\"schedule\":$1}")
	assert_json "$out" .error.code -32602
	assert_json "$out" .error.data.field "$2"
	assert_contains "$(echo "$out" | jq -r .error.message)" "$3" "message for $2"
}
G='"asset_graph":{"name":"p"}'
check_invalid '{"schedule_id":"c1","schedule_type":"cron","schedule_definition":{"cron_expression":"61 * * * *"},'"$G"'}' \
	schedule.schedule_definition.cron_expression "minute"
check_invalid '{"schedule_id":"c2","schedule_type":"cron","schedule_definition":{"cron_expression":"0 0 30 2 *"},'"$G"'}' \
	schedule.schedule_definition.cron_expression "never fires"
check_invalid '{"schedule_id":"c3","schedule_type":"interval","schedule_definition":{"interval":"0s"},'"$G"'}' \
	schedule.schedule_definition.interval "0s"
check_invalid '{"schedule_id":"c4","schedule_type":"weekly","schedule_definition":{},'"$G"'}' \
	schedule.schedule_type "cron"
check_invalid '{"schedule_id":"c5","schedule_type":"cron","schedule_definition":{"cron_expression":"* * * * *"},"timezone":"Mars/Base",'"$G"'}' \
	schedule.timezone "Mars/Base"
check_invalid '{"schedule_id":"c6","schedule_type":"cron","schedule_definition":{"cron_expression":"* * * * *"},"asset_graph":{"name":"g","assets":[{"name":"a","command":["x"],"deps":["zz"]}]}}' \
	schedule.asset_graph.assets "unknown asset 'zz'"
check_invalid '{"schedule_id":"c7","schedule_type":"cron","schedule_definition":{"cron_expression":"* * * * *"},"asset_graph":{"name":"g","assets":[{"name":"a","command":["x"],"deps":["b"]},{"name":"b","command":["y"],"deps":["a"]}]}}' \
	schedule.asset_graph.assets "cycle"
check_invalid '{"schedule_id":"c8","schedule_type":"cron","schedule_definition":{"cron_expression":"* * * * *"},"asset_graph":{"name":"g","assets":[{"name":"a","command":["x"]},{"name":"a","command":["y"]}]}}' \
	schedule.asset_graph.assets "duplicate"
check_invalid '{"schedule_id":"c9","schedule_type":"cron","schedule_definition":{"cron_expression":"* * * * *"},"asset_graph":{"name":"g","assets":[{"name":"a","command":[]}]}}' \
	'schedule.asset_graph.assets[0].command' "empty command"
check_invalid '{"schedule_id":"c10","schedule_type":"cron","schedule_definition":{"cron_expression":"* * * * *"},"asset_graph":{"name":"g","assets":[{"name":"a","command":""}]}}' \
	'schedule.asset_graph.assets[0].command' "empty command"
check_invalid '{"schedule_id":"c11","schedule_type":"cron","schedule_definition":{"cron_expression":"* * * * *"},'"$G"',"colour":"red"}' \
	schedule.colour "unknown field"
check_invalid '{"schedule_id":"-bad","schedule_type":"cron","schedule_definition":{"cron_expression":"* * * * *"},'"$G"'}' \
	schedule.schedule_id "not a valid id"
check_invalid '{"schedule_id":"c12","schedule_type":"event","schedule_definition":{"event_type":""},'"$G"'}' \
	schedule.schedule_definition.event_type "non-empty"
ok "validation errors name the field"

# list with a status filter; pause/resume/delete.
vibectl pause hourly_sync >/dev/null
assert_json "$(vibectl --json get hourly_sync)" .status paused
assert_json "$(vibectl --json get hourly_sync)" .next_fire_time null
assert_eq "$(vibectl --json list --status paused | jq -r '.schedules[].schedule_id' | tr '\n' ' ')" "hourly_sync " "paused list"
assert_eq "$(vibectl --json list --status active | jq -r '.schedules[].schedule_id' | tr '\n' ' ')" "daily_report data_arrival from_file from_stdin " "active list"
out=$(req list_schedules '{"status":"sleeping"}')
assert_json "$out" .error.data.field status
vibectl resume hourly_sync >/dev/null
assert_json "$(vibectl --json get hourly_sync)" .status active
[ "$(vibectl --json get hourly_sync | jq -r .next_fire_time)" != null ] || fail "resumed schedule has no next fire"
vibectl delete from_stdin >/dev/null
set +e; vibectl get from_stdin >/dev/null 2>&1; rc=$?; set -e
assert_eq "$rc" 1 "get after delete"
[ ! -e "$STATE/schedules/from_stdin.json" ] || fail "deleted schedule file still there"
ok "pause/resume/delete and list --status"

# update replaces the definition, keeps created_at and owner.
created=$(vibectl --json get from_file | jq -r .created_at)
sed 's#\*/5 \* \* \* \*#15 3 * * *#' "$T/s.json" | vibectl update -f - >/dev/null
out=$(vibectl --json get from_file)
assert_json "$out" .schedule_definition.cron_expression "15 3 * * *"
assert_json "$out" .created_at "$created"
out=$(req update_schedule '{"schedule":{"schedule_id":"ghost","schedule_type":"interval","schedule_definition":{"interval":"1h"},"asset_graph":{"name":"p"}}}')
assert_json "$out" .error.code -32001
ok "update"

# next_fire_times agrees with the schedule math (the cronq tool).
out=$(req next_fire_times '{"cron_expression":"30 2 * * *","timezone":"America/New_York","after":"2025-03-08T12:00:00Z","count":3}')
want=$(printf '30 2 * * *\tAmerica/New_York\t2025-03-08T12:00:00Z\t3\n' | "$VIBE_BUILD/tests/cronq")
assert_eq "$(echo "$out" | jq -r '.result.times | join(" ")')" "$want" "next_fire_times vs cronq"
assert_eq "$want" "2025-03-09T07:00:00Z 2025-03-10T06:30:00Z 2025-03-11T06:30:00Z" "golden"
out=$(req next_fire_times '{"schedule_id":"daily_report","after":"2025-11-01T00:00:00Z","count":3}')
assert_eq "$(echo "$out" | jq -r '.result.times | join(" ")')" \
	"2025-11-01T13:00:00Z 2025-11-02T14:00:00Z 2025-11-03T14:00:00Z" "daily_report across fall back"
out=$(req next_fire_times '{"interval":"90m","start_time":"2025-01-01T00:00:00Z","after":"2025-01-01T02:00:00Z","count":2}')
assert_eq "$(echo "$out" | jq -r '.result.times | join(" ")')" "2025-01-01T03:00:00Z 2025-01-01T04:30:00Z" "interval grid"
out=$(vibectl --json next daily_report --count 2)
assert_eq "$(echo "$out" | jq -r '.times | length')" 2 "vibectl next"
out=$(req next_fire_times '{"cron_expression":"* * *","count":1}')
assert_json "$out" .error.code -32602
out=$(req next_fire_times '{"count":1}')
assert_json "$out" .error.code -32602
ok "next_fire_times"
