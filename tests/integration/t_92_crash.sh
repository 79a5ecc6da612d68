#!/usr/bin/env bash
# t_92_crash - crash safety (issue 9): `ackbeat run` is killed with SIGKILL
# at random moments, 20 times, while it sends a large batch of heartbeats
# through Postfix and reads a large inbox over IMAP, and is restarted each
# time; then it runs to the end.  Afterwards:
#   - each scheduled heartbeat cycle opened exactly once (a kill neither
#     loses a fire time nor repeats it), with one token per recipient;
#   - every heartbeat reached its recipient at least once: distinct
#     Message-IDs in alice's INBOX over IMAP (recipients are plus addresses
#     alice+...@example.test); duplicates are counted and reported;
#   - every reply is recorded exactly once: acks rows = distinct replies
#     delivered (some are delivered twice with the same Message-ID, as a
#     resending client would), no Message-ID twice, per token exactly as
#     many acks as distinct replies sent for it;
#   - the outbox has nothing queued or failed left, and the state database
#     passes PRAGMA integrity_check.
#
# The cycles fire from the schedule inside the daemon (not `ackbeat send`,
# which drains the outbox itself): the daemon runs on a simulated clock
# (--now) that each restart continues, and six heartbeat checks of 200
# recipients fire 2 s apart while the kills go on.  A background replier
# answers every token as soon as it appears in the state database, through
# Postfix into heartbeat's INBOX, which the daemon polls every second.
#
# Then the maildir: transport, ticks killed while they deliver: no
# message twice (the closing note gives duplicates per transport).
#
# First, one deterministic case of the same promise: `ackbeat tick` is
# killed right after a heartbeat's fire time is recorded as taken (its cycle
# has 300 recipients, past the 256 where cycles were once cut short); the
# cycle must be there (the fire time and the cycle commit together).
#
# Knobs: T92_RCPTS (recipients per cycle, default 200), T92_CYCLES (6),
# T92_KILLS (20), T92_SEED (the random seed; printed, so a failure can be
# replayed).
# shellcheck disable=SC2154 # ACKBEAT_STACK_* come from stack.env
. "$AB_SRCDIR/tests/integration/lib.sh"

command -v sqlite3 >/dev/null || skip_all "sqlite3 is missing"
[ -x "$ACKBEAT" ] || skip_all "no binary at $ACKBEAT"

N=${T92_RCPTS:-200}
KILLS=${T92_KILLS:-20}
CYCLES=${T92_CYCLES:-6}
EXTRA=$((N / 2)) # second, distinct replies to the first cycle's first tokens
RESEND=30        # replies delivered a second time with the same Message-ID
export LC_ALL=C # sort and sqlite3 agree on the order of tokens
seed=${T92_SEED:-$$}
RANDOM=$seed
tag="t92x$$r$RANDOM"
conf=$T_DIR/ackbeat.xml
db=$T_DIR/state.db
apw=$ACKBEAT_STACK_PASSWORD_alice
export T92_IMAP_PASS=$ACKBEAT_STACK_PASSWORD_heartbeat
diag "seed $seed, tag $tag, $N recipients x $CYCLES cycles, $KILLS kills"

log() { diag "$(date +%T.%N | cut -c1-12) $*"; }
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
# sqlite3 with a busy timeout: the first reader after a kill may meet the
# daemon recovering the WAL.
q() { sqlite3 -cmd '.timeout 10000' "$db" "$@"; }

# --- plus addresses reach alice -------------------------------------------
make_message heartbeat@example.test "alice+${tag}probe@example.test" "probe $tag" >"$T_DIR/probe.eml"
check "a plus address is accepted" smtp_send heartbeat "alice+${tag}probe@example.test" "$T_DIR/probe.eml"
check "... and lands in alice's INBOX" imap_wait_for alice "$apw" "SUBJECT \"probe $tag\"" 15

# --- the configuration ------------------------------------------------------
members=
for i in $(seq 1 "$N"); do
	members+=$(printf '<member>alice+%sr%03d@example.test</member>' "$tag" "$i")
