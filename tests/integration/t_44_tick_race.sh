#!/usr/bin/env bash
# t_44_tick_race.sh - three `ackbeat tick` processes started at the same
# instant (the same --now) on one fresh state give the same result as one
# (issue 16: four processes on one SQLite file used to run every check four
# times, and on a new file three of four crashed in the migrations).
#
# For a SQLite file and for a schema of the stack's PostgreSQL: a config
# of six checks (two failing, one Degraded), ticked at 08:00 and 08:01 by
# one process on one state and by three released together (a FIFO opened
# for writing wakes them all) on another.  Each of the three exits 0; the
# two states then hold the same runs per check (one per tick), the same
# open alerts, each notified once, every message written once to the
# Maildir; `ackbeat status --json` says the same of both.
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2154 # ACKBEAT_STACK_* come from stack.env
. "$AB_SRCDIR/tests/integration/lib.sh"

[ -x "$ACKBEAT" ] || skip_all "no binary at $ACKBEAT"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is missing"
command -v jq >/dev/null || skip_all "jq is missing"
export LC_ALL=C T44_PGPASS=${ACKBEAT_STACK_PG_PASSWORD:-}

psql_() { # SQL: rows, fields split by |
	PGPASSWORD=$T44_PGPASS psql -X -q -At -h 127.0.0.1 -p "$ACKBEAT_STACK_PG_PORT" \
		-U "$ACKBEAT_STACK_PG_USER" -d "$ACKBEAT_STACK_PG_DB" -c "$1"
}

# config DIR STATE-ELEMENT
config() {
	mkdir -p "$1/out/new" "$1/out/cur" "$1/out/tmp"
	cat >"$1/ackbeat.xml" <<EOF
<ackbeat name="race" timezone="UTC" tick="1m">
  $2
  <mail from="ackbeat@example.test" transport="maildir:$1/out"/>
  <recipients><person name="ops" email="ops@example.test"/></recipients>
  <alerting notify="ops" repeat="1d"/>
  <checks>
    <command name="ok-a" command="/bin/true"/>
    <command name="ok-b" command="/bin/true"/>
    <command name="ok-c" command="/bin/echo fine"/>
    <command name="bad-a" command="/bin/false"/>
    <command name="bad-b" command="/bin/sh -c 'exit 2'"/>
    <command name="slowish" command="/bin/sleep 0.3"/>
  </checks>
</ackbeat>
EOF
}

# q MODE DIR SQL: one query on the state of DIR
q() {
	if [ "$1" = sqlite ]; then
		sqlite3 -cmd '.timeout 10000' "$2/state.db" "$3"
	else
		psql_ "SET search_path = $(basename "$2"); $3"
	fi
}

# What the state says, for comparing one state with another.
summary() { # MODE DIR
	echo "runs:"
	q "$1" "$2" "SELECT check_name, count(*) FROM runs GROUP BY check_name ORDER BY check_name"
	echo "alerts:"
	q "$1" "$2" "SELECT check_name, status FROM alerts ORDER BY check_name"
	echo "notified:"
	q "$1" "$2" "SELECT a.check_name, count(*) FROM alert_events e JOIN alerts a ON
		a.id = e.alert_id WHERE e.event = 'notified' GROUP BY a.check_name ORDER BY 1"
}

# status --json without what differs between processes and runs
status_of() { # DIR NOW
	"$ACKBEAT" status -c "$1/ackbeat.xml" --now "$2" --json 2>/dev/null |
		jq -c '[.checks[] | {name, status, last_run, next_run, alert: (.alert.id != null)}],
			{queued: .outbox.queued, failed: .outbox.failed}'
}

# ticks DIR N NOW: N tick processes released together; their exit codes
ticks() {
	local dir=$1 n=$2 now=$3 i pids=() codes=''
	rm -f "$dir/go"
	mkfifo "$dir/go"
	for i in $(seq 1 "$n"); do
		(read -r _ <"$dir/go"; exec "$ACKBEAT" tick -c "$dir/ackbeat.xml" --now "$now") \
			>"$dir/tick$i.out" 2>"$dir/tick$i.err" &
		pids+=($!)
	done
	sleep 0.3 # every one waiting on the FIFO
	: >"$dir/go"
	for i in "${pids[@]}"; do
		wait "$i"
		codes+="$? "
	done
	echo "${codes% }"
}

