#!/usr/bin/env bash
# t_60_inbox.sh - the inbox watcher against the real Postfix and Dovecot:
# corpus replies go in through Postfix, inbox_poll reads them over IMAP,
# the acknowledgements, bounces, auto-replies, pings are recorded; a poll
# killed between fetch and store loses nothing and counts nothing twice;
# a UIDVALIDITY change rescans without double counting; IMAPS with the
# stack's CA, and the move to a processed folder, also with folder names
# that are not ASCII (modified UTF-7 on the wire).
#
# The stack is shared, so the messages get a Message-ID unique to this run
# and are copied from heartbeat's INBOX into a folder of their own, which
# is the one polled.
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2154 # ACKBEAT_STACK_* come from stack.env
. "$AB_SRCDIR/tests/integration/lib.sh"

[ -n "${ACKBEAT_STACK_DIR:-}" ] || skip_all "no stack (run through tests/integration/run)"
tool=
for t in "${INBOX_TOOL:-}" "$(dirname "$ACKBEAT")/tests/helpers/inbox_tool" \
	"$AB_SRCDIR/build/tests/helpers/inbox_tool"; do
	[ -n "$t" ] && [ -x "$t" ] && { tool=$t; break; }
done
[ -n "$tool" ] || skip_all "inbox_tool not built (make build/tests/helpers/inbox_tool)"

pw=$ACKBEAT_STACK_PASSWORD_heartbeat
run=t60.$$.$RANDOM
box=T60-$$-$RANDOM
db=$T_DIR/state.db
mail=$AB_SRCDIR/tests/data/mail
url=$ACKBEAT_STACK_IMAP_URL/$box

# The corpus tokens, issued in a fresh store.
while read -r tok cyc rcpt _; do
	case $tok in '#'* | '') continue ;; esac
	[ "$cyc" = - ] && continue
	"$tool" issue "$db" "$tok" "$cyc" "$rcpt" || not_ok "issue $tok"
done <"$mail/TOKENS"

files="gmail_reply outlook_html_gotit apple_mail_in_reply_to ref_french_colleague_cp1252
ooo_exchange dsn_postfix_failed forged_plus ping_cron unrelated_newsletter"
n=0
for f in $files; do
	# a Message-ID of this run, so the stack's other mail is not ours
	sed -E "s/^(Message-I[Dd]: <)/\1$run./" "$mail/$f.eml" >"$T_DIR/$f.eml"
	grep -qi "^Message-ID: <$run" "$T_DIR/$f.eml" || not_ok "$f has a Message-ID"
	check "deliver $f through Postfix" smtp_send heartbeat@example.test heartbeat "$T_DIR/$f.eml"
	n=$((n + 1))
done
uids=
end=$((SECONDS + 20))
while [ $SECONDS -lt $end ]; do
	uids=$(imap_search heartbeat "$pw" "HEADER Message-ID \"$run.\"")
	[ "$(wc -w <<<"$uids")" -ge $n ] && break
	sleep 0.2
