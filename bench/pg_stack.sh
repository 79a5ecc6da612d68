# pg_stack.sh - sourced by the benchmarks that need PostgreSQL (bench_nodes,
# bench_web): find or start one, make it durable, and put it back.
#
#   pg_stack_up WORKDIR   inside a stack (ACKBEAT_STACK_DIR with stack.env)
#                         that one is used; otherwise, as root, a stack of
#                         its own on ports 48xx is started under WORKDIR.
#                         Sets pg_base (a URL without the database),
#                         PGPASSWORD, PG_BIN; returns 1 when there is none.
#   pg_stack_down         fsync and synchronous_commit back as they were,
#                         and our own stack stopped and removed.
#   pg_db NAME            an empty database NAME (dropped first).
#   pg_drop NAME
#
# PostgreSQL runs with fsync and synchronous_commit on (the test stack
# turns them off), as SQLite runs with synchronous=FULL: both durable.
pg_own_stack= pg_durable=

pg_su_psql() {
	(cd / && runuser -u postgres -- "$PG_BIN/psql" -X -q -At -h "$ACKBEAT_STACK_DIR/pg/run" \
		-p "$ACKBEAT_STACK_PG_PORT" -U postgres -d postgres -c "$1")
}

pg_stack_up() {
	if [ -n "${ACKBEAT_STACK_DIR:-}" ] && [ -r "$ACKBEAT_STACK_DIR/stack.env" ]; then
		# shellcheck disable=SC1091
		. "$ACKBEAT_STACK_DIR/stack.env"
	elif [ "$(id -u)" = 0 ]; then
		pg_own_stack=$1/stack
		ACKBEAT_STACK_SMTP_PORT=4825 ACKBEAT_STACK_SUBMISSION_PORT=4887 \
			ACKBEAT_STACK_SMTPS_PORT=4865 ACKBEAT_STACK_IMAP_PORT=4843 \
			ACKBEAT_STACK_IMAPS_PORT=4893 ACKBEAT_STACK_PG_PORT=48432 \
			tests/stack/start.sh "$pg_own_stack" >/dev/null || return 1
		# shellcheck disable=SC1091
		. "$pg_own_stack/stack.env"
	else
		return 1
	fi
	PG_BIN=${ACKBEAT_STACK_PG_BIN:-/usr/lib/postgresql/15/bin}
	pg_su_psql "ALTER SYSTEM SET fsync = on" >/dev/null
	pg_su_psql "ALTER SYSTEM SET synchronous_commit = on" >/dev/null
	pg_su_psql "SELECT pg_reload_conf()" >/dev/null
	pg_durable=1
	export PGPASSWORD=$ACKBEAT_STACK_PG_PASSWORD PGOPTIONS="-c client_min_messages=warning"
	pg_base="postgresql://$ACKBEAT_STACK_PG_USER@127.0.0.1:$ACKBEAT_STACK_PG_PORT"
}

pg_stack_down() {
	if [ -n "$pg_durable" ]; then
		pg_su_psql "ALTER SYSTEM RESET fsync" >/dev/null 2>&1
		pg_su_psql "ALTER SYSTEM RESET synchronous_commit" >/dev/null 2>&1
		pg_su_psql "SELECT pg_reload_conf()" >/dev/null 2>&1
		pg_durable=
	fi
	if [ -n "$pg_own_stack" ]; then
		tests/stack/stop.sh "$pg_own_stack" --rm >/dev/null 2>&1
		pg_own_stack=
	fi
	return 0
}

pg_psql() {
	"$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$ACKBEAT_STACK_PG_PORT" -U "$ACKBEAT_STACK_PG_USER" \
		-d "$ACKBEAT_STACK_PG_DB" "$@"
}

pg_db() { pg_psql -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null; }
pg_drop() { pg_psql -c "DROP DATABASE IF EXISTS $1" >/dev/null; }