suite() { # MODE STATE-OF-ONE STATE-OF-THREE
	local mode=$1
	local one=$T_DIR/$mode-one three=$T_DIR/$mode-three
	[ "$mode" = sqlite ] || { one=$T_DIR/t44one$$; three=$T_DIR/t44three$$; }
	config "$one" "$2"
	config "$three" "$3"
	for now in 2026-12-01T08:00:00Z 2026-12-01T08:01:00Z; do
		check_eq "$mode: one tick at $now exits 0" "$(ticks "$one" 1 "$now")" 0
		check_eq "$mode: three ticks at $now all exit 0" "$(ticks "$three" 3 "$now")" "0 0 0"
	done
	local errs
	errs=$(cat "$three"/tick*.err)
	check_fails "$mode: no process crashed or failed a migration" \
		grep -qiE 'segmentation|core dumped|aborted|already exists| error |migration' <<<"$errs"
	local s1 s3
	s1=$(summary "$mode" "$one")
	s3=$(summary "$mode" "$three")
	check_eq "$mode: the three left what one leaves" "$s3" "$s1"
	check_eq "$mode: each check ran once per tick" \
		"$(q "$mode" "$three" "SELECT count(*) FROM runs GROUP BY check_name HAVING count(*) <> 2")" ""
	check_eq "$mode: six checks ran" \
		"$(q "$mode" "$three" "SELECT count(DISTINCT check_name) FROM runs")" 6
	check_eq "$mode: one open alert per failing check" \
		"$(q "$mode" "$three" "SELECT check_name FROM alerts WHERE resolved IS NULL ORDER BY 1" | tr '\n' ' ')" \
		"bad-a bad-b "
	# Each alert notified once; how the notices are grouped may differ
	# (two alerts opened in one tick of one process make one "Open
	# alerts: 2" digest; opened by two processes, the leader may flush
	# the first before the second is in).
	check_eq "$mode: each alert notified once" \
		"$(q "$mode" "$three" "SELECT alert_id FROM alert_events WHERE event = 'notified'
			GROUP BY alert_id HAVING count(*) = 1" | wc -l)" 2
	check_eq "$mode: no notice left waiting" "$(q "$mode" "$three" "SELECT count(*) FROM notices")" 0
	local rows sent
	rows=$(q "$mode" "$three" "SELECT count(*) FROM outbox")
	sent=$(q "$mode" "$three" "SELECT count(*) FROM outbox WHERE status = 'sent'")
	check_like "$mode: one or two messages for the two alerts ($rows), all sent" "$rows $sent" \
		'^(1 1|2 2)$'
	check_eq "$mode: each written to the Maildir once" "$(maildir_count "$three/out")" "$rows"
	check_eq "$mode: status --json says the same of both" \
		"$(status_of "$three" 2026-12-01T08:01:30Z)" "$(status_of "$one" 2026-12-01T08:01:30Z)"
	# A tick process is a node of its own (HOSTNAME:PID): two ticks of three.
	check_eq "$mode: six nodes were seen" "$(q "$mode" "$three" "SELECT count(*) FROM nodes")" 6
	check_eq "$mode: no claim left undone" \
		"$(q "$mode" "$three" "SELECT count(*) FROM claims WHERE done = 0")" 0
}

suite sqlite "<state path=\"$T_DIR/sqlite-one/state.db\"/>" \
	"<state path=\"$T_DIR/sqlite-three/state.db\"/>"

if [ "${ACKBEAT_STACK_PG:-1}" = 1 ] && [ -n "${ACKBEAT_STACK_PG_PORT:-}" ]; then
	for s in "t44one$$" "t44three$$"; do
		psql_ "DROP SCHEMA IF EXISTS $s CASCADE; CREATE SCHEMA $s" >/dev/null
		at_exit "psql_ 'DROP SCHEMA IF EXISTS $s CASCADE' >/dev/null 2>&1"
	done
	url="postgresql://$ACKBEAT_STACK_PG_USER@127.0.0.1:$ACKBEAT_STACK_PG_PORT/$ACKBEAT_STACK_PG_DB"
	suite postgresql \
		"<state url=\"$url?options=-csearch_path%3Dt44one$$\" password-env=\"T44_PGPASS\"/>" \
		"<state url=\"$url?options=-csearch_path%3Dt44three$$\" password-env=\"T44_PGPASS\"/>"
else
	skip "postgresql" "the stack runs without PostgreSQL"
fi
done_testing
