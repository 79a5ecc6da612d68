#!/usr/bin/env bash
# t_72_season - issue 13: a season of a monthly heartbeat, as an office
# lives it, through the real Postfix and Dovecot.  Two coordinators (alice,
# bob) are asked on the 1st; the data office's Dana (bob+dana@, a mailbox
# of her own in bob's INBOX) is told when nobody confirms, with a daily
# digest of what is open.
#   month 1: both reply: Healthy, no alert.
#   month 2: nobody: "nobody confirmed" to Dana, who dismisses it by reply.
#   month 3: nobody again: Dana IS told again (last month's dismissal does
#            not silence this month); the next morning's digest lists it.
#   month 4: the inbox cannot be read at the deadline (a wrong IMAP
#            password for that tick): the verdict is held, no "nobody
#            confirmed"; read again the next day: decided, and sent.
# Every step asserts what the outbox queued (kind>recipient, nothing more)
# and, at the end, what each mailbox holds.
. "$AB_SRCDIR/tests/integration/lib.sh"

command -v sqlite3 >/dev/null || skip_all "no sqlite3 command to read the outbox"

tag="season$$x$RANDOM"
dana=bob+dana@example.test
cat >"$T_DIR/ackbeat.xml" <<EOF2
<ackbeat name="season $tag" timezone="UTC" tick="1m">
  <state path="state.db"/>
  <mail from="heartbeat@example.test" transport="smtp://127.0.0.1:$ACKBEAT_STACK_SMTP_PORT"
        tls="opportunistic" ca-file="$ACKBEAT_STACK_CA"/>
  <inbox url="imap://127.0.0.1:$ACKBEAT_STACK_IMAP_PORT/INBOX" username="heartbeat"
         password-env="HB_IMAP_PASSWORD" poll="1m" reply-address="heartbeat@example.test"
         ca-file="$ACKBEAT_STACK_CA"/>
  <recipients>
    <person name="alice" email="alice@example.test"/>
    <person name="bob" email="bob@example.test"/>
    <person name="dana" display="Dana Data" email="$dana"/>
  </recipients>
  <alerting notify="dana" repeat="60d" digest-at="07:00"/>
  <schedule name="monthly" rrule="FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=8;BYMINUTE=0;BYSECOND=0"/>
  <checks>
    <heartbeat name="$tag" label="Monthly $tag" schedule="monthly" to="alice bob"
               grace="7d" quorum="2"/>
  </checks>
</ackbeat>
EOF2
good_pw=$ACKBEAT_STACK_PASSWORD_heartbeat
export HB_IMAP_PASSWORD=$good_pw
conf=$T_DIR/ackbeat.xml
apw=$ACKBEAT_STACK_PASSWORD_alice
bpw=$ACKBEAT_STACK_PASSWORD_bob
check "validate" "$ACKBEAT" validate -c "$conf"