done
# The simulated clock starts 2 s before the first fire time; the others
# follow every 2 s, while the kills are still going on (20 kills take
# about 15 s), so the daemon is often killed in the middle of a drain.
T0=$(date -u -d 2030-06-01T07:59:58Z +%s)
scheds='' hbs=''
for c in $(seq 1 "$CYCLES"); do
	scheds+="  <schedule name=\"s$c\" rrule=\"FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=8;BYMINUTE=0;BYSECOND=$((2 * (c - 1) % 60))\"/>"$'\n'
	hbs+="    <heartbeat name=\"$tag-$c\" schedule=\"s$c\" to=\"many\" grace=\"7d\" quorum=\"1\"/>"$'\n'
done
cat >"$conf" <<EOF2
<ackbeat name="crash $tag" timezone="UTC" tick="1s">
  <state path="state.db"/>
  <mail from="heartbeat@example.test" transport="smtp://127.0.0.1:$ACKBEAT_STACK_SMTP_PORT/crash.test"
        tls="opportunistic" ca-file="$ACKBEAT_STACK_CA" timeout="10s"/>
  <inbox url="imap://127.0.0.1:$ACKBEAT_STACK_IMAP_PORT/INBOX" username="heartbeat"
         password-env="T92_IMAP_PASS" poll="1s" timeout="10s" tls="opportunistic"
         ca-file="$ACKBEAT_STACK_CA" reply-address="heartbeat@example.test" ack-from="example.test"/>
  <recipients>
    <person name="ops" email="bob@example.test"/>
    <group name="many">$members</group>
  </recipients>
  <alerting notify="ops" repeat="1d"/>
$scheds  <checks>
$hbs  </checks>
</ackbeat>
EOF2
check "the config validates" "$ACKBEAT" validate -c "$conf"

# --- a kill between taking a fire time and committing its cycle ------------
# Opening a cycle of NF recipients renders NF emails (a few hundred ms); the
# fire time must not become visible as taken before the cycle is.  Mail
# stays in the outbox (--no-send) and the inbox is an empty Maildir: no
# servers needed.  NF is above 256, where cycles used to be cut short.
NF=300
F=$T_DIR/fire
mkdir -p "$F/inbox/new" "$F/inbox/cur" "$F/inbox/tmp"
fmembers=
for i in $(seq 1 "$NF"); do
	fmembers+=$(printf '<member>r%03d@example.test</member>' "$i")
done
cat >"$F/ackbeat.xml" <<EOF2
<ackbeat name="fire $tag" timezone="UTC" tick="1m">
  <state path="state.db"/>
  <mail from="heartbeat@example.test" transport="maildir:out"/>
  <inbox url="maildir:inbox" reply-address="heartbeat@example.test"/>
  <recipients><group name="many">$fmembers</group></recipients>
  <schedule name="monthly" rrule="FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=8;BYMINUTE=0;BYSECOND=0"/>
  <checks><heartbeat name="fire" schedule="monthly" to="many" grace="7d"/></checks>
</ackbeat>
EOF2
fq() { sqlite3 -cmd '.timeout 10000' "$F/state.db" "$@"; }
"$ACKBEAT" tick -c "$F/ackbeat.xml" --no-send --now 2030-06-01T07:59:00Z >"$F/t0.out" 2>&1
"$ACKBEAT" tick -c "$F/ackbeat.xml" --no-send --now 2030-06-01T08:00:00Z >"$F/t1.out" 2>&1 &
fpid=$!
# One read transaction sees both the fire time and the cycles, so the
# first snapshot that shows the fire time taken must show its cycle too.
# Polled every 10 ms (wait_until's 100 ms could miss the window); the tick
# is killed at that moment.
snap() { fq "SELECT (SELECT count(*) FROM check_schedule WHERE check_name = 'fire' AND last_fire IS NOT NULL), (SELECT count(*) FROM cycles)" 2>/dev/null | tr '|' ' '; }
seen=
for _ in $(seq 1 2000); do
	seen=$(snap)
	[[ $seen == 1\ * ]] && break
	alive "$fpid" || { seen=$(snap); break; }
	sleep 0.01
done
if alive "$fpid"; then
	kill -9 "$fpid"
	diag "tick killed as soon as the fire time showed as taken"
else
	diag "the tick had ended when the fire time showed as taken"
