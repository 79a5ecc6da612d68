#!/usr/bin/env bash
# t_50_mailer.sh - the mailer against the real Postfix and Dovecot:
#
#  1. messages sent through the outbox over submission (STARTTLS + AUTH
#     PLAIN, the stack's CA) and smtps (implicit TLS + AUTH LOGIN), read
#     back over IMAP and parsed with GMime (mime_dump): headers, encoded
#     subject, both parts decode to exactly what was rendered, lines within
#     78; the heartbeat wire format and an alert thread survive delivery;
#     and the sendmail: transport through Postfix's own sendmail -t -i;
#  2. what a real server refuses: an untrusted certificate and a wrong
#     password defer the message (the password never appears), an unknown
#     recipient fails alone while the other one is delivered;
#  3. SMTP server stopped (a stack of this test's own, on other ports, so
#     the shared one is never taken down): the mail stays queued; server
#     started: delivered, once each;
#  4. the sender killed with SIGKILL in the middle of a batch of 500:
#     restarted, every message arrives (counted by a unique header), none
#     lost; duplicates are counted and reported (at-least-once: at most the
#     group whose commit the kill prevented, each message once).
#
# The driver is tests/helpers/outbox_tool (libmailer + libstore), so this
# does not depend on the engine.
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2154 # ACKBEAT_STACK_* come from stack.env
. "$AB_SRCDIR/tests/integration/lib.sh"

[ -n "${ACKBEAT_STACK_DIR:-}" ] || skip_all "no stack (run through tests/integration/run)"
find_helper() {
	local t
	for t in "$(dirname "$ACKBEAT")/tests/helpers/$1" "$AB_SRCDIR/build/tests/helpers/$1"; do
		[ -x "$t" ] && { printf '%s\n' "$t"; return 0; }
	done
	return 1
}
tool=$(find_helper outbox_tool) || skip_all "outbox_tool not built (make build/tests/helpers/outbox_tool)"
dump=$(find_helper mime_dump) || skip_all "mime_dump not built (make build/tests/helpers/mime_dump)"

run=t50-$$-$RANDOM
H=$ACKBEAT_STACK_HOST
CA=$ACKBEAT_STACK_CA
pw_alice=$ACKBEAT_STACK_PASSWORD_alice
pw_bob=$ACKBEAT_STACK_PASSWORD_bob
export AB_T50_PW=$ACKBEAT_STACK_PASSWORD_alice
export AB_T50_HBPW=$ACKBEAT_STACK_PASSWORD_heartbeat
export AB_T50_BADPW=not-the-password-$RANDOM

# imap_one USER PASS SEQ FILE - wait for the message with X-Ackbeat-Seq SEQ
# and save it to FILE.
imap_one() {
	local uids
	uids=$(imap_wait_for "$1" "$2" "HEADER X-Ackbeat-Seq \"$3\"" 20) || return 1
	imap_fetch "$1" "$2" "${uids%% *}" >"$4"
}

# --- 1. rendering survives submission + IMAP --------------------------------

text=$T_DIR/text.txt html=$T_DIR/html.html
subject=$'R\xc3\xa9sum\xc3\xa9 \xe2\x9c\x93 \xe5\x9b\x9e\xe5\xa4\x8d'" $run"
{
	printf 'Hello Alice,\n\n'
	printf 'Caf\xc3\xa9 cr\xc3\xa8me, \xe2\x9c\x93 done, \xe5\x9b\x9e\xe5\xa4\x8d please.\n'
	printf 'A long line: %s\n' "$(printf 'word%.0s ' {1..40})"
	printf '.a line that starts with a dot\nFrom the start of a line\n\n'
	printf 'Reference: hb.%s\n' "$run"
} >"$text"
printf '<html><body><p>Hello <b>Alice</b>, caf\xc3\xa9 \xe2\x9c\x93 \xe5\x9b\x9e\xe5\xa4\x8d</p>\n<p>%s</p></body></html>\n' "$run" >"$html"

db1=$T_DIR/render.db
sub=(--db "$db1" --transport "smtp://$H:$ACKBEAT_STACK_SUBMISSION_PORT/client.test?auth=plain"
	--tls required --ca "$CA" --user alice --password-env AB_T50_PW
	--from alice@example.test --to alice@example.test)
msgid=$("$tool" "${sub[@]}" --tag "$run-r" --subject "$subject" --text-file "$text" \
	--html-file "$html" enqueue 1 2>"$T_DIR/enq.err")
