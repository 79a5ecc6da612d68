#!/usr/bin/env bash
# t_41_migrate - <state url=...> against the stack's PostgreSQL, and
# `ackbeat migrate` between SQLite and PostgreSQL (issue 16).
#
# A real SQLite state is made by ticks: an open alert (dismissed), a
# silence, a heartbeat cycle with its reply token, a ping by mail, and a
# notice left queued in the outbox.  It is migrated into a fresh
# PostgreSQL database, and then:
#   - status, alerts, outbox and silences read the same on both;
#   - the Message-ID salt is the source's, and a reply to the heartbeat
#     sent before the move is counted by a tick on PostgreSQL (config
#     <state url= password-env= node=>), whose rows psql reads back;
#   - a second migrate into the same database is refused, naming a table;
#   - PostgreSQL -> SQLite gives the same answers again.
# Run by tests/integration/run; needs the stack's PostgreSQL.
# shellcheck disable=SC2154 # ACKBEAT_STACK_* come from stack.env
. "$AB_SRCDIR/tests/integration/lib.sh"

[ "${ACKBEAT_STACK_PG:-0}" = 1 ] || skip_all "the stack has no PostgreSQL"
PG_BIN=${ACKBEAT_STACK_PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$PG_BIN/psql" ] || skip_all "no psql in $PG_BIN"
cd "$T_DIR" || exit 1

# Two databases of this test's own on the shared server.
dba=t41a_$$ dbb=t41b_$$
su_psql() { "$PG_BIN/psql" -X -q -h "$ACKBEAT_STACK_PG_SOCKET_DIR" -p "$ACKBEAT_STACK_PG_PORT" -U postgres -d postgres "$@"; }
for d in $dba $dbb; do
	su_psql -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $d" \
		-c "CREATE DATABASE $d OWNER $ACKBEAT_STACK_PG_USER" >/dev/null ||
		skip_all "cannot create database $d"
	at_exit "$PG_BIN/psql -X -q -h $ACKBEAT_STACK_PG_SOCKET_DIR -p $ACKBEAT_STACK_PG_PORT -U postgres -d postgres -c 'DROP DATABASE IF EXISTS $d' >/dev/null 2>&1"
done
export T41_PW=$ACKBEAT_STACK_PG_PASSWORD
url_a=postgresql://$ACKBEAT_STACK_PG_USER@127.0.0.1:$ACKBEAT_STACK_PG_PORT/$dba
url_b=postgresql://$ACKBEAT_STACK_PG_USER@127.0.0.1:$ACKBEAT_STACK_PG_PORT/$dbb
pg() { PGPASSWORD=$T41_PW "$PG_BIN/psql" -X -q -At -h 127.0.0.1 -p "$ACKBEAT_STACK_PG_PORT" -U "$ACKBEAT_STACK_PG_USER" -d "$1" -c "$2"; }

PING=t41-ping-$$-0123456789abcdef
mkdir -p in/new in/cur in/tmp
# conf NAME STATE-ELEMENT: the same site on another state.
conf() {
	cat >"$1" <<EOF
<ackbeat name="t41" timezone="UTC">
  $2
  <mail from="ackbeat@example.test" transport="maildir:$T_DIR/out"/>
  <inbox url="maildir:$T_DIR/in" reply-address="heartbeat@example.test" authserv-id="mx.example.test"/>
  <recipients><person name="ops" email="ops@example.test"/></recipients>
  <alerting notify="ops"/>
  <checks>
    <command name="fails" command="/bin/false"/>
    <command name="works" command="/bin/true"/>
    <ping name="job" token="$PING" period="1d" grace="1h"/>
    <heartbeat name="hb" to="ops" grace="2d" reminder="1d"/>
  </checks>
</ackbeat>
EOF
}
conf sqlite.xml '<state path="state.db"/>'
conf pg.xml "<state url=\"$url_a\" password-env=\"T41_PW\" node=\"t41-node\"/>"
conf back.xml '<state path="back.db"/>'

# --- the SQLite installation ---------------------------------------------------
# shellcheck disable=SC2317 # called through check
ab() { "$ACKBEAT" "$@" >>ab.log 2>&1; }
check "hb: a cycle is opened" ab send -c sqlite.xml hb --now 2026-12-01T08:55:00Z
check "ticks on SQLite" ab tick -c sqlite.xml --now 2026-12-01T09:00:00Z
check "dismiss the alert" ab dismiss -c sqlite.xml 1 --by ops@example.test --note "known" \
	--now 2026-12-01T09:01:00Z
check "a silence" ab silence add -c sqlite.xml check=backup-* --until 2026-12-20T00:00:00Z \
	--by ops@example.test --note "moving racks" --now 2026-12-01T09:01:00Z
make_message ops@example.test "heartbeat+$PING@example.test" "done" >in/new/1.ping.eml
# Works goes bad; its notice stays queued (--no-send).
sed -i 's#"/bin/true"#"/bin/false"#' sqlite.xml
check "a tick that leaves the outbox queued" ab tick -c sqlite.xml --no-send \
	--now 2026-12-01T09:05:00Z
conf sqlite.xml '<state path="state.db"/>' # works works again
queued=$(sqlite3 state.db "SELECT count(*) FROM outbox WHERE status = 'queued'" 2>/dev/null)
check_like "SQLite holds a queued message" "$queued" '^[1-9]'
check_eq "and the ping" "$(sqlite3 state.db "SELECT count(*) FROM pings")" 1

# --- validate and a password in the URL -------------------------------------------
out=$("$ACKBEAT" validate -c pg.xml 2>&1)
check_contains "validate names the PostgreSQL state" "$out" "pg.xml: state: $url_a"
conf inurl.xml "<state url=\"postgresql://ackbeat:hunter2@127.0.0.1:1/x\"/>"
out=$("$ACKBEAT" validate -c inurl.xml 2>&1)
check_contains "a password in url= is accepted" "$out" "state: postgresql://ackbeat@127.0.0.1:1/x"
case $out in *hunter2*) not_ok "... and never printed" "$out" ;; *) ok "... and never printed" ;; esac
conf both.xml "<state path=\"s.db\" url=\"$url_a\"/>"
out=$("$ACKBEAT" validate -c both.xml 2>&1)
check_contains "path= and url= together are refused with the line" "$out" \
	"both.xml:2: <state>: give path= (a SQLite file) or url="

