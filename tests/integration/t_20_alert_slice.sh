#!/usr/bin/env bash
# t_20_alert_slice - issue 2's thin slice against the real servers: a
# freshness check on a SQLite source fails; the alert email goes over SMTP
# to Postfix and is read back over IMAP from Dovecot; the next tick sends
# nothing new; fresh rows arrive and the "resolved" email follows in the
# same thread; `ackbeat status` shows both; a broken config is refused with
# every mistake named.
. "$AB_SRCDIR/tests/integration/lib.sh"

pw=$ACKBEAT_STACK_PASSWORD_alice
tag="slice-$$-$RANDOM"
t0=$(date -u +%s)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

sqlite3 "$T_DIR/shop.db" <<SQL
CREATE TABLE orders (id INTEGER PRIMARY KEY, created_at TEXT);
INSERT INTO orders(created_at) VALUES ('$(iso $((t0 - 4 * 86400)))'), ('$(iso $((t0 - 3 * 86400)))');
SQL

cat >"$T_DIR/ackbeat.xml" <<EOF2
<ackbeat name="slice $tag" timezone="UTC" tick="1m">
  <state path="state.db"/>
  <mail from="ackbeat@example.test" transport="smtp://127.0.0.1:$ACKBEAT_STACK_SMTP_PORT"
        tls="opportunistic" ca-file="$ACKBEAT_STACK_CA" timeout="20s"/>
  <recipients><person name="alice" email="alice@example.test"/></recipients>
  <alerting notify="alice" repeat="24h"/>
  <sources><sqlite name="shop" path="shop.db"/></sources>
  <checks>
    <freshness name="orders-$tag" source="shop" table="orders" column="created_at" max-age="1d"/>
  </checks>
</ackbeat>
EOF2
conf=$T_DIR/ackbeat.xml

check "validate accepts the config" "$ACKBEAT" validate -c "$conf"

out=$("$ACKBEAT" tick -c "$conf" --now "$(iso "$t0")" 2>"$T_DIR/tick1.err")
check_contains "first tick opens an alert" "$out" "1 alerts opened"
check_contains "first tick sends one email" "$out" "1 sent"

uids=$(imap_wait_for alice "$pw" "HEADER X-Ackbeat-Check orders-$tag" 15)
check_eq "one alert email in alice's INBOX" "$(wc -w <<<"$uids" | tr -d ' ')" 1
msg=$(imap_fetch alice "$pw" "$uids")
subject=$(mail_header subject <<<"$msg")
check_contains "the subject names the check" "$subject" "orders-$tag"
check_eq "Auto-Submitted is set" "$(mail_header auto-submitted <<<"$msg")" "auto-generated"
check_eq "it is the opened notice" "$(mail_header x-ackbeat-notice <<<"$msg")" "alert-opened"
first_id=$(mail_header message-id <<<"$msg")
check_like "it has a Message-ID" "$first_id" '^<ackbeat\.alert[0-9]+\.n1\.'

out=$("$ACKBEAT" tick -c "$conf" --now "$(iso $((t0 + 60)))" 2>>"$T_DIR/tick2.err")
check_contains "second tick opens nothing" "$out" "0 alerts opened"
check_contains "second tick queues nothing" "$out" "0 emails queued"
sleep 1
check_eq "still one email for the check" \
    "$(imap_search alice "$pw" "HEADER X-Ackbeat-Check orders-$tag" | wc -w | tr -d ' ')" 1

status=$("$ACKBEAT" status -c "$conf" --now "$(iso $((t0 + 60)))")
check_contains "status shows the failing check" "$status" "Failing"
check_like "status shows the open alert" "$status" "#[0-9]+ P2"

sqlite3 "$T_DIR/shop.db" "INSERT INTO orders(created_at) VALUES ('$(iso $((t0 + 90)))');"
out=$("$ACKBEAT" tick -c "$conf" --now "$(iso $((t0 + 120)))" 2>>"$T_DIR/tick3.err")
check_contains "third tick resolves the alert" "$out" "1 resolved"

# A function, so that wait_until runs the search on every poll (a $(...)
# in its arguments would be expanded once, before the first poll).
two_emails() { [ "$(imap_search alice "$pw" "HEADER X-Ackbeat-Check orders-$tag" | wc -w)" -ge 2 ]; }
wait_until 30 two_emails
uids=$(imap_search alice "$pw" "HEADER X-Ackbeat-Notice alert-resolved HEADER X-Ackbeat-Check orders-$tag")
check_eq "one resolved email" "$(wc -w <<<"$uids" | tr -d ' ')" 1
msg=$(imap_fetch alice "$pw" "$uids")
check_contains "the resolved email says so" "$(mail_header subject <<<"$msg")" "esolved"
check_eq "it threads under the first notice" "$(mail_header in-reply-to <<<"$msg")" "$first_id"

status=$("$ACKBEAT" status -c "$conf" --now "$(iso $((t0 + 120)))")
check_contains "status shows Healthy again" "$status" "Healthy"
alerts=$("$ACKBEAT" alerts -c "$conf" --all --json --now "$(iso $((t0 + 120)))")
check_like "the alert is resolved in the inbox" "$alerts" '"resolved": "[0-9T:-]+Z"'

# A config with mistakes: exit 2, every mistake with its line.
cat >"$T_DIR/bad.xml" <<EOF2
<ackbeat>
  <sources><sqlite name="shop" path="shop.db"/></sources>
  <checks>
    <freshness name="a" source="nowhere" table="t" column="c" max-age="1d"/>
    <freshness name="b" source="shop" table="t" column="c" max-age="soon"/>
  </checks>
</ackbeat>
EOF2
"$ACKBEAT" validate -c "$T_DIR/bad.xml" >"$T_DIR/bad.out" 2>&1
check_eq "validate exits 2 on a bad config" "$?" 2
check_contains "the first mistake, with its line" "$(cat "$T_DIR/bad.out")" "bad.xml:4: check a: source=\"nowhere\""
check_contains "the second mistake, with its line" "$(cat "$T_DIR/bad.out")" "bad.xml:5: "

done_testing
