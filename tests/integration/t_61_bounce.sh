#!/usr/bin/env bash
# t_61_bounce - issue 12 end to end: a bounce that really reaches the
# watched inbox.  A heartbeat goes out through Postfix to alice (a real
# mailbox) and to the stack's bounce address (gone@example.test: in
# Postfix's virtual map, so accepted at RCPT, but unknown to Dovecot, so
# its LMTP delivery fails after the fact).  Postfix then writes a real DSN
# (RFC 3464) to the envelope sender, which is VERP,
# heartbeat+TOKEN@example.test (DESIGN.md, wire format); recipient_delimiter
# = + delivers it into heartbeat's INBOX.  ackbeat reads it over IMAP,
# matches the token, flags gone@ with Postfix's reason, and leaves alice
# alone.
#
# An unknown user such as nosuch@example.test is refused at RCPT time
# instead (ackbeat sees a 5xx while sending, there is no DSN), which is
# why the bounce goes to gone@: that is asserted too.
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2154 # ACKBEAT_STACK_* come from stack.env
. "$AB_SRCDIR/tests/integration/lib.sh"

[ -n "${ACKBEAT_STACK_DIR:-}" ] || skip_all "no stack (run through tests/integration/run)"
command -v jq >/dev/null || skip_all "jq is not installed"

tag="bnc$$x$RANDOM"
gone=${ACKBEAT_STACK_BOUNCE_ADDR:-gone@example.test}
hbpw=$ACKBEAT_STACK_PASSWORD_heartbeat
apw=$ACKBEAT_STACK_PASSWORD_alice
conf=$T_DIR/ackbeat.xml
# From: is ackbeat@, a mailbox nobody reads: a DSN that went to From (or
# to <mail from=>) would never reach the inbox.  Only the VERP envelope
# sender brings it back.
cat >"$conf" <<EOF
<ackbeat name="it $tag" timezone="UTC" tick="1m">
  <state path="state.db"/>
  <mail from="ackbeat@example.test" transport="smtp://127.0.0.1:$ACKBEAT_STACK_SMTP_PORT"
        tls="opportunistic" ca-file="$ACKBEAT_STACK_CA"/>
  <inbox url="imap://127.0.0.1:$ACKBEAT_STACK_IMAP_PORT/INBOX" username="heartbeat"
         password-env="HB_IMAP_PASSWORD" poll="1m" reply-address="heartbeat@example.test"
         ca-file="$ACKBEAT_STACK_CA"/>
  <recipients>
    <person name="alice" email="alice@example.test"/>
  </recipients>
  <alerting notify="alice" repeat="24h"/>
  <schedule name="monthly" rrule="FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=8;BYMINUTE=0;BYSECOND=0"/>
  <checks>
    <heartbeat name="$tag" label="Monthly $tag" schedule="monthly" to="alice $gone"
               grace="7d" quorum="1"/>
  </checks>
</ackbeat>
EOF
export HB_IMAP_PASSWORD=$hbpw

# Why gone@ and not any unknown name: Postfix refuses those at RCPT.
make_message ackbeat@example.test "nosuch@example.test" "rcpt $tag" >"$T_DIR/nosuch.eml"
check_exit "an unknown user (nosuch@) is refused at RCPT: no DSN would come" 55 \
	smtp_send ackbeat@example.test nosuch@example.test "$T_DIR/nosuch.eml"

check "validate" "$ACKBEAT" validate -c "$conf"
out=$("$ACKBEAT" tick -c "$conf" --now 2030-12-01T08:00:00Z 2>"$T_DIR/tick.err")
check_contains "the tick sends the heartbeat to both, over SMTP" "$out" "2 sent"
check_eq "Postfix accepted both recipients (the failure comes later)" \
	"$("$ACKBEAT" outbox -c "$conf" --json | jq -r '.counts.failed')" 0

# --- the envelope: one VERP sender per message, its recipient's token ---
ob=$("$ACKBEAT" outbox -c "$conf" --all --json)
sender_of() { jq -r --arg r "$1" '.messages[] | select(.recipients[0].address == $r) | .sender' <<<"$ob"; }
msgid_of() { jq -r --arg r "$1" '.messages[] | select(.recipients[0].address == $r) | .message_id' <<<"$ob"; }
gtok=$(msgid_of "$gone" | sed -nE 's/^<hb\.([a-z2-7]{26})@example\.test>$/\1/p')
atok=$(msgid_of alice@example.test | sed -nE 's/^<hb\.([a-z2-7]{26})@example\.test>$/\1/p')
check_like "gone@'s heartbeat has a token" "$gtok" '^[a-z2-7]{26}$'
check "alice's token is another" test -n "$atok" -a "$atok" != "$gtok"
check_eq "gone@'s envelope sender is VERP with gone@'s token" "$(sender_of "$gone")" \
	"heartbeat+$gtok@example.test"
check_eq "alice's envelope sender is VERP with alice's token" "$(sender_of alice@example.test)" \
	"heartbeat+$atok@example.test"

