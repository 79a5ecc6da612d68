#!/usr/bin/env bash
# t_42_pg_restart - PostgreSQL restarted under a running node (issue 16).
#
# `ackbeat run` with the web on a PostgreSQL state of its own (a private
# cluster in $T_DIR, so that stopping it disturbs no other test), a check
# every tick and a ping check.  Then PostgreSQL is stopped:
#   - /healthz answers 503 with a reason, the status page says "Offline
#     for state", and the daemon logs the outage once;
#   - a ping sent meanwhile either fails (5xx) or, if it was answered 200,
#     is in the state afterwards: never acknowledged and lost;
# and started again:
#   - /healthz is 200 again, the daemon logs that the state is back and
#     stores new runs, without a restart;
#   - `ackbeat status --json`, GET /api/nodes and the status page list the
#     node (issue 16's "nodes in status and the web").
# Run by tests/integration/run; needs PostgreSQL 15's binaries
# (ACKBEAT_STACK_PG_BIN).
# shellcheck disable=SC2154 # ACKBEAT_STACK_* come from stack.env
. "$AB_SRCDIR/tests/integration/lib.sh"

PG_BIN=${ACKBEAT_STACK_PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$PG_BIN/initdb" ] || skip_all "no PostgreSQL binaries in $PG_BIN"
command -v runuser >/dev/null || skip_all "no runuser"

free_port() { # the first port from $1 up that nothing listens on
	local p=$1
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
	echo "$p"
}

# --- a private PostgreSQL ------------------------------------------------------
pgdir=$T_DIR/pg
pgport=$(free_port $((${ACKBEAT_STACK_PG_PORT:-55432} + 100)))
mkdir -p "$pgdir/run"
chmod 755 "$T_DIR"
chown postgres:postgres "$pgdir" "$pgdir/run"
printf 'postgres\n' >"$pgdir/pw"
chown postgres "$pgdir/pw"
(cd / && runuser -u postgres -- "$PG_BIN/initdb" -D "$pgdir/data" -U postgres \
	--pwfile="$pgdir/pw" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 \
	--locale=C.UTF-8 --no-sync >"$T_DIR/initdb.log" 2>&1) ||
	{ cat "$T_DIR/initdb.log" >&2; skip_all "initdb failed"; }
cat >>"$pgdir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pgport
unix_socket_directories = '$pgdir/run'
fsync = off
synchronous_commit = off
EOF
touch "$T_DIR/pg.log"
chown postgres "$T_DIR/pg.log"
pg_ctl() { # start|stop the private cluster
	(cd / && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$pgdir/data" -l "$T_DIR/pg.log" \
		-w -t 30 -m fast "$1" </dev/null >>"$T_DIR/pg.log" 2>&1)
}
check "the private PostgreSQL starts" pg_ctl start
at_exit "cd / && runuser -u postgres -- $PG_BIN/pg_ctl -D $pgdir/data -m immediate stop >/dev/null 2>&1"
"$PG_BIN/psql" -X -q -h "$pgdir/run" -p "$pgport" -U postgres -d postgres \
	-c "CREATE ROLE ackbeat LOGIN PASSWORD 'secret42'" -c "CREATE DATABASE t42 OWNER ackbeat" ||
	not_ok "role and database"
export T42_PGPASS=secret42
pg() { PGPASSWORD=$T42_PGPASS "$PG_BIN/psql" -X -q -At -h 127.0.0.1 -p "$pgport" -U ackbeat -d t42 -c "$1"; }

# --- the node ----------------------------------------------------------------
webport=$(free_port $((pgport + 1)))
token=t42-ping-0123456789abcdef
# T42_STATE_ELEM: another <state> element to try (@PORT@: the cluster's port).
state=${T42_STATE_ELEM:-"<state url=\"postgresql://ackbeat@127.0.0.1:@PORT@/t42\" password-env=\"T42_PGPASS\" node=\"t42-node\"/>"}
state=${state//@PORT@/$pgport}
cat >"$T_DIR/ackbeat.xml" <<EOF
<ackbeat name="t42" timezone="UTC" tick="2s">
  $state
  <mail from="ackbeat@example.test" transport="maildir:$T_DIR/Maildir"/>
  <web listen="127.0.0.1:$webport"/>
  <recipients><person name="ops" email="ops@example.test"/></recipients>
  <alerting notify="ops"/>
  <checks>
    <command name="true" command="/bin/true"/>
    <ping name="job" token="$token" period="1h" grace="1h"/>
  </checks>
</ackbeat>
EOF
"$ACKBEAT" validate -c "$T_DIR/ackbeat.xml" >"$T_DIR/validate.out" 2>&1 ||
	{ cat "$T_DIR/validate.out" >&2; skip_all "this build does not take the config's <state> for PostgreSQL"; }

"$ACKBEAT" run -c "$T_DIR/ackbeat.xml" >"$T_DIR/run.out" 2>"$T_DIR/run.err" &
pid=$!
at_exit "kill $pid 2>/dev/null"
url=http://127.0.0.1:$webport
node=t42-node
case $state in *node=*) ;; *) node=$(hostname):$pid ;; esac
code() { curl -s -o "$T_DIR/body" -w '%{http_code}' --max-time 20 "$@"; }
runs() { pg "SELECT count(*) FROM runs WHERE check_name = 'true'"; }
# For wait_until, which runs its command again and again: the request is
# made in each try (an argument "$(code ...)" would be made once, before
# the first, and compared ever after).
healthz_is() { test "$(code "$url/healthz")" = "$1"; }
runs_above() { test "$(runs)" -gt "$1"; }

check "the node runs its check on PostgreSQL" wait_until 30 grep -q "check true: Healthy" "$T_DIR/run.err"
check "/healthz is 200" wait_until 10 healthz_is 200
check_eq "a ping before the outage is taken" "$(code "$url/ping/$token")" 200

# --- nodes in status and on the web -----------------------------------------------
"$ACKBEAT" status -c "$T_DIR/ackbeat.xml" --json >"$T_DIR/status.json" 2>"$T_DIR/status.err"
check_eq "status --json lists the node" \
	"$(jq -r --arg n "$node" '.nodes[] | select(.name == $n) | .name' "$T_DIR/status.json")" "$node"
check_like "... with its last sighting in words" \
	"$(jq -r '.nodes[0].seen' "$T_DIR/status.json")" '(ago|just now)'
"$ACKBEAT" status -c "$T_DIR/ackbeat.xml" >"$T_DIR/status.txt" 2>&1
check_contains "status shows the nodes" "$(cat "$T_DIR/status.txt")" "$node"
code "$url/api/nodes" >/dev/null
check_eq "GET /api/nodes lists it" "$(jq -r '.nodes[0].name' "$T_DIR/body")" "$node"
code "$url/" >/dev/null
check_contains "the status page has a Nodes section" "$(cat "$T_DIR/body")" "<h2>Nodes</h2>"

# --- PostgreSQL goes away -----------------------------------------------------
before_down=$(runs)
check "PostgreSQL stops" pg_ctl stop
# The web probes the state at most once a second, so the first answer
# after the stop may still be the 200 of that second.
check "/healthz says 503" wait_until 20 healthz_is 503
if [ "$(code "$url/healthz")" != 503 ]; then
	diag "healthz: $(cat "$T_DIR/body")"
	diag "postgres: $(pgrep -a -f "postgres -D $pgdir/data" | head -2)"
	diag "log: $(tail -5 "$T_DIR/run.err")"
fi
check_contains "... with the reason" "$(cat "$T_DIR/body")" "state database unreachable"
check "the daemon logs the outage" wait_until 15 grep -q "state: the state database is unreachable" "$T_DIR/run.err"
check_contains "... and the lost connection" "$(cat "$T_DIR/run.err")" "connection to PostgreSQL is lost"
code "$url/" >/dev/null
check_contains "the status page says Offline for state" "$(cat "$T_DIR/body")" "Offline for state"
outage_ping=$(code -X POST --data-binary 'during the outage' "$url/ping/$token")
diag "a ping during the outage: HTTP $outage_ping ($(head -c 80 "$T_DIR/body"))"
check_like "it is answered at once, failed or taken" "$outage_ping" '^(200|5[0-9][0-9])$'
check "the daemon is still running" kill -0 "$pid"
sleep 3

# --- and comes back -----------------------------------------------------------------
# The cluster's own start can fail for a reason of the machine's (its
# port briefly held by another socket): say why, and try once more, so
# that what is tested below is the daemon coming back, not pg_ctl.
if ! pg_ctl start; then
	diag "pg_ctl start failed once: $(tail -n 5 "$T_DIR/pg.log" | tr '\n' ' ')"
	sleep 2
fi
# Running after the first try, or started by the second.
pg_up() { pg_ctl status >/dev/null 2>&1 || pg_ctl start; }
check "PostgreSQL starts again" pg_up
check "/healthz is 200 again" wait_until 45 healthz_is 200
check "the daemon logs that it is back" wait_until 45 grep -q "state database is reachable again" "$T_DIR/run.err"
check "new runs are stored, without a restart" wait_until 30 runs_above "$before_down"
check_eq "a ping after is taken" "$(code "$url/ping/$token")" 200
# Every ping answered 200 is stored: two, or three when the one sent
# during the outage was taken (a failed one may not be stored).
want=2
[ "$outage_ping" = 200 ] && want=3
stored=$(pg "SELECT count(*) FROM pings WHERE check_name = 'job'")
check "the pings answered 200 are all stored ($stored of at least $want)" \
	test "${stored:-0}" -ge "$want" -a "${stored:-0}" -le 3

kill -TERM "$pid"
wait "$pid"
check_eq "SIGTERM exits 0" "$?" 0

# --- a node started while PostgreSQL is down -----------------------------------
# It waits for the database (a reboot of both, a failover under way), as a
# running node does when it goes away, instead of exiting.
check "PostgreSQL stops again" pg_ctl stop
"$ACKBEAT" run -c "$T_DIR/ackbeat.xml" >"$T_DIR/run2.out" 2>"$T_DIR/run2.err" &
pid=$!
check "a node started without its database says it waits" 	wait_until 20 grep -q "state: .*cannot connect to the state database.*retrying in" "$T_DIR/run2.err"
sleep 2
check "... and is still running" kill -0 "$pid"
check "PostgreSQL starts once more" pg_ctl start
check "it connects, and runs its check" wait_until 45 grep -q "check true: Healthy" "$T_DIR/run2.err"
check "/healthz is 200 on it" wait_until 20 healthz_is 200
kill -TERM "$pid"
wait "$pid"
check_eq "SIGTERM exits 0 again" "$?" 0

# Waiting is for a server that is away; one that answers and refuses (a
# wrong password) is an error at once.
sed 's/password-env="T42_PGPASS"/password-env="T42_WRONG"/' "$T_DIR/ackbeat.xml" >"$T_DIR/wrong.xml"
T42_WRONG=not-the-password timeout 20 "$ACKBEAT" run -c "$T_DIR/wrong.xml" >/dev/null 2>"$T_DIR/wrong.err"
rc=$?
check_eq "a refused password exits 1 at once" "$rc" 1
check_contains "... naming the state database" "$(cat "$T_DIR/wrong.err")" "cannot connect to the state database"

# And SIGTERM while it waits ends it cleanly.
check "PostgreSQL stops for the last time" pg_ctl stop
"$ACKBEAT" run -c "$T_DIR/ackbeat.xml" >/dev/null 2>"$T_DIR/run3.err" &
pid=$!
wait_until 20 grep -q "retrying in" "$T_DIR/run3.err"
kill -TERM "$pid"
wait "$pid"
check_eq "SIGTERM while it waits exits 0" "$?" 0
done_testing