check_like "enqueued, Message-ID printed" "$msgid" '^<[a-z2-7]{26}@example\.test>$'
out=$("$tool" "${sub[@]}" drain 2>&1)
check_contains "sent over submission (STARTTLS + AUTH PLAIN)" "$out" "sent=1 failed=0 deferred=0"
if imap_one alice "$pw_alice" "$run-r-1" "$T_DIR/r.eml"; then
	ok "arrived in alice's INBOX"
	check_eq "Subject decodes to what was rendered" "$("$dump" "$T_DIR/r.eml" --header Subject)" "$subject"
	check_like "Subject is an encoded-word on the wire" "$(mail_header subject "$T_DIR/r.eml")" '=\?UTF-8\?'
	check_eq "From" "$("$dump" "$T_DIR/r.eml" --addr From)" "alice@example.test"
	check_eq "To" "$("$dump" "$T_DIR/r.eml" --addr To)" "alice@example.test"
	check_eq "Message-ID" "$("$dump" "$T_DIR/r.eml" --header Message-ID)" "$msgid"
	check_eq "Auto-Submitted" "$("$dump" "$T_DIR/r.eml" --header Auto-Submitted)" "auto-generated"
	check_eq "MIME-Version" "$("$dump" "$T_DIR/r.eml" --header MIME-Version)" "1.0"
	check_like "Date" "$("$dump" "$T_DIR/r.eml" --header Date)" '^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} 20[0-9]{2} [0-9:]{8} \+0000$'
	"$dump" "$T_DIR/r.eml" --part 1 >"$T_DIR/part1" && "$dump" "$T_DIR/r.eml" --part 2 >"$T_DIR/part2"
	check "text part decodes to the rendered text" cmp "$T_DIR/part1" "$text"
	check "HTML part decodes to the rendered HTML" cmp "$T_DIR/part2" "$html"
	summary=$("$dump" "$T_DIR/r.eml")
	check_contains "multipart/alternative, text first" "$summary" "part 1: text/plain charset=utf-8"
	check_contains "then HTML" "$summary" "part 2: text/html charset=utf-8"
	longest=$(sed -n 's/^longest-line: //p' <<<"$summary")
	check "every line within 78 characters (longest $longest)" test "$longest" -le 78
else
	not_ok "arrived in alice's INBOX" "$(tail -3 "$ACKBEAT_STACK_LOG_DIR/postfix.log")"
fi
check_contains "Postfix saw AUTH PLAIN as alice" "$(grep 'sasl_method=PLAIN, sasl_username=alice' "$ACKBEAT_STACK_LOG_DIR/postfix.log" | tail -1)" "sasl_username=alice"

# smtps with AUTH LOGIN: a heartbeat in the wire format, inside an alert thread
token=$(head -c 16 /dev/urandom | base32 | tr -d '=' | tr 'A-Z' 'a-z')
db2=$T_DIR/hb.db
hb=(--db "$db2" --transport "smtps://$H:$ACKBEAT_STACK_SMTPS_PORT/client.test?auth=login"
	--tls auto --ca "$CA" --user heartbeat --password-env AB_T50_HBPW
	--from heartbeat@example.test --to bob@example.test)
"$tool" "${hb[@]}" --tag "$run-hb" --subject "Heartbeat $run" --heartbeat "$token" \
	--thread "<alert.$run@example.test>" enqueue 1 >/dev/null 2>&1
out=$("$tool" "${hb[@]}" drain 2>&1)
check_contains "sent over smtps (implicit TLS + AUTH LOGIN)" "$out" "sent=1 failed=0"
if imap_one bob "$pw_bob" "$run-hb-1" "$T_DIR/hb.eml"; then
	check_eq "heartbeat Message-ID <hb.TOKEN@DOMAIN>" "$("$dump" "$T_DIR/hb.eml" --header Message-ID)" "<hb.$token@example.test>"
	check_eq "heartbeat Reply-To LOCAL+TOKEN@DOMAIN" "$("$dump" "$T_DIR/hb.eml" --addr Reply-To)" "heartbeat+$token@example.test"
	check_eq "In-Reply-To points at the alert's first message" "$("$dump" "$T_DIR/hb.eml" --header In-Reply-To)" "<alert.$run@example.test>"
	check_eq "References too" "$("$dump" "$T_DIR/hb.eml" --header References)" "<alert.$run@example.test>"
else
	not_ok "heartbeat arrived in bob's INBOX"
fi
check_contains "Postfix saw AUTH LOGIN as heartbeat" "$(grep 'sasl_method=LOGIN, sasl_username=heartbeat' "$ACKBEAT_STACK_LOG_DIR/postfix.log" | tail -1)" "sasl_username=heartbeat"