# What alice's mailbox recorded (Dovecot's Return-Path is the MAIL FROM).
uid=$(imap_wait_for alice "$apw" "HEADER X-Ackbeat-Check $tag" 30)
check_eq "alice got her heartbeat" "$(wc -w <<<"$uid" | tr -d ' ')" 1
amsg=$(imap_fetch alice "$apw" "$uid")
check_eq "alice's mailbox shows Return-Path: the VERP address" \
	"$(mail_header return-path <<<"$amsg")" "<heartbeat+$atok@example.test>"
check_eq "From: is still <mail from=>" "$(mail_header from <<<"$amsg")" "ackbeat@example.test"
check_eq "Reply-To carries the same token" "$(mail_header reply-to <<<"$amsg")" \
	"heartbeat+$atok@example.test"

# --- the real DSN comes back to the VERP address -------------------------
verp="heartbeat+$gtok@example.test"
duid=$(imap_wait_for heartbeat "$hbpw" "HEADER Delivered-To $verp" 30)
check_eq "Postfix's DSN arrived in heartbeat's INBOX, at the VERP address" \
	"$(wc -w <<<"$duid" | tr -d ' ')" 1
duid=${duid%% *}
dsn=$(imap_fetch heartbeat "$hbpw" "$duid")
printf '%s' "$dsn" >"$T_DIR/dsn.eml"
check_eq "Delivered-To is the VERP address" "$(mail_header delivered-to <<<"$dsn")" "$verp"
check_eq "To: is the VERP address" "$(mail_header to <<<"$dsn")" "$verp"
check_like "it is a DSN (multipart/report, delivery-status)" \
	"$(mail_header content-type <<<"$dsn")" 'multipart/report; *report-type=delivery-status'
check_contains "it fails gone@" "$dsn" "Final-Recipient: rfc822; $gone"
check_contains "... for good" "$dsn" "Action: failed"
# Postfix's own words, from the DSN (Diagnostic-Code, unfolded), are what
# ackbeat must show.
diag_code=$(tr -d '\r' <"$T_DIR/dsn.eml" | awk '
	/^Diagnostic-Code:/ { d = $0; on = 1; next }
	on && /^[ \t]/ { sub(/^[ \t]+/, " "); d = d $0; next }
	{ on = 0 }
	END { sub(/^Diagnostic-Code: *smtp; */, "", d); print d }')
diag "Postfix's Diagnostic-Code: $diag_code"
check_like "the Diagnostic-Code is an SMTP 5.1.1 refusal" "$diag_code" '^550 5\.1\.1 '
reason="User doesn't exist"
check_contains "... that says why: $reason" "$diag_code" "$reason"

# --- ackbeat reads it over IMAP ------------------------------------------
cls=$("$ACKBEAT" classify -c "$conf" "$T_DIR/dsn.eml" 2>&1)
check_contains "classify: a bounce" "$cls" "class=bounce"
check_contains "... with gone@'s token" "$cls" "token=$gtok"
check_contains "... naming gone@" "$cls" "bounced=$gone"
check_contains "... an issued token" "$cls" "issued=yes"

out=$("$ACKBEAT" inbox poll -c "$conf" --now 2030-12-01T09:00:00Z 2>"$T_DIR/poll.err")
check_like "the poll reads the bounce" "$out" "[1-9][0-9]* bounce"
stored=$(sqlite3 "$T_DIR/state.db" "SELECT class||' '||coalesce(token,'') FROM inbox_messages WHERE class='bounce'" 2>&1)
check_contains "the stored inbox message: class bounce with gone@'s token" "$stored" "bounce $gtok"

"$ACKBEAT" tick -c "$conf" --now 2030-12-01T09:01:00Z >/dev/null 2>>"$T_DIR/tick.err"
acks=$("$ACKBEAT" acks -c "$conf" --now 2030-12-01T09:02:00Z 2>&1)
diag "$acks"
gline=$(grep -F "$gone" <<<"$acks")
aline=$(grep -F "alice@example.test" <<<"$acks")
check_like "acks: gone@ bounced" "$gline" "bounced"
check_contains "acks: ... with Postfix's reason" "$gline" "$reason"
check_contains "acks: ... and its status code" "$gline" "5.1.1"
check "acks: alice did not bounce" test -n "$aline"
check_fails "acks: ... alice is not flagged bounced" grep -q "bounced" <<<"$aline"

st=$("$ACKBEAT" status -c "$conf" --json --now 2030-12-01T09:02:00Z 2>"$T_DIR/status.err")
flag=$(jq -c --arg a "$gone" '.flagged_recipients[] | select(.address == $a)' <<<"$st")
diag "status flagged: $(jq -c '.flagged_recipients' <<<"$st")"
check "status --json flags gone@" test -n "$flag"
check_like "... as bounced" "$(jq -r '.bounced' <<<"$flag")" '^20[0-9]{2}-'
check_contains "... with Postfix's reason" "$(jq -r '.bounce_detail // ""' <<<"$flag")" "$reason"
check_contains "... and its status code" "$(jq -r '.bounce_detail // ""' <<<"$flag")" "5.1.1"
check_eq "... and not alice" \
	"$(jq -r '[.flagged_recipients[] | select(.address == "alice@example.test")] | length' <<<"$st")" 0
done_testing