fi
check_eq "the fire time never shows as taken without its cycle" "$seen" "1 1"
wait "$fpid" 2>/dev/null
"$ACKBEAT" tick -c "$F/ackbeat.xml" --no-send --now 2030-06-01T08:00:30Z >"$F/t2.out" 2>&1
check_eq "a kill after the fire time is taken still leaves one whole cycle ($NF tokens, $NF emails)" \
	"$(fq "SELECT count(*) || ' ' || (SELECT count(*) FROM tokens) || ' ' || (SELECT count(*) FROM outbox) FROM cycles")" \
	"1 $NF $NF"
check_eq "its state database is intact" "$(fq 'PRAGMA integrity_check')" ok

# --- the maildir: transport, killed while it delivers ---------------------
# Those NF emails go out through maildir:out, by ticks that are SIGKILLed
# at random moments, KILLS times, each restarted; then one tick to the end.
# The file is named by the Message-ID, so a retry after a kill between
# the delivery and the outbox's "sent" adds no copy: none may be there.
mkills=0
for i in $(seq 1 "$KILLS"); do
	"$ACKBEAT" tick -c "$F/ackbeat.xml" --now 2030-06-01T08:00:40Z >>"$F/md.out" 2>&1 &
	mpid=$!
	ms=$((20 + RANDOM % 200))
	sleep "0.$(printf '%03d' "$ms")"
	if alive "$mpid"; then
		kill -9 "$mpid"
		mkills=$((mkills + 1))
	fi
	wait "$mpid" 2>/dev/null