# sendmail: Postfix's own sendmail(1), pointed at the stack's config by a
# wrapper, reading the recipients from the header (-t)
cat >"$T_DIR/sendmail" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >"$T_DIR/sendmail.args"
exec /usr/sbin/sendmail -C "$ACKBEAT_STACK_POSTFIX_CONF" "\$@"
EOF
chmod 755 "$T_DIR/sendmail"
sm=(--db "$T_DIR/sm.db" --transport "sendmail:$T_DIR/sendmail" --from heartbeat@example.test --to alice@example.test)
"$tool" "${sm[@]}" --tag "$run-sm" --subject "via sendmail $run" enqueue 1 >/dev/null 2>&1
out=$("$tool" "${sm[@]}" drain 2>&1)
check_contains "sent through sendmail -t -i" "$out" "sent=1 failed=0"
check_eq "  sendmail's arguments" "$(cat "$T_DIR/sendmail.args" 2>/dev/null)" "-i -f heartbeat@example.test -t"
if imap_one alice "$pw_alice" "$run-sm-1" "$T_DIR/sm.eml"; then
	check_eq "  arrived, subject intact" "$("$dump" "$T_DIR/sm.eml" --header Subject)" "via sendmail $run"
	check_like "  envelope sender kept" "$(mail_header return-path "$T_DIR/sm.eml")" "heartbeat@example.test"
else
	not_ok "  arrived in alice's INBOX" "$(tail -3 "$ACKBEAT_STACK_LOG_DIR/postfix.log")"
fi

# --- 2. what a real server refuses -------------------------------------------

db3=$T_DIR/refuse.db
base=(--db "$db3" --transport "smtp://$H:$ACKBEAT_STACK_SUBMISSION_PORT/client.test" --tls required
	--from alice@example.test --to alice@example.test)
"$tool" "${base[@]}" --tag "$run-noca" enqueue 1 >/dev/null 2>&1
out=$("$tool" "${base[@]}" --user alice --password-env AB_T50_PW drain 2>&1)
check_contains "untrusted certificate: deferred" "$out" "sent=0 failed=0 deferred=1"
check_contains "  and says why" "$out" "certificate"
out=$("$tool" "${base[@]}" --ca "$CA" --user alice --password-env AB_T50_BADPW drain --now "$(date -u -d '+1 hour' +%FT%TZ)" 2>&1)
check_contains "wrong password: deferred" "$out" "sent=0 failed=0 deferred=1"
check_contains "  with the server's 535" "$out" "535"
list=$("$tool" "${base[@]}" list)
check_contains "  still queued, 2 attempts" "$list" "queued attempts=2"
case "$out$list" in
*"$AB_T50_BADPW"*) not_ok "the password never appears in errors" ;;
*) ok "the password never appears in errors" ;;
esac

db4=$T_DIR/unknown.db
"$tool" --db "$db4" --transport "smtp://$H:$ACKBEAT_STACK_SMTP_PORT/client.test" --tls none \
	--from heartbeat@example.test --to "nobody-$run@example.test,alice@example.test" \
	--tag "$run-unk" enqueue 1 >/dev/null 2>&1
out=$("$tool" --db "$db4" --transport "smtp://$H:$ACKBEAT_STACK_SMTP_PORT/client.test" --tls none drain 2>&1)
check_contains "unknown recipient: the message fails" "$out" "sent=0 failed=1 deferred=0 rcpt_sent=1"
list=$("$tool" --db "$db4" list)
check_contains "  recorded against that recipient" "$list" "nobody-$run@example.test:failed"
check_contains "  the other recipient got it" "$list" "alice@example.test:sent"
check_contains "  with the server's reply" "$list" "550 5.1.1"
check "  and it arrived" imap_one alice "$pw_alice" "$run-unk-1" "$T_DIR/unk.eml"

# --- 3. server down: queued; server up: delivered once -----------------------

# A stack of our own on free ports, without PostgreSQL.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
p2=
for b in 5125 5225 5325 5425 5525 5625 5725 5825; do
	busy=
	for o in 0 1 2 3 4; do port_busy $((b + o)) && busy=1; done
	[ -z "$busy" ] && { p2=$b; break; }
