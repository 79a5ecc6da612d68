#!/usr/bin/env bash
# t_43_nodes - several nodes on one PostgreSQL, killed at random (issue 16).
#
# Three `ackbeat run` nodes share one PostgreSQL state and one config:
# 1,000 freshness checks (200 of them failing) every 20 s, and a heartbeat
# to 40 people every 30 s whose replies come back through Postfix into the
# IMAP inbox.  For a minute (T43_SECONDS) a random node is SIGKILLed every
# few seconds and started again; once, midway, PostgreSQL itself is
# stopped for a few seconds and started again.  Then the nodes run until
# everything is sent and read, and stop on SIGTERM.  Afterwards:
#   - every check ran once per due time: for each check, as many complete
#     scheduled runs as claims done, no claim left undone, and every check
#     ran more than once (the work went on through the kills);
#   - one alert per failing check and none for the others;
#   - each heartbeat cycle opened once per due time (no two cycles of the
#     check less than half its period apart);
#   - every outbox message reached Dovecot (by Message-ID), and none more
#     often than the kills allow (a kill between the server's acceptance
#     and the commit of "sent" may resend a group once: at most 32 per
#     kill, as t_92 for one node);
#   - every reply was counted exactly once;
#   - the data holds together: no result without its run, no ack without
#     its token, the nodes are listed, and the nodes reported the outage
#     and came back.
# The same suite then runs with one node on a SQLite file (no PostgreSQL
# restart), T43_SQLITE_SECONDS long.  PostgreSQL is a cluster of the
# test's own (pg_private), so that stopping it disturbs no other test.
#
# Knobs: T43_SECONDS (60), T43_SQLITE_SECONDS (25), T43_CHECKS (1000),
# T43_FAILING (200), T43_SEED.
# shellcheck disable=SC2154 # ACKBEAT_STACK_* come from stack.env
. "$AB_SRCDIR/tests/integration/lib.sh"

[ -x "$ACKBEAT" ] || skip_all "no binary at $ACKBEAT"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is missing"
[ -x "${ACKBEAT_STACK_PG_BIN:-/usr/lib/postgresql/15/bin}/initdb" ] || skip_all "no PostgreSQL binaries"
command -v runuser >/dev/null || skip_all "no runuser"

SECS=${T43_SECONDS:-60}
SQ_SECS=${T43_SQLITE_SECONDS:-25}
NCHK=${T43_CHECKS:-1000}
NFAIL=${T43_FAILING:-200}
NPEOPLE=40
seed=${T43_SEED:-$$}
RANDOM=$seed
tag="t43x$$r$RANDOM"
export LC_ALL=C
export T43_IMAP_PASS=$ACKBEAT_STACK_PASSWORD_heartbeat T43_PGPASS=secret43
diag "seed $seed, tag $tag, $NCHK checks ($NFAIL failing), ${SECS}s of kills on PostgreSQL, ${SQ_SECS}s on SQLite"

log() { diag "$(date +%T.%N | cut -c1-12) $*"; }
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
# shellcheck disable=SC2317 # called through $qf
pg() { # SQL: rows of the test's database, fields split by |
	PGPASSWORD=$T43_PGPASS "$PGP_BIN/psql" -X -q -At -h 127.0.0.1 -p "$PGP_PORT" \
		-U ackbeat -d t43 -c "$1"
}
lite() { sqlite3 -cmd '.timeout 10000' "$T_DIR/sq/state.db" "$1"; }
# --- the data the checks read -----------------------------------------------
now_iso=$(date -u +%FT%TZ)
sqlite3 "$T_DIR/data.db" "CREATE TABLE fresh(ts TEXT); INSERT INTO fresh VALUES ('$now_iso');
	CREATE TABLE stale(ts TEXT); INSERT INTO stale VALUES ('2001-01-01T00:00:00Z');"