# What the outbox queued since the last call: "kind>local" per message,
# sorted (local: alice, bob, dana).  The last id reported is kept in a
# file: $(queued) runs in a subshell.
echo 0 >"$T_DIR/seen"
queued() {
    local rows seen
    seen=$(cat "$T_DIR/seen")
    rows=$(sqlite3 -readonly "$T_DIR/state.db" \
        "SELECT o.id, o.kind, r.rcpt FROM outbox o JOIN outbox_rcpts r ON r.outbox_id = o.id
         WHERE o.id > $seen ORDER BY o.id")
    sqlite3 -readonly "$T_DIR/state.db" "SELECT coalesce(max(id), 0) FROM outbox" >"$T_DIR/seen"
    awk -F'|' 'NF { a = $3; sub(/@.*/, "", a); if (a == "bob+dana") a = "dana"; print $2 ">" a }' \
        <<<"$rows" | grep . | sort | tr '\n' ' ' | sed 's/ $//'
}
tick() { # tick TIME [IMAP_PASSWORD]
    HB_IMAP_PASSWORD=${2:-$good_pw} "$ACKBEAT" tick -c "$conf" --now "$1" \
        >>"$T_DIR/ticks.out" 2>>"$T_DIR/ticks.err"
}
cycle_status() {
    sqlite3 -readonly "$T_DIR/state.db" "SELECT status FROM cycles ORDER BY id DESC LIMIT 1"
}
# reply FROM TO SUBJECT IN_REPLY_TO BODY_FIRST_LINE TOKEN ID: a reply from a
# mail client, through Postfix, landing in heartbeat's INBOX.
reply() {
    local from=$1 to=$2 subj=$3 irt=$4 line=$5 tok=$6 id=$7
    {
        printf 'From: %s\r\nTo: %s\r\nSubject: Re: %s\r\n' "$from" "$to" "$subj"
        printf 'In-Reply-To: %s\r\nReferences: %s\r\n' "$irt" "$irt"
        printf 'Message-ID: <%s.%s@client.example.test>\r\nDate: %s\r\n' "$id" "$tag" "$(LC_ALL=C date -R)"
        printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
        printf '%s\r\n\r\n> Reference: hb.%s\r\n' "$line" "$tok"
    } >"$T_DIR/$id.eml"
    smtp_send "$from" "$to" "$T_DIR/$id.eml" &&
        imap_wait_for heartbeat "$good_pw" "HEADER Message-ID $id.$tag" 15 >/dev/null
}
# The newest message to ADDR in USER's INBOX with X-Ackbeat-Notice KIND.
newest() { # newest USER PASS ADDR KIND
    local uids
    uids=$(imap_wait_for "$1" "$2" "TO \"$3\" HEADER X-Ackbeat-Notice $4 SUBJECT \"$tag\"" 15) || return 1
    imap_fetch "$1" "$2" "${uids##* }"
}
count() { # count USER PASS ADDR KIND: messages of that kind for ADDR
    local u
    u=$(imap_search "$1" "$2" "TO \"$3\" HEADER X-Ackbeat-Notice $4 SUBJECT \"$tag\"")
    wc -w <<<"$u" | tr -d ' '
}

# ---- month 1: both coordinators confirm ------------------------------------
tick 2032-01-01T08:00:00Z
check_eq "m1: the requests go out, nothing else" "$(queued)" \
    "heartbeat-request>alice heartbeat-request>bob"
for who in alice bob; do
    pw=$apw; [ $who = bob ] && pw=$bpw
    msg=$(newest $who "$pw" "$who@example.test" heartbeat-request) ||
        not_ok "m1: $who got the heartbeat"
    rt=$(mail_header reply-to <<<"$msg")
    tok=${rt#heartbeat+}; tok=${tok%@example.test}
    check "m1: $who replies through Postfix" \
        reply "$who@example.test" "$rt" "$(mail_header subject <<<"$msg")" \
        "$(mail_header message-id <<<"$msg")" "Received, thanks." "$tok" "m1$who"
done
out=$("$ACKBEAT" inbox poll -c "$conf" --now 2032-01-01T09:00:00Z 2>>"$T_DIR/ticks.err")
check_contains "m1: the poll reads both acknowledgements" "$out" "2 ack"
tick 2032-01-01T09:01:00Z
check_eq "m1: the cycle is Healthy" "$(cycle_status)" "Healthy"
tick 2032-01-08T08:01:00Z
check_eq "m1: past the deadline, no alert, no mail" "$(queued)" ""
check_eq "m1: no open alert" "$(sqlite3 -readonly "$T_DIR/state.db" \
    "SELECT count(*) FROM alerts WHERE resolved IS NULL")" 0

# ---- month 2: nobody; told; dismissed by reply -----------------------------
tick 2032-02-01T08:00:00Z
check_eq "m2: the requests" "$(queued)" "heartbeat-request>alice heartbeat-request>bob"
tick 2032-02-08T07:30:00Z   # the morning digest: nothing open, none sent
check_eq "m2: no digest while nothing is open" "$(queued)" ""
tick 2032-02-08T08:01:00Z
check_eq "m2: the deadline: Failing" "$(cycle_status)" "Failing"
check_eq "m2: nobody-confirmed to Dana only" "$(queued)" "nobody-confirmed>dana"
msg=$(newest bob "$bpw" "$dana" nobody-confirmed) || not_ok "m2: Dana got it"
check_contains "m2: it lists alice as asked" "$msg" "alice@example.test"
check_contains "m2: about February's cycle" "$msg" "February 2032"
a_rt=$(mail_header reply-to <<<"$msg")
a_tok=${a_rt#heartbeat+}; a_tok=${a_tok%@example.test}
check "m2: Dana dismisses by reply, through Postfix" \
    reply "$dana" "$a_rt" "$(mail_header subject <<<"$msg")" "$(mail_header message-id <<<"$msg")" \
    "dismiss" "$a_tok" "m2dismiss"
tick 2032-02-08T09:30:00Z
alerts=$("$ACKBEAT" alerts -c "$conf" --json)
check_contains "m2: dismissed, by Dana" "$alerts" "\"dismissed_by\": \"$dana\""
# (An answer to the command itself is the reply engine's business; no
# notice about the failure goes out.)
check_eq "m2: the dismissal sends no notice about the failure" \
    "$(queued | tr ' ' '\n' | grep -c '^\(nobody-confirmed\|alert-opened\|alert-repeated\|alert-worse\|alert-escalated\|daily-digest\)>')" 0
tick 2032-02-09T07:00:00Z
tick 2032-02-20T07:00:00Z
check_eq "m2: dismissed: no digest, no repeat for the rest of the month" "$(queued)" ""

# ---- month 3: nobody again: told again --------------------------------------
tick 2032-03-01T08:00:00Z
check_eq "m3: the requests (month 2 stays dismissed)" "$(queued)" \
    "heartbeat-request>alice heartbeat-request>bob"
tick 2032-03-08T07:30:00Z
check_eq "m3: no digest of a dismissed alert" "$(queued)" ""
tick 2032-03-08T08:01:00Z
check_eq "m3: the deadline: Failing again" "$(cycle_status)" "Failing"
check_eq "m3: Dana IS told again" "$(queued)" "nobody-confirmed>dana"
msg=$(newest bob "$bpw" "$dana" nobody-confirmed) || not_ok "m3: Dana got it"
check_contains "m3: about March's cycle" "$msg" "March 2032"
check_eq "m3: the dismissal ended with its cycle" "$(sqlite3 -readonly "$T_DIR/state.db" \
    "SELECT count(*) FROM alerts WHERE resolved IS NULL AND dismissed_at IS NULL")" 1
# The digest day: the next morning Dana's digest lists the open alert.
tick 2032-03-09T07:00:00Z
check_eq "m3: the morning digest, to Dana" "$(queued)" "daily-digest>dana"
msg=$(newest bob "$bpw" "$dana" daily-digest) || not_ok "m3: Dana got the digest"
check_contains "m3: the digest lists the heartbeat" "$msg" "Monthly $tag"
tick 2032-03-09T12:00:00Z
check_eq "m3: one digest a day" "$(queued)" ""

# ---- month 4: the inbox is unreadable at the deadline ----------------------
tick 2032-04-01T08:00:00Z
check_eq "m4: the requests, and the day's digest (still open)" "$(queued)" \
    "daily-digest>dana heartbeat-request>alice heartbeat-request>bob"
tick 2032-04-08T08:01:00Z "wrong-$RANDOM"
check_eq "m4: the verdict is held" "$(cycle_status)" "Held"
got=$(queued)
check_contains "m4: Dana hears the inbox cannot be read (worse: Offline)" "$got" "alert-worse>dana"
check_eq "m4: and no nobody-confirmed" "$(tr ' ' '\n' <<<"$got" | grep -c nobody-confirmed)" 0
check_eq "m4: exactly that and the day's digest" "$got" "alert-worse>dana daily-digest>dana"
msg=$(newest bob "$bpw" "$dana" alert-worse) || not_ok "m4: Dana got it"
check_contains "m4: it says the inbox cannot be read" "$msg" "cannot read the inbox"
check_like "m4: now Offline, was Failing" "$(mail_header subject <<<"$msg")" "now Offline, was Failing"
tick 2032-04-08T09:00:00Z "wrong-$RANDOM"
check_eq "m4: still held, nothing sent" "$(cycle_status)|$(queued)" "Held|"
# Read again the next day: decided, and told.
tick 2032-04-09T09:00:00Z
check_eq "m4: decided once the inbox is read" "$(cycle_status)" "Failing"
check_eq "m4: nobody-confirmed now, and the day's digest" "$(queued)" \
    "daily-digest>dana nobody-confirmed>dana"
msg=$(newest bob "$bpw" "$dana" nobody-confirmed) || not_ok "m4: Dana got it"
check_contains "m4: about April's cycle" "$msg" "April 2032"
tick 2032-04-09T10:00:00Z
check_eq "m4: nothing more" "$(queued)" ""

# ---- every mailbox, every notice -------------------------------------------
check_eq "outbox: everything sent" "$(sqlite3 -readonly "$T_DIR/state.db" \
    "SELECT count(*) FROM outbox WHERE status <> 'sent'")" 0
check_eq "alice: 4 requests" "$(count alice "$apw" alice@example.test heartbeat-request)" 4
check_eq "bob: 4 requests" "$(count bob "$bpw" bob@example.test heartbeat-request)" 4
for who in alice bob; do
    pw=$apw; [ $who = bob ] && pw=$bpw
    for k in heartbeat-reminder nobody-confirmed alert-opened alert-worse alert-repeated daily-digest; do
        check_eq "$who: no $k" "$(count $who "$pw" "$who@example.test" $k)" 0
    done
done
check_eq "Dana: nobody-confirmed in months 2, 3 and 4" "$(count bob "$bpw" "$dana" nobody-confirmed)" 3
check_eq "Dana: one 'inbox unreadable' (worse)" "$(count bob "$bpw" "$dana" alert-worse)" 1
check_eq "Dana: digests on 9 March, 1 April, 8 April, 9 April" "$(count bob "$bpw" "$dana" daily-digest)" 4
for k in heartbeat-request alert-opened alert-repeated alert-resolved; do
    check_eq "Dana: no $k" "$(count bob "$bpw" "$dana" $k)" 0
done
done_testing