done
D2=$(mktemp -d /tmp/ab50.XXXXXX)
stack2() {
	env ACKBEAT_STACK_SMTP_PORT="$p2" ACKBEAT_STACK_SUBMISSION_PORT=$((p2 + 1)) \
		ACKBEAT_STACK_SMTPS_PORT=$((p2 + 2)) ACKBEAT_STACK_IMAP_PORT=$((p2 + 3)) \
		ACKBEAT_STACK_IMAPS_PORT=$((p2 + 4)) ACKBEAT_STACK_PG=0 \
		"$AB_SRCDIR/tests/stack/$1" "$D2" "${@:2}"
}
if [ -n "$p2" ] && stack2 start.sh >"$T_DIR/stack2.log" 2>&1; then
	at_exit 'stack2 stop.sh --rm >/dev/null 2>&1'
	ok "second stack on ports $p2.."
	md2=$D2/mail/bob/Maildir
	postfix -c "$D2/postfix/conf" stop >/dev/null 2>&1
	check "its Postfix stopped" wait_until 10 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$p2) 2>/dev/null"
	db5=$T_DIR/outage.db
	o2=(--db "$db5" --transport "smtp://$H:$p2/client.test" --tls none
		--from heartbeat@example.test --to bob@example.test)
	"$tool" "${o2[@]}" --tag "$run-out" enqueue 3 2>/dev/null
	out=$("$tool" "${o2[@]}" drain 2>&1)
	check_contains "server down: all 3 deferred" "$out" "sent=0 failed=0 deferred=3"
	check_like "  with a connection error" "$out" "[Cc]onnect"
	check_eq "  queued in the outbox" "$("$tool" "${o2[@]}" counts)" "queued=3 sent=0 failed=0"
	out=$("$tool" "${o2[@]}" drain 2>&1)
	check_contains "  not retried before the backoff" "$out" "attempted=0"
	if stack2 start.sh >>"$T_DIR/stack2.log" 2>&1; then
		ok "its Postfix started again"
		out=$("$tool" "${o2[@]}" drain --now "$(date -u -d '+1 hour' +%FT%TZ)" 2>&1)
		check_contains "server up: all 3 sent" "$out" "sent=3 failed=0 deferred=0"
		check_eq "  nothing left queued" "$("$tool" "${o2[@]}" counts)" "queued=0 sent=3 failed=0"
		three_arrived() { [ "$(grep -l "^X-Ackbeat-Seq: $run-out-" "$md2"/new/* "$md2"/cur/* 2>/dev/null | wc -l)" -ge 3 ]; }
		wait_until 30 three_arrived
		sleep 1 # a duplicate would arrive about now
		check_eq "  delivered, each exactly once" "$(grep -h "^X-Ackbeat-Seq: $run-out-" "$md2"/new/* "$md2"/cur/* 2>/dev/null | sort | uniq -c | awk '{print $1}' | sort -u | tr '\n' ' ')" "1 "
	else
		not_ok "its Postfix started again" "$(tail -5 "$T_DIR/stack2.log")"
	fi
else
	not_ok "second stack started" "$(tail -5 "$T_DIR/stack2.log" 2>/dev/null)"
fi

# --- 4. killed in the middle of a batch of 500 --------------------------------

N=500
db6=$T_DIR/kill.db
k=(--db "$db6" --transport "smtp://$H:$ACKBEAT_STACK_SMTP_PORT/client.test" --tls none
	--from heartbeat@example.test --to bob@example.test)
"$tool" "${k[@]}" --tag "$run-k" enqueue $N 2>"$T_DIR/kenq.err"
check_eq "$N queued" "$("$tool" "${k[@]}" counts)" "queued=$N sent=0 failed=0"
"$tool" "${k[@]}" drain >"$T_DIR/kdrain1" 2>&1 &
pid=$!
sent_at_least() { local c; c=$("$tool" --db "$db6" counts) && [[ $c =~ sent=([0-9]+) ]] && ((BASH_REMATCH[1] >= $1)); }
wait_until 60 sent_at_least 100
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
c=$("$tool" "${k[@]}" counts)
[[ $c =~ sent=([0-9]+) ]] && before=${BASH_REMATCH[1]} || before=0
check "killed with SIGKILL mid-batch (sent $before of $N)" test "$before" -ge 100 -a "$before" -lt $N
out=$("$tool" "${k[@]}" drain 2>&1)
check_eq "restarted: the rest sent" "$("$tool" "${k[@]}" counts)" "queued=0 sent=$N failed=0"
mdb=$ACKBEAT_STACK_MAILDIR_bob
seqs() { grep -h "^X-Ackbeat-Seq: $run-k-" "$mdb"/new/* "$mdb"/cur/* 2>/dev/null; }
uniq_count() { seqs | sort -u | wc -l; }
all_arrived() { [ "$(uniq_count)" -ge $N ]; }
wait_until 120 all_arrived
sleep 1
total=$(seqs | wc -l)
unique=$(uniq_count)
dups=$((total - unique))
diag "kill test: $N queued, $before sent before SIGKILL, $unique distinct arrived, $dups duplicate(s)"
check_eq "every one of the $N messages arrived (none lost)" "$unique" "$N"
# The drain commits a group of up to 32 accepted messages at a time
# (mailer/mail_outbox.c, GROUP_MAX): a kill resends at most that group,
# and each of them once.
check "duplicates: at most one group of 32 ($dups)" test "$dups" -le 32
most=$(seqs | sort | uniq -c | sort -rn | awk 'NR == 1 { print $1 }')
check "no message arrived more than twice ($most)" test "${most:-0}" -le 2

done_testing