done
"$ACKBEAT" tick -c "$F/ackbeat.xml" --now 2030-06-01T08:00:50Z >>"$F/md.out" 2>&1
cat "$F"/out/new/* "$F"/out/cur/* 2>/dev/null | grep -i '^message-id:' | tr -d '\r' | sort >"$F/md.ids"
mtotal=$(wc -l <"$F/md.ids")
mdistinct=$(sort -u "$F/md.ids" | wc -l)
mdups=$((mtotal - mdistinct))
diag "maildir: $NF sent, $mtotal delivered, $mdups duplicate(s) after $mkills kills mid-delivery"
check_eq "maildir: every email delivered" "$mdistinct" "$NF"
check_eq "maildir: no email delivered twice after $mkills SIGKILLs" "$mdups" 0
check_eq "maildir: nothing left in tmp/" "$(find "$F/out/tmp" -type f | wc -l)" 0
check_eq "maildir: the outbox has everything sent" \
	"$(fq "SELECT count(*) FROM outbox WHERE status != 'sent'")" 0

# --- the daemon on a clock that goes on across restarts -------------------
off=$((T0 - $(date +%s)))
pid=
start_daemon() {
	local now=$(($(date +%s) + off))
	# Where this start's log begins: the one before it has been waited for,
	# so nothing else writes to run.err from here on.
	start_off=$(stat -c %s "$T_DIR/run.err" 2>/dev/null || echo 0)
	"$ACKBEAT" run -c "$conf" --now "$(date -u -d "@$now" +%FT%TZ)" >>"$T_DIR/run.out" 2>>"$T_DIR/run.err" &
	pid=$!
}
start_off=0
# True once the latest start has logged "running:" (in its part of
# run.err): its signal handlers are in place from then on (before that a
# SIGTERM takes the default action, as it would for any process still
# being exec'd).  Counting "running:" lines against the number of starts
# does not work: a start killed before it got that far never logs one.
started() { tail -c +$((start_off + 1)) "$T_DIR/run.err" | grep -q ' running: '; }
# shellcheck disable=SC2016 # $pid is read when the test exits
at_exit '[ -z "$pid" ] || kill -9 "$pid" 2>/dev/null'

# --- the replier ------------------------------------------------------------
# Answers every token it finds in the state database, from the address the
# token was issued to, through Postfix to heartbeat+TOKEN@example.test.
# Writes "TOKEN MESSAGE-ID" to replies.sent for each reply Postfix took.
reply_file() { # TOKEN RCPT K
	printf 'From: %s\r\nTo: heartbeat+%s@example.test\r\n' "$2" "$1"
	printf 'Subject: Re: heartbeat %s\r\nIn-Reply-To: <hb.%s@example.test>\r\n' "$tag" "$1"
	printf 'Message-ID: <re%s.%s@%s.test>\r\nDate: %s\r\n' "$3" "$1" "$tag" "$(LC_ALL=C date -R)"
	printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
	printf 'Received, thanks (%s).\r\n\r\n> Reference: hb.%s\r\n' "$3" "$1"
}
replier() {
	local want=$((N * CYCLES)) answered=0 tok rcpt cyc k n args sent resent=0
	local -A seen=()
	local first_cycle=''
	mkdir -p "$T_DIR/replies"
	while ((answered < want)); do
		args=() sent=()
		while read -r tok rcpt cyc; do
			[ -n "$tok" ] || continue
			[ -z "${seen[$tok]}" ] || continue
			((${#sent[@]} < 120)) || break
			seen[$tok]=1
			first_cycle=${first_cycle:-$cyc}
			n=1
			# The first cycle's first EXTRA tokens get a second, distinct reply.
			[ "$cyc" != "$first_cycle" ] || ((answered >= EXTRA)) || n=2
			for k in $(seq 1 "$n"); do
				reply_file "$tok" "$rcpt" "$k" >"$T_DIR/replies/$tok.$k.eml"
				args+=("$ACKBEAT_STACK_SMTP_URL/client.test" --mail-from "$rcpt"
					--mail-rcpt "heartbeat+$tok@example.test" -T "$T_DIR/replies/$tok.$k.eml" --next)
				sent+=("$tok <re$k.$tok@$tag.test>")
			done
			answered=$((answered + 1))
			# Some replies go out twice, unchanged: one acknowledgement.
			if ((resent < RESEND && answered % 7 == 0)); then
				args+=("$ACKBEAT_STACK_SMTP_URL/client.test" --mail-from "$rcpt"
					--mail-rcpt "heartbeat+$tok@example.test" -T "$T_DIR/replies/$tok.1.eml" --next)
				resent=$((resent + 1))
				echo "$tok" >>"$T_DIR/replies.resent"
			fi
		done < <(q "SELECT token, recipient, cycle_id FROM tokens ORDER BY cycle_id, rowid" 2>>"$T_DIR/replier.err" | tr '|' ' ')
		if ((${#args[@]})); then
			unset 'args[${#args[@]}-1]'
			# One curl, one connection, many messages.  On an error the
			# whole batch is sent again: the same Message-IDs, which must
			# count once.
			until curl -sS --max-time 60 "${args[@]}" >>"$T_DIR/replier.out" 2>>"$T_DIR/replier.err"; do
				echo "curl failed; sending the batch again" >>"$T_DIR/replier.err"
				sleep 0.5
			done
			printf '%s\n' "${sent[@]}" >>"$T_DIR/replies.sent"
		else
			sleep 0.3
		fi
	done
	echo finished >"$T_DIR/replier.done"
}

# --- 20 kills ---------------------------------------------------------------
t_start=$EPOCHREALTIME
log "starting the daemon; first cycle fires in 2 s (simulated 08:00:00)"
start_daemon
replier &
rpid=$!
at_exit "kill $rpid 2>/dev/null"
kills=0 dead=0 mid_send=0 mid_read=0
for i in $(seq 1 "$KILLS"); do
	ms=$((50 + RANDOM % 1451))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	if ! alive "$pid"; then
		dead=$((dead + 1))
		log "the daemon was not running at kill $i"
	else
		kill -9 "$pid"
		kills=$((kills + 1))
	fi
	wait "$pid" 2>/dev/null
	st=$(q "SELECT (SELECT count(*) FROM cycles), (SELECT count(*) FROM outbox WHERE status='queued'),
		(SELECT count(*) FROM outbox WHERE status='sent'), (SELECT count(*) FROM acks),
		(SELECT count(*) FROM inbox_messages WHERE message_id LIKE '%@$tag.test%')" 2>>"$T_DIR/q.err" | tr '|' ' ')
	read -r ncy nq ns na nread <<<"$st"
	[[ $nq =~ ^[0-9]+$ && $nread =~ ^[0-9]+$ ]] || nq=0 nread=0
	ndeliv=$(sort -u "$T_DIR/replies.sent" 2>/dev/null | wc -l)
	# What the kill interrupted, as far as the database tells.
	((nq > 0)) && mid_send=$((mid_send + 1))
	((ndeliv > nread)) && mid_read=$((mid_read + 1))
	log "kill $i after ${ms} ms: cycles $ncy, outbox $ns sent / $nq queued, replies $nread of $ndeliv read, acks $na"
	start_daemon
done
t_kills=$EPOCHREALTIME
check_eq "$KILLS SIGKILLs hit a running daemon" "$kills" "$KILLS"
check_eq "the daemon never died by itself" "$dead" 0
diag "$mid_send kill(s) left heartbeats queued, $mid_read left delivered replies unread"

# --- then it runs to the end -------------------------------------------------
finished() {
	[ -f "$T_DIR/replier.done" ] || return 1
	local want got
	want=$(sort -u "$T_DIR/replies.sent" | wc -l)
	got=$(q "SELECT (SELECT count(*) FROM cycles) = $CYCLES
		AND (SELECT count(*) FROM outbox_rcpts WHERE status != 'sent') = 0
		AND (SELECT count(*) FROM inbox_messages WHERE message_id LIKE '%@$tag.test%') >= $want")
	[ "$got" = 1 ]
}
if wait_until 150 finished; then
	ok "after the last restart it sends and reads everything"
else
	not_ok "after the last restart it sends and reads everything" "state: $(q "SELECT
		(SELECT count(*) FROM cycles), (SELECT count(*) FROM outbox_rcpts WHERE status != 'sent'),
		(SELECT count(*) FROM inbox_messages)" | tr '|' ' ') (cycles, unsent, read)"
	# What the daemons said, less one line per message sent: enough to
	# tell a stuck leader from a lost fire time in CI's log.
	diag "$(q "SELECT check_name, count(*) FROM cycles GROUP BY check_name" | tr '\n' ' ')"
	grep -v 'mail: sent' "$T_DIR/run.err" | grep -v ' running: ' | tail -n 15 | sed 's/^/    /' |
		while IFS= read -r l; do diag "$l"; done
	# The checks below would each wait out their own timeout for nothing,
	# and push these lines out of the runner's tail of this log.
	done_testing
fi
wait "$rpid" 2>/dev/null
t_done=$EPOCHREALTIME
check "the daemon is still running" alive "$pid"
check "the last start has finished starting" wait_until 30 started
kill -TERM "$pid"
wait "$pid"
check_eq "and stops cleanly on SIGTERM (exit 0)" "$?" 0
pid=
diag "$(awk -v a="$t_start" -v b="$t_kills" -v c="$t_done" \
	'BEGIN { printf "kill phase %.1f s, to completion %.1f s more", b - a, c - b }')"

# --- the state database -----------------------------------------------------
check_eq "PRAGMA integrity_check" "$(q 'PRAGMA integrity_check')" ok
check_eq "PRAGMA foreign_key_check finds nothing" "$(q 'PRAGMA foreign_key_check')" ""
check_eq "each scheduled heartbeat opened exactly one cycle" \
	"$(q "SELECT group_concat(n, ' ') FROM (SELECT check_name, count(*) n FROM cycles GROUP BY check_name ORDER BY check_name)")" \
	"$(printf '1 %.0s' $(seq 1 "$CYCLES") | sed 's/ $//')"
check_eq "each cycle has a token per recipient" \
	"$(q "SELECT count(*) FROM tokens")" "$((N * CYCLES))"
check_eq "one heartbeat email per token in the outbox" \
	"$(q "SELECT count(*) FROM outbox WHERE kind = 'heartbeat-request'")" "$((N * CYCLES))"
check_eq "no outbox message is queued or failed" \
	"$(q "SELECT count(*) FROM outbox WHERE status != 'sent'")" 0
check_eq "no outbox recipient is queued or failed" \
	"$(q "SELECT count(*) FROM outbox_rcpts WHERE status != 'sent'")" 0

# --- every heartbeat arrived, maybe twice -----------------------------------
want=$((N * CYCLES))
count_arrived() { [ "$(imap_search alice "$apw" "HEADER X-Ackbeat-Check $tag-" | wc -w)" -ge "$want" ]; }
wait_until 60 count_arrived
uids=$(imap_search alice "$apw" "HEADER X-Ackbeat-Check $tag-")
total=$(wc -w <<<"$uids")
imap_raw alice "$apw" INBOX "UID FETCH ${uids// /,} (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])" >"$T_DIR/alice.hdr"
grep -io '^message-id: *<hb\.[a-z2-7]*@example\.test>' "$T_DIR/alice.hdr" |
	sed 's/^[^<]*//' | tr -d '\r' | sort >"$T_DIR/alice.ids"
