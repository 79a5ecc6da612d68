#!/usr/bin/env bash
# t_70_heartbeat - issue 7 end to end against the real servers: a monthly
# heartbeat goes out through Postfix to two people; one replies through
# Postfix into the mailbox Dovecot serves; ackbeat reads it over IMAP and
# the cycle is Healthy.  Next month nobody answers: the "nobody confirmed"
# alert reaches the escalation address, listing who was asked.
. "$AB_SRCDIR/tests/integration/lib.sh"

tag="hb$$x$RANDOM"
cat >"$T_DIR/ackbeat.xml" <<EOF2
<ackbeat name="it $tag" timezone="UTC" tick="1m">
  <state path="state.db"/>
  <mail from="heartbeat@example.test" transport="smtp://127.0.0.1:$ACKBEAT_STACK_SMTP_PORT"
        tls="opportunistic" ca-file="$ACKBEAT_STACK_CA"/>
  <inbox url="imap://127.0.0.1:$ACKBEAT_STACK_IMAP_PORT/INBOX" username="heartbeat"
         password-env="HB_IMAP_PASSWORD" poll="1m" reply-address="heartbeat@example.test"
         ca-file="$ACKBEAT_STACK_CA"/>
  <recipients>
    <person name="alice" email="alice@example.test"/>
    <person name="bob" email="bob@example.test"/>
  </recipients>
  <alerting notify="bob" repeat="24h"/>
  <schedule name="monthly" rrule="FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=8;BYMINUTE=0;BYSECOND=0"/>
  <checks>
    <heartbeat name="$tag" label="Monthly $tag" schedule="monthly" to="alice bob"
               grace="7d" quorum="1"/>
  </checks>
</ackbeat>
EOF2
export HB_IMAP_PASSWORD=$ACKBEAT_STACK_PASSWORD_heartbeat
conf=$T_DIR/ackbeat.xml
apw=$ACKBEAT_STACK_PASSWORD_alice
bpw=$ACKBEAT_STACK_PASSWORD_bob

check "validate" "$ACKBEAT" validate -c "$conf"
out=$("$ACKBEAT" tick -c "$conf" --now 2030-12-01T08:00:00Z 2>"$T_DIR/t1.err")
check_contains "the first of the month sends the heartbeat" "$out" "2 sent"