# config MODE DIR STATE-ELEMENT: one node's config (every node reads the same)
config() {
	local dir=$1 state=$2 members='' checks='' i
	for i in $(seq 1 "$NPEOPLE"); do
		members+=$(printf '<member>alice+%s%sr%03d@example.test</member>' "$tag" "$(basename "$dir")" "$i")
	done
	for i in $(seq 1 "$NCHK"); do
		local table=fresh
		((i <= NFAIL)) && table=stale
		checks+="    <freshness name=\"c$i\" source=\"data\" table=\"$table\" column=\"ts\" max-age=\"1d\" schedule=\"s20\"/>"$'\n'
	done
	mkdir -p "$dir"
	cat >"$dir/ackbeat.xml" <<EOF2
<ackbeat name="nodes $tag" timezone="UTC" tick="1s">
  $state
  <mail from="heartbeat@example.test" transport="smtp://127.0.0.1:$ACKBEAT_STACK_SMTP_PORT/nodes.test"
        tls="opportunistic" ca-file="$ACKBEAT_STACK_CA" timeout="10s"/>
  <inbox url="imap://127.0.0.1:$ACKBEAT_STACK_IMAP_PORT/INBOX" username="heartbeat"
         password-env="T43_IMAP_PASS" poll="1s" timeout="10s" tls="opportunistic"
         ca-file="$ACKBEAT_STACK_CA" reply-address="heartbeat@example.test" ack-from="example.test"/>
  <recipients>
    <person name="ops" email="bob+$tag$(basename "$dir")@example.test"/>
    <group name="many">$members</group>
  </recipients>
  <alerting notify="ops" repeat="1d"/>
  <schedule name="s20" every="20s"/>
  <schedule name="s30" every="30s"/>
  <sources><sqlite name="data" path="$T_DIR/data.db"/></sources>
  <checks>
$checks    <heartbeat name="hb" schedule="s30" to="many" grace="7d" quorum="1"/>
  </checks>
</ackbeat>
EOF2
}