distinct=$(sort -u "$T_DIR/alice.ids" | wc -l)
q "SELECT message_id FROM tokens" | sort -u >"$T_DIR/token.ids"
missing=$(comm -23 "$T_DIR/token.ids" <(sort -u "$T_DIR/alice.ids") | wc -l)
check_eq "every token's heartbeat is in alice's INBOX (by Message-ID)" "$missing" 0
check_eq "distinct heartbeats received" "$distinct" "$want"
dups=$((total - distinct))
diag "heartbeats: $want sent, $total delivered, $dups duplicate(s) (at-least-once after $kills kills)"
diag "$(uniq -d -c "$T_DIR/alice.ids" | head -n 5)"
check "no heartbeat arrived more often than there were kills" \
	test "$(uniq -c "$T_DIR/alice.ids" | awk 'BEGIN{m=0} $1>m{m=$1} END{print m}')" -le $((kills + 1))
# The drain commits "sent" for a group of up to 32 messages at once
# (mailer/mail_outbox.c GROUP_MAX, issue 17's batched commits): a kill
# before that commit resends the group's accepted messages once, so a
# kill costs at most one group of duplicates.
check "SMTP: at most one group (32) of duplicates per kill" test "$dups" -le $((kills * 32))

# --- every reply recorded exactly once --------------------------------------
nsent=$(wc -l <"$T_DIR/replies.sent")
ndistinct=$(sort -u "$T_DIR/replies.sent" | wc -l)
nresent=$(wc -l <"$T_DIR/replies.resent" 2>/dev/null || echo 0)
diag "replies: $ndistinct distinct, $((nsent + nresent)) delivered ($nresent sent twice unchanged)"
check_eq "as many distinct replies as expected" "$ndistinct" "$((N * CYCLES + EXTRA))"
check_eq "acks rows = distinct replies delivered" "$(q 'SELECT count(*) FROM acks')" "$ndistinct"
check_eq "no Message-ID is acknowledged twice" \
	"$(q 'SELECT count(*) - count(DISTINCT message_id) FROM acks')" 0