done
check_eq "all $n delivered into heartbeat's INBOX" "$(wc -w <<<"$uids")" $n
set=${uids// /,}
curl -sS -u "heartbeat:$pw" "$ACKBEAT_STACK_IMAP_URL/" -X "CREATE $box" >/dev/null
check "copied to $box" curl -sS -u "heartbeat:$pw" "$ACKBEAT_STACK_IMAP_URL/INBOX" -X "UID COPY $set $box"

q() { "$tool" query "$db" "$1"; }

# 1. killed between fetch and store: nothing recorded, nothing marked read
AB_TEST_CRASH_AFTER_FETCH=kill "$tool" poll "$db" "$url" heartbeat "$pw" >"$T_DIR/p0" 2>&1
check_eq "poll killed itself after the fetch" "$?" 137
check_eq "nothing recorded" "$(q 'SELECT count(*) FROM inbox_messages')" 0
check_eq "no progress stored" "$(q 'SELECT count(*) FROM inbox_state WHERE last_uid > 0')" 0
first=$(imap_search heartbeat "$pw" ALL "$box" | cut -d' ' -f1)
check_eq "the message is still unseen" "$(imap_flags heartbeat "$pw" "$first" "$box" | grep -c Seen)" 0

# 2. restarted: everything, once
out=$("$tool" poll "$db" "$url" heartbeat "$pw" 2>"$T_DIR/p1.err")
check_contains "poll counts" "$out" "fetched=$n unrelated=1 ack=4 autoreply=1 bounce=1 forged=1 ping=1 skipped=0 duplicates=0"
check_eq "acks recorded" "$(q 'SELECT count(*) FROM acks')" 4
check_eq "ack by a colleague for carol, verified" \
	"$(q "SELECT by_addr||' for '||for_addr||' '||verified FROM acks WHERE by_addr LIKE 'paul@%'")" \
	"paul@state-a.example for carol@state-a.example 1"
check_contains "excerpt kept" "$(q "SELECT excerpt FROM acks WHERE by_addr='dave@state-b.example'")" "Confirmed, we received it."
check_eq "bounce flags the recipient" "$(q "SELECT count(*) FROM recipients WHERE address='gone@example.test' AND bounced_at IS NOT NULL")" 1
check_eq "auto-reply noted on its token" "$(q 'SELECT count(*) FROM tokens WHERE autoreply_at IS NOT NULL')" 1
check_eq "email ping" "$(q "SELECT count(*) FROM pings WHERE check_name='nightly-backup' AND via='email'")" 1
check_eq "last read recorded" "$(q 'SELECT count(*) FROM inbox_state WHERE last_ok IS NOT NULL AND last_error IS NULL')" 1
check_contains "marked \\Seen after the store" "$(imap_flags heartbeat "$pw" "$first" "$box")" 'Seen'

# 3. again: nothing new
out=$("$tool" poll "$db" "$url" heartbeat "$pw")
check_contains "second poll reads nothing" "$out" "fetched=0 "

# 4. a reply command arrives
sed -E "s/^(Message-I[Dd]: <)/\1$run./" "$mail/cmd_snooze.eml" >"$T_DIR/snooze.eml"
check "deliver a snooze" smtp_send carol@state-a.example heartbeat "$T_DIR/snooze.eml"
u=$(imap_wait_for heartbeat "$pw" "HEADER Message-ID \"$run.cmd_snooze\"" 20)
curl -sS -u "heartbeat:$pw" "$ACKBEAT_STACK_IMAP_URL/INBOX" -X "UID COPY $u $box" >/dev/null
out=$("$tool" poll "$db" "$url" heartbeat "$pw")
check_contains "snooze counted and handed on" "$out" "ack=1 "
check_contains "one command" "$out" "commands=1"
check_eq "acks now" "$(q 'SELECT count(*) FROM acks')" 5

# 5. UIDVALIDITY changed (as after a server rebuild): all read again, none counted
q "UPDATE inbox_state SET uidvalidity = 1, last_uid = 0" >/dev/null
out=$("$tool" poll "$db" "$url" heartbeat "$pw" 2>"$T_DIR/p5.err")
check_contains "rescan reads everything" "$out" "fetched=$((n + 1)) "
check_contains "rescan counts nothing twice" "$out" "duplicates=$((n + 1)) "
check_contains "rescan flagged" "$out" "rescan=1"
check_eq "acks unchanged" "$(q 'SELECT count(*) FROM acks')" 5

# 6. IMAPS with the stack's CA, moving what was read to a folder
out=$("$tool" poll "$db" "$ACKBEAT_STACK_IMAPS_URL/$box" heartbeat "$pw" "$ACKBEAT_STACK_CA" "$box-done" 2>"$T_DIR/p6.err")
check_contains "IMAPS read (all known already)" "$out" "duplicates=$((n + 1)) "
check_eq "moved out of $box" "$(imap_count heartbeat "$pw" "$box")" 0
check_eq "into $box-done" "$(imap_count heartbeat "$pw" "$box-done")" $((n + 1))
check_eq "acks still unchanged" "$(q 'SELECT count(*) FROM acks')" 5

# 7. a wrong CA is an error recorded for the engine, not a crash
check_fails "IMAPS with a wrong CA fails" "$tool" poll "$db" "$ACKBEAT_STACK_IMAPS_URL/$box" heartbeat "$pw" /etc/hostname
check_eq "error recorded" "$(q "SELECT count(*) FROM inbox_state WHERE mailbox LIKE 'imaps://%' AND last_error IS NOT NULL")" 1

# 8. folder names that are not ASCII: the config has UTF-8 (the URL
# percent-encoded, RFC 5092), the server modified UTF-7 (RFC 3501 5.1.3).
# Dovecot's hierarchy separator here is '.', so the move-to folder is
# "回复" inside "Bestätigt".  curl needs the encoded names.
src_wire="$box-Eingang-&AOQ-"
dst_wire="$box-Best&AOQ-tigt.&Vt5ZDQ-"
curl -sS -u "heartbeat:$pw" "$ACKBEAT_STACK_IMAP_URL/" -X "CREATE \"$src_wire\"" >/dev/null
check "copied into $box-Eingang-ä" curl -sS -u "heartbeat:$pw" "$ACKBEAT_STACK_IMAP_URL/$box-done" \
	-X "UID COPY 1:* \"$src_wire\""
out=$("$tool" poll "$db" "$ACKBEAT_STACK_IMAP_URL/$box-Eingang-%C3%A4" heartbeat "$pw" "" \
	"$box-Bestätigt.回复" 2>"$T_DIR/p8.err")
check_contains "read from a folder named in UTF-8" "$out" "fetched=$((n + 1)) "
check_eq "no complaint while marking and moving" "$(cat "$T_DIR/p8.err")" ""
check_eq "moved out of $box-Eingang-ä" "$(imap_count heartbeat "$pw" "$src_wire")" 0
check_eq "into $box-Bestätigt.回复 (created, as $dst_wire)" \
	"$(imap_count heartbeat "$pw" "$dst_wire")" $((n + 1))
check_eq "the snooze is in there" \
	"$(wc -w <<<"$(imap_search heartbeat "$pw" "HEADER Message-ID \"$run.cmd_snooze\"" "$dst_wire")")" 1
out=$("$tool" poll "$db" "$ACKBEAT_STACK_IMAP_URL/$box-Nicht-%C3%A4" heartbeat "$pw" 2>&1)
check_contains "the error names the folder in UTF-8" "$out" "Mailbox doesn't exist: $box-Nicht-ä"
done_testing