# --- SQLite -> PostgreSQL ----------------------------------------------------------
mig=$("$ACKBEAT" migrate --from state.db --to "$url_a" --password-env T41_PW 2>&1)
check_eq "migrate exits 0" "$?" 0
check_like "it reports the tables" "$mig" "runs +[0-9]+ rows"
same() { # DESC CMD...: the same output on SQLite (sqlite.xml) and PostgreSQL
	local desc=$1 a b
	shift
	a=$("$ACKBEAT" "$@" -c sqlite.xml --now 2026-12-01T09:30:00Z 2>&1)
	b=$("$ACKBEAT" "$@" -c pg.xml --now 2026-12-01T09:30:00Z 2>&1)
	if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "$desc"; else not_ok "$desc" "$(diff <(echo "$a") <(echo "$b") | head -20)"; fi
}
same "status --json is the same" status --json
same "alerts --all --json is the same" alerts --all --json
same "outbox --all --json is the same" outbox --all --json
same "silence list --json is the same" silence list --all --json
check_eq "the Message-ID salt came along" \
	"$(pg "$dba" "SELECT value FROM meta WHERE key = 'msgid-salt'")" \
	"$(sqlite3 state.db "SELECT value FROM meta WHERE key = 'msgid-salt'")"
check_eq "runs kept their ids" "$(pg "$dba" "SELECT string_agg(CAST(id AS TEXT), ',' ORDER BY id) FROM runs")" \
	"$(sqlite3 state.db "SELECT group_concat(id, ',') FROM (SELECT id FROM runs ORDER BY id)")"

# The reply to the heartbeat sent before the move: its token still matches.
req=$(grep -l '^X-Ackbeat-Notice: heartbeat-request' out/new/* | head -n 1)
reply_to=$(mail_header reply-to "$req" | tr -d '\r')
check_like "the request's reply address carries a token" "$reply_to" '^heartbeat\+[a-z0-9]+@example.test$'
make_message ops@example.test "$reply_to" "Re: hb" "Done, thanks." >reply.eml
check_like "classify on PostgreSQL: the token was issued" "$("$ACKBEAT" classify -c pg.xml reply.eml 2>&1)" "issued=yes"
make_message ops@example.test "heartbeat+zzzzzzzzzzzzzzzzzzzzzzzzzz@example.test" "Re: hb" >stranger.eml
check_like "... and a made-up one was not" "$("$ACKBEAT" classify -c pg.xml stranger.eml 2>&1)" "issued=no"
cp reply.eml in/new/2.reply.eml
check "a tick on PostgreSQL (<state url= password-env= node=>)" ab tick -c pg.xml --now 2026-12-01T10:00:00Z
check_eq "the reply is counted there" "$(pg "$dba" "SELECT count(*) FROM acks")" 1
check_eq "the tick's runs are stored past the copied ids" \
	"$(pg "$dba" "SELECT CASE WHEN min(id) > (SELECT max(id) FROM runs WHERE started < '2026-12-01T10:00:00Z') THEN 'past' ELSE 'not past' END FROM runs WHERE started >= '2026-12-01T10:00:00Z'")" past
check_eq "by the node named in <state node=>" \
	"$(pg "$dba" "SELECT count(*) FROM nodes WHERE name = 't41-node'")" 1

# --- refusals -------------------------------------------------------------------
out=$("$ACKBEAT" migrate --from state.db --to "$url_a" --password-env T41_PW 2>&1)
check_eq "a second migrate into the same database fails" "$?" 1
check_like "... naming a table that has rows" "$out" "is not empty: table [a-z_]+ has rows"
check_eq "... and leaves it as it was" "$(pg "$dba" "SELECT count(*) FROM acks")" 1
check_exit "--to is required" 2 "$ACKBEAT" migrate --from state.db

# --- PostgreSQL -> PostgreSQL -> SQLite ---------------------------------------------
check "PostgreSQL -> PostgreSQL" ab migrate --from "$url_a" --to "$url_b" --password-env T41_PW
check "PostgreSQL -> SQLite" ab migrate --from "$url_b" --to back.db --password-env T41_PW
for c in "status --json" "alerts --all --json" "outbox --all --json"; do
	# shellcheck disable=SC2086 # c is words
	a=$("$ACKBEAT" $c -c pg.xml --now 2026-12-01T10:30:00Z 2>&1)
	# shellcheck disable=SC2086
	b=$("$ACKBEAT" $c -c back.xml --now 2026-12-01T10:30:00Z 2>&1)
	check_eq "back on SQLite, $c is the same" "$b" "$a"
done
check_eq "the ack came back too" "$(sqlite3 back.db "SELECT count(*) FROM acks")" 1
done_testing