check_eq "inbox_messages holds each reply once" \
	"$(q "SELECT count(*) || ' ' || count(DISTINCT message_id) FROM inbox_messages WHERE message_id LIKE '%@$tag.test%'")" \
	"$ndistinct $ndistinct"
awk '{print $1}' "$T_DIR/replies.sent" | sort | uniq -c | awk '{print $2, $1}' >"$T_DIR/want.acks"
q "SELECT token, count(*) FROM acks GROUP BY token ORDER BY token" | tr '|' ' ' >"$T_DIR/got.acks"
check "per token, as many acks as distinct replies sent for it" \
	diff "$T_DIR/want.acks" "$T_DIR/got.acks"
check_eq "every ack is verified and names its recipient" \
	"$(q "SELECT count(*) FROM acks a JOIN tokens t USING (token) WHERE a.verified = 1 AND lower(a.by_addr) = lower(t.recipient)")" \
	"$ndistinct"
check_eq "every cycle is Healthy" "$(q "SELECT group_concat(DISTINCT status) FROM cycles")" Healthy

# --- the logs ----------------------------------------------------------------
check_fails "no corruption, database or sanitizer error in the daemon's log" \
	grep -qiE 'malformed|corrupt|database is locked|disk I/O|AddressSanitizer|runtime error' "$T_DIR/run.err"
diag "duplicates per transport: smtp $dups after $kills SIGKILLs (at most 32 per kill), maildir $mdups after $mkills (none)"
diag "daemon log: $(grep -c 'mail: sent' "$T_DIR/run.err") sends, $(grep -c 'cycle .* opened' "$T_DIR/run.err") cycle(s) opened, $(grep -c 'message(s) read' "$T_DIR/run.err") inbox reads"
done_testing
