#!/usr/bin/env bash
# t_90_faults - `ackbeat run` while its servers fail under it.  On a stack
# of its own (other ports: it stops and starts servers, which the shared
# stack must never see), the daemon ticks every second against Postfix
# (smtp, opportunistic TLS checked against the stack's CA), Dovecot (its
# inbox) and PostgreSQL (an ODBC check), plus a SQLite check and a few
# command checks for load.  Then Postfix, PostgreSQL and Dovecot are stopped
# and restarted in turn.  The daemon must keep running, mark the ODBC check
# Offline and alert on it, recover by itself (the check goes Healthy, mail
# queued during an outage is delivered after it and read back over IMAP),
# and lose nothing from its outbox.  Last, disk full: the state database
# on a 2 MB tmpfs that is then filled; a clear error in the log, no crash,
# recovery once there is room again, and PRAGMA integrity_check = ok.
# shellcheck disable=SC2154 # ACKBEAT_STACK_* come from stack.env
. "$AB_SRCDIR/tests/integration/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (postfix start, mount)"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is missing"
[ -x "$ACKBEAT" ] || skip_all "no binary at $ACKBEAT"

log() { diag "$(date +%T) $*"; }
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# --- a stack of our own, on ports no one else uses ------------------------
D=$T_DIR/stk
export ACKBEAT_STACK_PG=1
at_exit "'$AB_SRCDIR/tests/stack/stop.sh' '$D' --rm >/dev/null 2>&1"
# Six ports in 19021-19086; a set in use (start.sh exits 3) moves up by 10.
started=
for base in ${T90_PORT_BASE:-19021 19031 19041 19051 19061 19071 19081}; do
	export ACKBEAT_STACK_SMTP_PORT=$base
	export ACKBEAT_STACK_SUBMISSION_PORT=$((base + 1)) ACKBEAT_STACK_SMTPS_PORT=$((base + 2))
	export ACKBEAT_STACK_IMAP_PORT=$((base + 3)) ACKBEAT_STACK_IMAPS_PORT=$((base + 4))
	export ACKBEAT_STACK_PG_PORT=$((base + 5))
	rc=0
	"$AB_SRCDIR/tests/stack/start.sh" "$D" >"$T_DIR/stack.out" 2>&1 || rc=$?
	[ "$rc" = 0 ] && { started=1; break; }
	diag "stack on $base-$((base + 5)): exit $rc: $(tail -n 3 "$T_DIR/stack.out")"
	"$AB_SRCDIR/tests/stack/stop.sh" "$D" --rm >/dev/null 2>&1
	[ "$rc" = 3 ] || break