# --- the replier: answers every token, once, through Postfix -----------------
reply_file() { # TOKEN RCPT
	printf 'From: %s\r\nTo: heartbeat+%s@example.test\r\n' "$2" "$1"
	printf 'Subject: Re: heartbeat\r\nIn-Reply-To: <hb.%s@example.test>\r\n' "$1"
	printf 'Message-ID: <re.%s@%s.test>\r\nDate: %s\r\n' "$1" "$tag" "$(LC_ALL=C date -R)"
	printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
	printf 'Received, thanks.\r\n\r\n> Reference: hb.%s\r\n' "$1"
}
replier() { # QUERY-FUNCTION DIR: until DIR/replier.stop exists
	local qf=$1 dir=$2 tok rcpt args
	local -A seen=()
	mkdir -p "$dir/replies"
	: >"$dir/replies.sent"
	while [ ! -f "$dir/replier.stop" ]; do
		args=()
		while read -r tok rcpt; do
			if [ -z "$tok" ] || [ -n "${seen[$tok]}" ]; then continue; fi
			seen[$tok]=1
			reply_file "$tok" "$rcpt" >"$dir/replies/$tok.eml"
			args+=("$ACKBEAT_STACK_SMTP_URL/client.test" --mail-from "$rcpt"
				--mail-rcpt "heartbeat+$tok@example.test" -T "$dir/replies/$tok.eml" --next)
			echo "$tok" >>"$dir/replies.want"
		done < <("$qf" "SELECT token, recipient FROM tokens ORDER BY token" 2>>"$dir/replier.err" | tr '|' ' ')
		if ((${#args[@]})); then
			unset 'args[${#args[@]}-1]'
			until curl -sS --max-time 60 "${args[@]}" >>"$dir/replier.out" 2>>"$dir/replier.err"; do
				sleep 0.5
			done
			sort -u "$dir/replies.want" >"$dir/replies.sent"
		fi
		sleep 0.5
	done
}

# --- the suite ----------------------------------------------------------------
# suite LABEL DIR QUERY-FUNCTION NODES SECONDS RESTART-PG(0/1)
suite() {
	local label=$1 dir=$2 qf=$3 nodes=$4 secs=$5 restart=$6
	local -a pids=()
	local i kills=0 dead=0 t_end victim
	start_node() { # I
		"$ACKBEAT" run -c "$dir/ackbeat.xml" >>"$dir/node$1.out" 2>>"$dir/node$1.err" &
		pids[$1]=$!
		echo "$!" >>"$dir/pids.all"
	}
	check "$label: the config validates" "$ACKBEAT" validate -c "$dir/ackbeat.xml"
	for i in $(seq 1 "$nodes"); do start_node "$i"; done
	at_exit "kill -9 \$(cat $dir/pids.all) 2>/dev/null; touch $dir/replier.stop"
	replier "$qf" "$dir" &
	local rpid=$!
	log "$label: $nodes node(s) started"
	t_end=$((SECONDS + secs))
	local half=$((SECONDS + secs / 2)) restarted=0
	while ((SECONDS < t_end)); do
		sleep "$((2 + RANDOM % 3)).$((RANDOM % 10))"
		victim=$((1 + RANDOM % nodes))
		if alive "${pids[$victim]}"; then
			kill -9 "${pids[$victim]}"
			kills=$((kills + 1))
		else
			dead=$((dead + 1))
			log "$label: node $victim was not running"
		fi
		wait "${pids[$victim]}" 2>/dev/null
		start_node "$victim"
		if [ "$restart" = 1 ] && ((restarted == 0 && SECONDS >= half)); then
			# The node just started has connected (one that starts while
			# the server is down exits, for systemd to start again).
			sleep 3
			log "$label: stopping PostgreSQL"
			pg_private_ctl stop
			sleep 4
			pg_private_ctl start || pg_private_ctl start
			restarted=1
			log "$label: PostgreSQL is back"
		fi
	done
	log "$label: $kills kills; running to the end"
	check_eq "$label: no node died by itself" "$dead" 0
	# Then to the end: everything sent, every reply read, no claim open.
	# shellcheck disable=SC2317 # called by wait_until
	finished() {
		local n
		n=$(wc -l <"$dir/replies.sent")
		[ "$("$qf" "SELECT CASE WHEN (SELECT count(*) FROM outbox WHERE status != 'sent') = 0
			AND (SELECT count(*) FROM acks) >= $n AND $n > 0
			AND (SELECT count(*) FROM tokens) = $n THEN 1 ELSE 0 END" 2>/dev/null)" = 1 ]
	}
	check "$label: after the kills, everything is sent and every reply read" wait_until 120 finished
	# No more replies; then those the replier sent last are read too
	# (a cycle may open meanwhile: its mail is sent, nobody answers it).
	touch "$dir/replier.stop"
	wait "$rpid" 2>/dev/null
	# shellcheck disable=SC2317 # called by wait_until
	drained() {
		[ "$("$qf" "SELECT CASE WHEN (SELECT count(*) FROM outbox WHERE status != 'sent') = 0
			AND (SELECT count(*) FROM acks) >= $(wc -l <"$dir/replies.sent")
			AND (SELECT count(*) FROM claims WHERE done = 0) = 0
			AND (SELECT count(*) FROM claims WHERE kind = 'check' AND done = 1) >= 2 * $NCHK
			THEN 1 ELSE 0 END" 2>/dev/null)" = 1 ]
	}
	# Claims a killed node left are taken over when their lease lapses
	# (a tick and a few seconds): every due time is run in the end.  And
	# the checks' second due time has come (a short run may end before).
	check "$label: ... the last replies too, and every claim done" wait_until 60 drained
	# A tick more, so that what the last tick claimed is done.
	sleep 2
	local rc_all=0
	for i in $(seq 1 "$nodes"); do
		kill -TERM "${pids[$i]}" 2>/dev/null
		wait "${pids[$i]}" || rc_all=$?
	done
	check_eq "$label: every node stops cleanly on SIGTERM" "$rc_all" 0
	assertions "$label" "$dir" "$qf" "$kills" "$restart"
}

assertions() { # LABEL DIR QUERY-FUNCTION KILLS RESTARTED
	local label=$1 dir=$2 qf=$3 kills=$4 restarted=$5
	# Every check ran once per due time.
	"$qf" "SELECT r.check_name, count(*) FROM runs r WHERE r.status = 'Complete'
		AND r.trigger = 'schedule' AND r.check_name LIKE 'c%' GROUP BY r.check_name
		ORDER BY r.check_name" >"$dir/runs.per"
	"$qf" "SELECT name, count(*) FROM claims WHERE kind = 'check' AND done = 1
		GROUP BY name ORDER BY name" >"$dir/claims.per"
	check "$label: every check ran once per due time (complete runs = claims done, per check)" \
		diff "$dir/claims.per" "$dir/runs.per"
	check_eq "$label: every check ran" "$(wc -l <"$dir/runs.per")" "$NCHK"
	check_eq "$label: every check ran more than once" \
		"$(awk -F'|' '$2 < 2' "$dir/runs.per" | wc -l)" 0
	check_eq "$label: no check claim is left undone" \
		"$("$qf" "SELECT count(*) FROM claims WHERE kind = 'check' AND done = 0")" 0
	diag "$label: $(awk -F'|' '{n += $2} END {print n}' "$dir/runs.per") runs of $NCHK checks after $kills kills"
	# One alert per failing check.
	check_eq "$label: one open alert per failing check, none for the others" \
		"$("$qf" "SELECT count(*), count(DISTINCT check_name), min(CAST(substr(check_name, 2) AS INTEGER)),
			max(CAST(substr(check_name, 2) AS INTEGER)) FROM alerts WHERE resolved IS NULL AND check_name LIKE 'c%'")" \
		"$NFAIL|$NFAIL|1|$NFAIL"
	# Heartbeat cycles: once per due time.
	local gaps
	gaps=$("$qf" "SELECT opened FROM cycles WHERE check_name = 'hb' ORDER BY opened" |
		while read -r t; do date -u -d "$t" +%s; done | awk 'NR > 1 && $1 - p < 15 {n++} {p = $1} END {print n + 0}')
	check_eq "$label: no heartbeat cycle opened twice for one due time" "$gaps" 0
	check "$label: heartbeat cycles were opened" test "$("$qf" "SELECT count(*) FROM cycles")" -ge 1
	# Every outbox message reached Dovecot, by Message-ID.
	"$qf" "SELECT message_id FROM outbox WHERE status = 'sent'" | tr -d '<>' | sort -u >"$dir/outbox.ids"
	cat "$ACKBEAT_STACK_MAILDIR_alice"/{new,cur}/* "$ACKBEAT_STACK_MAILDIR_bob"/{new,cur}/* 2>/dev/null |
		grep -i '^message-id:' | sed 's/^[^:]*: *//' | tr -d '\r<>' | sort >"$dir/arrived.all"
	join "$dir/outbox.ids" "$dir/arrived.all" >"$dir/arrived.ours"
	local nout missing dups
	nout=$(wc -l <"$dir/outbox.ids")
	missing=$(comm -23 "$dir/outbox.ids" <(sort -u "$dir/arrived.ours") | wc -l)
	dups=$(($(wc -l <"$dir/arrived.ours") - $(sort -u "$dir/arrived.ours" | wc -l)))
	check "$label: mail was sent (heartbeats and notices)" test "$nout" -gt "$NPEOPLE"
	check_eq "$label: every outbox message reached Dovecot" "$missing" 0
	diag "$label: $nout messages, $dups duplicate(s) after $kills kills"
	check "$label: at most one group (32) of duplicates per kill" test "$dups" -le $((kills * 32))
	# A crash between the server's acceptance and "sent" resends once.
	check "$label: no message arrived more than twice" \
		test "$(uniq -c "$dir/arrived.ours" | awk 'BEGIN { m = 0 } $1 > m { m = $1 } END { print m }')" -le 2
	# Every reply counted once.
	local nrep
	nrep=$(wc -l <"$dir/replies.sent")
	check_eq "$label: acks = distinct replies delivered" "$("$qf" "SELECT count(*) FROM acks")" "$nrep"
	check_eq "$label: no reply acknowledged twice" \
		"$("$qf" "SELECT count(*) - count(DISTINCT token) FROM acks")" 0
	# The data holds together.
	check_eq "$label: no result without its run" \
		"$("$qf" "SELECT count(*) FROM results s LEFT JOIN runs r ON r.id = s.run_id WHERE r.id IS NULL")" 0
	check_eq "$label: no ack without its token" \
		"$("$qf" "SELECT count(*) FROM acks a LEFT JOIN tokens t ON t.token = a.token WHERE t.token IS NULL")" 0
	# status exits 1: checks are failing.
	"$ACKBEAT" status -c "$dir/ackbeat.xml" >"$dir/status.out" 2>&1
	check_eq "$label: ackbeat status reads the state (1: some checks fail)" "$?" 1
	check_like "$label: ... and lists the nodes" "$(cat "$dir/status.out")" 'nodes:'
	check "$label: the nodes are recorded" test "$("$qf" "SELECT count(*) FROM nodes")" -ge 2
	check_fails "$label: no sanitizer error, crash or corruption in the logs" \
		grep -qiE 'AddressSanitizer|runtime error|malformed|corrupt' "$dir"/node*.err
	if [ "$restarted" = 1 ]; then
		check "$label: a node logged the lost database" grep -q 'connection to PostgreSQL is lost' "$dir"/node*.err
		check "$label: ... and that it came back" grep -q 'reconnected to PostgreSQL' "$dir"/node*.err
	fi
}

# --- PostgreSQL, three nodes --------------------------------------------------
pg_private "$T_DIR/pgdb" t43 "$T43_PGPASS" || skip_all "a PostgreSQL of the test's own did not start"
config "$T_DIR/pg" "<state url=\"postgresql://ackbeat@127.0.0.1:$PGP_PORT/t43\" password-env=\"T43_PGPASS\"/>"
suite postgresql "$T_DIR/pg" pg 3 "$SECS" 1

# --- SQLite, one node ---------------------------------------------------------
config "$T_DIR/sq" "<state path=\"$T_DIR/sq/state.db\"/>"
suite sqlite "$T_DIR/sq" lite 1 "$SQ_SECS" 0
check_eq "sqlite: PRAGMA integrity_check" "$(lite 'PRAGMA integrity_check')" ok
done_testing