uid=$(imap_wait_for alice "$apw" "HEADER X-Ackbeat-Check $tag" 15)
check_eq "alice got one heartbeat" "$(wc -w <<<"$uid" | tr -d ' ')" 1
msg=$(imap_fetch alice "$apw" "$uid")
reply_to=$(mail_header reply-to <<<"$msg")
msgid=$(mail_header message-id <<<"$msg")
check_like "Reply-To is the plus address" "$reply_to" '^heartbeat\+[a-z2-7]{26}@example\.test$'
token=${reply_to#heartbeat+}; token=${token%@example.test}
check_eq "Message-ID carries the token" "$msgid" "<hb.$token@example.test>"
check_contains "the body ends with the reference line" "$msg" "Reference: hb.$token"
check_eq "Auto-Submitted" "$(mail_header auto-submitted <<<"$msg")" "auto-generated"

# Alice replies from her mail client, top-posted, through Postfix.
{
    printf 'From: Alice <alice@example.test>\r\nTo: %s\r\n' "$reply_to"
    printf 'Subject: RE: %s\r\nIn-Reply-To: %s\r\nReferences: %s\r\n' \
        "$(mail_header subject <<<"$msg")" "$msgid" "$msgid"
    printf 'Message-ID: <reply.%s@alice.example.test>\r\nDate: %s\r\n' "$tag" "$(LC_ALL=C date -R)"
    printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
    printf 'Got it, thanks!\r\n\r\n-----Original Message-----\r\n> Reference: hb.%s\r\n' "$token"
} >"$T_DIR/reply.eml"
check "alice's reply goes through Postfix" smtp_send alice@example.test "$reply_to" "$T_DIR/reply.eml"
check "the reply lands in heartbeat's INBOX" imap_wait_for heartbeat "$HB_IMAP_PASSWORD" "HEADER Message-ID reply.$tag" 15

out=$("$ACKBEAT" inbox poll -c "$conf" --now 2030-12-01T09:00:00Z 2>"$T_DIR/poll.err")
check_contains "the poll reads the acknowledgement" "$out" "1 ack"
"$ACKBEAT" tick -c "$conf" --now 2030-12-01T09:01:00Z >/dev/null 2>>"$T_DIR/t2.err"
acks=$("$ACKBEAT" acks -c "$conf")
check_like "the cycle is Healthy" "$acks" "cycle [0-9]+ .* Healthy"
check_contains "alice confirmed" "$acks" "alice@example.test"
check_like "... with a time, in the site's zone" "$acks" "alice@example.test +confirmed [A-Z][a-z]{2} [0-9]{1,2} [A-Z][a-z]{2} 20[0-9]{2} [0-9]{2}:[0-9]{2} [A-Z]"
# Polling again counts nothing twice.
out=$("$ACKBEAT" inbox poll -c "$conf" --now 2030-12-01T09:05:00Z 2>>"$T_DIR/poll.err")
check_contains "a second poll finds nothing new" "$out" "0 ack"

# Next month nobody answers.
"$ACKBEAT" tick -c "$conf" --now 2031-01-01T08:00:00Z >/dev/null 2>>"$T_DIR/t3.err"
"$ACKBEAT" tick -c "$conf" --now 2031-01-05T08:00:00Z >/dev/null 2>>"$T_DIR/t3.err"
out=$("$ACKBEAT" tick -c "$conf" --now 2031-01-08T08:01:00Z 2>>"$T_DIR/t3.err")
check_contains "the deadline opens an alert" "$out" "1 alerts opened"
uid=$(imap_wait_for bob "$bpw" "HEADER X-Ackbeat-Notice nobody-confirmed HEADER X-Ackbeat-Check $tag" 15)
check_eq "bob got the nobody-confirmed alert" "$(wc -w <<<"$uid" | tr -d ' ')" 1
msg=$(imap_fetch bob "$bpw" "$uid")
check_contains "it lists alice as asked" "$msg" "alice@example.test"
check_like "the subject says nobody confirmed" "$(mail_header subject <<<"$msg")" "[Nn]obody confirmed|[Nn]o one confirmed|confirm"
alerts=$("$ACKBEAT" alerts -c "$conf" --json)
check_contains "the alert is open" "$alerts" "\"check\": \"$tag\""

# Bob answers the alert itself with "dismiss", from his mail client,
# through Postfix: the notice's own token finds the alert.
a_reply_to=$(mail_header reply-to <<<"$msg")
a_msgid=$(mail_header message-id <<<"$msg")
check_like "the alert notice's Reply-To carries a token" "$a_reply_to" '^heartbeat\+[a-z2-7]{26}@example\.test$'
a_token=${a_reply_to#heartbeat+}; a_token=${a_token%@example.test}
check "not the heartbeat's token" test "$a_token" != "$token"
check_contains "and its reference line carries it" "$msg" "Reference: hb.$a_token"
{
    printf 'From: Bob <bob@example.test>\r\nTo: %s\r\n' "$a_reply_to"
    printf 'Subject: Re: %s\r\nIn-Reply-To: %s\r\nReferences: %s\r\n' \
        "$(mail_header subject <<<"$msg")" "$a_msgid" "$a_msgid"
    printf 'Message-ID: <dismiss.%s@bob.example.test>\r\nDate: %s\r\n' "$tag" "$(LC_ALL=C date -R)"
    printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
    printf 'dismiss\r\n\r\nOn Wed, Bob wrote:\r\n> Reference: hb.%s\r\n' "$a_token"
} >"$T_DIR/dismiss.eml"
check "bob's reply goes through Postfix" smtp_send bob@example.test "$a_reply_to" "$T_DIR/dismiss.eml"
check "it lands in heartbeat's INBOX" imap_wait_for heartbeat "$HB_IMAP_PASSWORD" "HEADER Message-ID dismiss.$tag" 15
out=$("$ACKBEAT" tick -c "$conf" --now 2031-01-08T09:30:00Z 2>>"$T_DIR/t4.err")
alerts=$("$ACKBEAT" alerts -c "$conf" --json)
check_like "the reply dismissed the alert, by bob" "$alerts" '"dismissed_by": "bob@example.test"'
"$ACKBEAT" tick -c "$conf" --now 2031-01-08T09:45:00Z >/dev/null 2>>"$T_DIR/t4.err"
check_eq "a later tick does not apply it again" \
    "$(grep -c 'reply command dismiss from bob@example.test' "$T_DIR/t4.err")" 1
done_testing