done
[ -n "$started" ] || skip_all "could not start a private stack (see the diagnostics above)"
# shellcheck disable=SC1091
. "$D/stack.env"
ok "a private stack runs (smtp $ACKBEAT_STACK_SMTP_PORT, imap $ACKBEAT_STACK_IMAP_PORT, pg $ACKBEAT_STACK_PG_PORT)"
PG_BIN=${ACKBEAT_STACK_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
pass_alice=$ACKBEAT_STACK_PASSWORD_alice

pf_up() { (exec 3<>"/dev/tcp/127.0.0.1/$ACKBEAT_STACK_SMTP_PORT") 2>/dev/null; }
imap_up() { (exec 3<>"/dev/tcp/127.0.0.1/$ACKBEAT_STACK_IMAP_PORT") 2>/dev/null; }
pg() { runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$D/pg/data" -l "$D/log/postgresql.log" -w -m fast "$@" </dev/null >>"$D/log/postgresql.log" 2>&1; }
# Mail in alice's INBOX whose subject contains $1 (UIDs, or nothing).
inbox_has() { [ -n "$(imap_search alice "$pass_alice" "SUBJECT \"$1\"" 2>/dev/null)" ]; }

check "a table in PostgreSQL" odbc_query "$ACKBEAT_STACK_ODBC_PG" \
	"CREATE TABLE faults_t (x int); INSERT INTO faults_t VALUES (1)"
sqlite3 "$T_DIR/data.db" "CREATE TABLE t(x); INSERT INTO t VALUES (1);"

loadchecks=
for i in $(seq 1 10); do
	loadchecks+="    <command name=\"load-$i\" command=\"/bin/true\"/>"$'\n'
done
cat >"$T_DIR/ackbeat.xml" <<EOF2
<ackbeat name="faults" tick="1s">
  <state path="state.db"/>
  <mail from="ackbeat@example.test" transport="smtp://127.0.0.1:$ACKBEAT_STACK_SMTP_PORT/ackbeat.test"
        tls="opportunistic" ca-file="$ACKBEAT_STACK_CA" timeout="10s" retry="5s"/>
  <inbox url="imap://127.0.0.1:$ACKBEAT_STACK_IMAP_PORT/INBOX" username="heartbeat"
         password-env="T90_IMAP_PASS" reply-address="heartbeat@example.test" poll="5s" timeout="5s"
         tls="opportunistic" ca-file="$ACKBEAT_STACK_CA"/>
  <recipients><person name="alice" email="alice@example.test"/></recipients>
  <alerting notify="alice" repeat="1d"/>
  <sources>
    <sqlite name="lite" path="data.db"/>
    <odbc name="pg" connection="$ACKBEAT_STACK_ODBC_PG" timeout="5s"/>
  </sources>
  <checks>
    <sql name="lite-rows" source="lite" crit="1" direction="below"><query>SELECT count(*) FROM t</query></sql>
    <sql name="pg-rows" source="pg" crit="1" direction="below"><query>SELECT count(*) FROM faults_t</query></sql>
$loadchecks  </checks>
</ackbeat>
EOF2
# validate probes the secrets run will read: give it the same environment.
check "the config validates" env T90_IMAP_PASS="$ACKBEAT_STACK_PASSWORD_heartbeat" \
	"$ACKBEAT" validate -c "$T_DIR/ackbeat.xml"
check_fails "... and without the password variable it does not" env -u T90_IMAP_PASS \
	"$ACKBEAT" validate -c "$T_DIR/ackbeat.xml"

T90_IMAP_PASS=$ACKBEAT_STACK_PASSWORD_heartbeat "$ACKBEAT" run -c "$T_DIR/ackbeat.xml" \
	>"$T_DIR/run.out" 2>"$T_DIR/run.err" &
pid=$!
at_exit "kill $pid 2>/dev/null"
check "both data checks are Healthy at start" wait_until 20 bash -c \
	"grep -q 'check pg-rows: Healthy' '$T_DIR/run.err' && grep -q 'check lite-rows: Healthy' '$T_DIR/run.err'"

# --- 1. Postfix down while an alert is due --------------------------------
log "stopping Postfix"
postfix -c "$ACKBEAT_STACK_POSTFIX_CONF" stop >>"$T_DIR/faults.log" 2>&1
check "Postfix is down" wait_until 15 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$ACKBEAT_STACK_SMTP_PORT) 2>/dev/null"
sqlite3 "$T_DIR/data.db" "DELETE FROM t"
check "lite-rows fails" wait_until 15 grep -q 'check lite-rows: Failing' "$T_DIR/run.err"
check "the alert notice is deferred, not lost" wait_until 15 grep -q 'outbox: 1 message(s) deferred' "$T_DIR/run.err"
out=$("$ACKBEAT" outbox -c "$T_DIR/ackbeat.xml" --json 2>/dev/null)
check_like "ackbeat outbox shows it queued with the error" "$out" '"status": *"queued"'
check "the daemon runs on without Postfix" alive "$pid"
sleep 2
log "starting Postfix"
postfix -c "$ACKBEAT_STACK_POSTFIX_CONF" start >>"$T_DIR/faults.log" 2>&1
check "Postfix is back" wait_until 15 pf_up

# --- 2. PostgreSQL down: the ODBC check goes Offline and alerts ----------
log "stopping PostgreSQL"
pg stop
check "pg-rows goes Offline" wait_until 20 grep -q 'check pg-rows: Offline' "$T_DIR/run.err"
check "an Offline alert for pg-rows arrives over IMAP" wait_until 30 inbox_has "Offline: pg-rows"
uid=$(imap_search alice "$pass_alice" 'SUBJECT "Offline: pg-rows"' | awk '{print $1}')
[ -n "$uid" ] && check_like "it is priority 1" \
	"$(imap_fetch alice "$pass_alice" "$uid" | mail_header subject)" 'P1'
check "the daemon runs on without PostgreSQL" alive "$pid"
sleep 2
log "starting PostgreSQL"
check "PostgreSQL starts again" pg start
check "pg-rows is Healthy again, by itself" wait_until 30 bash -c \
	"tail -n 200 '$T_DIR/run.err' | grep -q 'check pg-rows: Healthy'"
check "the resolved notice for pg-rows arrives" wait_until 30 inbox_has "Resolved: pg-rows"

# The notice queued while Postfix was down is retried after its backoff
# (about a minute).
check "the alert queued while Postfix was down is delivered" wait_until 60 inbox_has "lite-rows"

# --- 3. Dovecot down: no SASL for smtpd, no LMTP, no IMAP ---------------
dc_pid=$(cat "$D/dovecot/run/master.pid" 2>/dev/null)
log "stopping Dovecot ($dc_pid)"
[ -n "$dc_pid" ] && kill -TERM "$dc_pid"
check "Dovecot is down" wait_until 15 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$ACKBEAT_STACK_IMAP_PORT) 2>/dev/null"
n_before=$(grep -c 'outbox: ' "$T_DIR/run.err")
sqlite3 "$T_DIR/data.db" "INSERT INTO t VALUES (2)"
check "lite-rows recovers while Dovecot is down" wait_until 15 bash -c \
	"tail -n 100 '$T_DIR/run.err' | grep -q 'check lite-rows: Healthy'"
check "the resolved notice goes to the outbox or to Postfix" wait_until 20 bash -c \
	"[ \$(grep -c 'outbox: ' '$T_DIR/run.err') -gt $n_before ]"
sleep 6 # the inbox poll (every 5 s) meets a dead IMAP server at least once
check "the daemon runs on without Dovecot" alive "$pid"
log "starting Dovecot"
rm -rf "$D/dovecot/run"
dovecot -c "$D/dovecot/dovecot.conf" </dev/null >>"$D/log/dovecot.log" 2>&1
check "Dovecot is back" wait_until 15 imap_up
check "the resolved notice for lite-rows is delivered after Dovecot returns" \
	wait_until 60 inbox_has "Resolved: lite-rows"
n_read=$(grep -c 'inbox: [0-9]* message(s) read' "$T_DIR/run.err")
make_message bob@example.test heartbeat@example.test "t90 after the outage" >"$T_DIR/m.eml"
check "a message for the inbox after Dovecot's return" smtp_send bob heartbeat "$T_DIR/m.eml"
check "the inbox reads it: polling recovered by itself" wait_until 30 bash -c \
	"[ \$(grep -c 'inbox: [0-9]* message(s) read' '$T_DIR/run.err') -gt $n_read ]"

# --- nothing queued is lost ------------------------------------------------
json=$("$ACKBEAT" outbox -c "$T_DIR/ackbeat.xml" --all --json 2>/dev/null)
counts=$(python3 -c '
import json, sys
d = json.load(sys.stdin)
msgs = d.get("messages", d) if isinstance(d, dict) else d
st = [m["status"] for m in msgs]
print(len(st), st.count("sent"), st.count("queued"), st.count("failed"))
for m in msgs:
    print(m["message_id"], m["status"], m.get("subject") or "")
' <<<"$json" 2>&1)
read -r total sent queued failed <<<"$(head -n 1 <<<"$counts")"
diag "outbox: $total messages: $sent sent, $queued queued, $failed failed"
check "the outbox held at least 4 notices" test "${total:-0}" -ge 4
check_eq "every one of them was sent" "$sent" "$total"
missing=0
while read -r mid _; do
	[ -n "$mid" ] || continue
	id=${mid#<}
	id=${id%>}
	[ -n "$(imap_search alice "$pass_alice" "HEADER Message-ID \"$id\"")" ] || {
		missing=$((missing + 1))
		diag "not in alice's INBOX: $mid"
	}
done < <(tail -n +2 <<<"$counts")
check_eq "every sent notice is in alice's INBOX (by Message-ID)" "$missing" 0
check "the daemon survived every outage" alive "$pid"
kill -TERM "$pid"
wait "$pid"
check_eq "and stops cleanly (exit 0)" "$?" 0
check_eq "the state database is intact" "$(sqlite3 "$T_DIR/state.db" 'PRAGMA integrity_check')" ok
grep -E 'outbox|Offline|inbox:' "$T_DIR/run.err" | cut -c1-160 | sort | uniq -c | sort -rn | head -n 12 |
	while IFS= read -r l; do diag "$l"; done

# --- 4. disk full under the state database ---------------------------------
F=$T_DIR/full
mkdir -p "$F"
if ! mount -t tmpfs -o size=2m tmpfs "$F" 2>"$T_DIR/mount.err"; then
	skip "disk full on the state database" "cannot mount a tmpfs: $(cat "$T_DIR/mount.err")"
	done_testing
fi
at_exit "umount -l '$F' 2>/dev/null"
cat >"$T_DIR/full.xml" <<EOF2
<ackbeat name="full" tick="1s">
  <state path="full/state.db"/>
  <mail from="ackbeat@example.test" transport="maildir:Maildir-full"/>
  <recipients><person name="ops" email="ops@example.test"/></recipients>
  <alerting notify="ops"/>
  <sources><sqlite name="lite" path="data.db"/></sources>
  <checks>
    <sql name="lite-rows" source="lite" crit="1" direction="below"><query>SELECT count(*) FROM t</query></sql>
$loadchecks  </checks>
</ackbeat>
EOF2
"$ACKBEAT" run -c "$T_DIR/full.xml" >"$T_DIR/full.out" 2>"$T_DIR/full.err" &
fpid=$!
at_exit "kill $fpid 2>/dev/null"
check "the daemon runs with its state on a 2 MB tmpfs" wait_until 15 grep -q 'check lite-rows: Healthy' "$T_DIR/full.err"
dd if=/dev/zero of="$F/filler" bs=64k >/dev/null 2>&1
check_eq "the filesystem is full" "$(df --output=avail "$F" | tail -n 1 | tr -d ' ')" 0
check "a clear error: the disk is full" wait_until 20 grep -qiE 'disk is full|no space' "$T_DIR/full.err"
diag "$(grep -iE 'disk is full|no space' "$T_DIR/full.err" | head -n 2 | cut -c1-200)"
sleep 3
check "the daemon does not crash on a full disk" alive "$fpid"
runs_full=$(sqlite3 "$F/state.db" 'SELECT count(*) FROM runs' 2>/dev/null)
rm -f "$F/filler"
log "room again"
check "it records runs again once there is room" wait_until 20 bash -c \
	"[ \"\$(sqlite3 '$F/state.db' 'SELECT count(*) FROM runs' 2>/dev/null)\" -gt '${runs_full:-0}' ]"
check "still alive" alive "$fpid"
kill -TERM "$fpid"
wait "$fpid"
check_eq "it stops cleanly after the disk-full episode" "$?" 0
check_eq "PRAGMA integrity_check after disk full" "$(sqlite3 "$F/state.db" 'PRAGMA integrity_check')" ok
done_testing
