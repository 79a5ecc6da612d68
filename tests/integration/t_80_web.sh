#!/usr/bin/env bash
# t_80_web - the web server of `ackbeat run`, from the outside: a real
# headless Chromium loads the status page, the alert inbox and a check's
# page (screenshots in tests/artifacts/web-*.png, desktop and phone),
# types into the dismiss form and clicks its button, answering the basic
# auth challenge like a person; the alert is then dismissed in `ackbeat
# alerts --json`.  Then the API, pings, reports and metrics with curl, bad
# requests (a 10 MB body, bad JSON, ../ in a path, missing or wrong
# credentials) that get a 4xx while the server goes on, a reload and a
# clean stop.  Mail goes to a Maildir: no SMTP needed.
. "$AB_SRCDIR/tests/integration/lib.sh"

command -v curl >/dev/null || skip_all "curl is not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
command -v openssl >/dev/null || skip_all "openssl is not installed"
CHROMIUM=$(command -v chromium || true)
ART="$AB_SRCDIR/tests/artifacts"
mkdir -p "$ART"

# A free port of ours (18080-18099): nothing answers on it.
port=
for p in $(seq 18080 18099); do
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || skip_all "no free port in 18080-18099"
URL="http://127.0.0.1:$port"
TOKEN=tok-$(openssl rand -hex 16)
PING=etl-$(openssl rand -hex 12)
PASS='correct horse'

cd "$T_DIR" || exit 1
printf '%s\n' "$TOKEN" >token
openssl passwd -6 "$PASS" >pw.hash
cat >ackbeat.xml <<EOF2
<ackbeat name="Data office" timezone="UTC" tick="1m">
  <state path="state.db"/>
  <mail from="ackbeat@web.test" from-name="ackbeat" transport="maildir:out/Maildir"/>
  <web listen="127.0.0.1:$port" token-file="token" user="kim" password-hash-file="pw.hash"/>
  <recipients><person name="kim" email="kim@web.test" display="Kim Lee"/></recipients>
  <alerting notify="kim" repeat="24h"/>
  <!-- backup is pushed to (POST /report) and must not be run by a tick
       meanwhile, which would resolve its alert under the test's feet -->
  <schedule name="yearly" rrule="FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1;BYHOUR=3;BYMINUTE=0;BYSECOND=0"/>
  <sources><sqlite name="shop" path="shop.db"/></sources>
  <checks>
    <freshness name="orders-arriving" label="New orders keep arriving" source="shop"
               table="orders" column="created_at" max-age="1d" warn-age="12h"/>
    <sql name="queue-depth" label="Jobs waiting" source="shop" warn="50" crit="100">
      <query>SELECT COUNT(*) FROM jobs</query>
    </sql>
    <command name="backup" label="Nightly backup" command="/bin/true" schedule="yearly"/>
    <ping name="nightly-etl" label="Nightly ETL job" token="$PING" period="1d" grace="1h"/>
  </checks>
</ackbeat>
EOF2
sqlite3 shop.db "CREATE TABLE orders(id INTEGER PRIMARY KEY, created_at TEXT);
INSERT INTO orders(created_at) VALUES (datetime('now','-3 days'));
CREATE TABLE jobs(id INTEGER PRIMARY KEY);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<37) INSERT INTO jobs SELECT x FROM c;"
# A few days of pushed values, so the check's chart has something to draw.
for i in $(seq 24 -1 1); do
	v=$(((i * 37) % 90 + 10))
	s=Healthy
	[ $v -gt 50 ] && s=Degraded
	"$ACKBEAT" report -c ackbeat.xml queue-depth --status $s --value $v \
		--now "$(date -u -d "-$((i * 4)) hours" +%FT%TZ)" >/dev/null 2>&1
done

"$ACKBEAT" run -c ackbeat.xml >run.out 2>run.err &
pid=$!
at_exit "kill $pid 2>/dev/null"
check "the daemon listens on $URL" wait_until 15 curl -sf "$URL/healthz"
check "the stale orders opened an alert" wait_until 15 grep -q "alert .* opened: orders-arriving" run.err
alert_id() { # CHECK -> the id of its open alert
	"$ACKBEAT" alerts -c ackbeat.xml --json 2>/dev/null |
		python3 -c 'import json,sys; print(next((a["id"] for a in json.load(sys.stdin) if a["check"]==sys.argv[1]), ""))' "$1"
}
orders_id=$(alert_id orders-arriving)
check_like "its id is a number" "$orders_id" '^[0-9]+$'

# --- the browser ------------------------------------------------------------

status_code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
CHROME_FLAGS=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
	--disable-background-networking --disable-component-update --disable-sync
	--hide-scrollbars)
if [ -z "$CHROMIUM" ]; then
	skip "chromium pages and the form" "chromium is not installed (apt-get install chromium)"
else
	# Chromium's own command line: the DOM after load, and a screenshot.
	"$CHROMIUM" "${CHROME_FLAGS[@]}" --user-data-dir="$T_DIR/chrome1" --dump-dom "$URL/" \
		>status.html 2>chrome.err
	check_contains "chromium sees the failing check on the status page" \
		"$(cat status.html)" '<span class="pill failing">Failing</span>'
	check_contains "and the ping check" "$(cat status.html)" 'href="/checks/nightly-etl"'
	"$CHROMIUM" "${CHROME_FLAGS[@]}" --user-data-dir="$T_DIR/chrome2" --window-size=1280,1000 \
		--screenshot="$ART/web-status.png" "$URL/" >/dev/null 2>>chrome.err
	check "a screenshot of the status page ($ART/web-status.png)" test -s "$ART/web-status.png"
	"$CHROMIUM" "${CHROME_FLAGS[@]}" --user-data-dir="$T_DIR/chrome3" --dump-dom "$URL/alerts" \
		>alerts.html 2>>chrome.err
	check_contains "the alert inbox lists the alert with its form" "$(cat alerts.html)" \
		"action=\"/alerts/$orders_id/dismiss\""

	# Then as a person: look, type a name and a note, click Dismiss,
	# give the password when the browser asks for it.
	CDP_LOG=$T_DIR/cdp.err python3 "$AB_SRCDIR/tests/web/cdp.py" --chromium "$CHROMIUM" \
		--user kim --password "$PASS" \
		size 1280x900 \
		goto "$URL/" fullshot "$ART/web-status-full.png" \
		goto "$URL/checks/queue-depth" fullshot "$ART/web-check.png" \
		goto "$URL/alerts" fullshot "$ART/web-alerts.png" \
		size 390x844:mobile \
		goto "$URL/" fullshot "$ART/web-status-phone.png" \
		goto "$URL/alerts" shot "$ART/web-alerts-phone.png" \
		size 1280x900 \
		goto "$URL/alerts" \
		type "#alert-$orders_id input[name=by]" "Kim (browser)" \
		type "#alert-$orders_id input[name=note]" "restarting the shop's importer <b>now</b>" \
		click "#alert-$orders_id button" \
		expect-url "/alerts?done=$orders_id&act=dismissed" \
		expect-text "Alert #$orders_id dismissed." \
		fullshot "$ART/web-alerts-dismissed.png" >cdp.out 2>&1
	check "chromium filled in the form and clicked Dismiss" grep -q "^ok click" cdp.out ||
		diag "$(cat cdp.out)"
	check "it landed back on the inbox with a notice" grep -q "^ok expect-text" cdp.out
	json=$("$ACKBEAT" alerts -c ackbeat.xml --json 2>/dev/null)
	check_contains "ackbeat alerts --json: dismissed by the name typed" "$json" '"dismissed_by": "Kim (browser)"'
	check "the note is kept as typed" grep -q "restarting the shop's importer <b>now</b>" \
		<(sqlite3 state.db "SELECT dismiss_note FROM alerts WHERE id = $orders_id")
	check "and shown escaped" grep -q "restarting the shop&#39;s importer &lt;b&gt;now&lt;/b&gt;" \
		<(curl -s "$URL/alerts")
	for f in web-status web-status-full web-check web-alerts web-status-phone web-alerts-phone \
		web-alerts-dismissed; do
		check "screenshot $f.png" test -s "$ART/$f.png"
	done
fi

# The form without the browser: the CSRF token comes from the page.
curl -s -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	-d '{"status":"Failing","message":"disk full","value":91}' "$URL/report/backup" >report.json
check_contains "POST /report opens an alert on backup" "$(cat report.json)" '"recorded": 1'
backup_id=$(alert_id backup)
check_like "its alert is open" "$backup_id" '^[0-9]+$'
csrf=$(curl -s "$URL/alerts" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
check_like "the inbox carries a CSRF token" "$csrf" '^[0-9]+\.[0-9a-f]{40}$'
form=(--data-urlencode "csrf=$csrf" --data-urlencode "by=Lee" --data-urlencode "note=swapping the disk"
	--data-urlencode "until=4h")
check_eq "the form without credentials: 401" \
	"$(status_code -X POST "${form[@]}" "$URL/alerts/$backup_id/dismiss")" 401
check_eq "from another site's page: 403" \
	"$(status_code -u "kim:$PASS" -H 'Origin: http://evil.example' -X POST "${form[@]}" "$URL/alerts/$backup_id/dismiss")" 403
check_eq "with a forged token: 403" \
	"$(status_code -u "kim:$PASS" -X POST --data-urlencode "csrf=${csrf%.*}.0000000000000000000000000000000000000000" \
		--data-urlencode by=Lee "$URL/alerts/$backup_id/dismiss")" 403
check_eq "with the page's token and basic auth: 303" \
	"$(status_code -u "kim:$PASS" -H "Origin: $URL" -X POST "${form[@]}" "$URL/alerts/$backup_id/dismiss")" 303
check_contains "the alert is snoozed" "$("$ACKBEAT" alerts -c ackbeat.xml --json)" '"dismissed_by": "Lee"'

# --- API, pings, metrics -------------------------------------------------------

api=$(curl -s "$URL/api/checks")
check_contains "GET /api/checks lists the checks" "$api" '"name": "queue-depth"'
check_contains "with their status" "$api" '"status": "Failing"'
check_contains "GET /api/checks/NAME/runs" "$(curl -s "$URL/api/checks/queue-depth/runs?limit=3")" '"trigger":'
check_contains "GET /api/alerts" "$(curl -s "$URL/api/alerts")" "\"id\": $backup_id"
check_eq "GET /api/alerts/999999: 404" "$(status_code "$URL/api/alerts/999999")" 404

check_eq "ping start" "$(curl -s "$URL/ping/$PING/start")" OK
check_eq "ping success" "$(curl -s -X POST --data 'rows=120' "$URL/ping/$PING")" OK
check_contains "the ping check is Healthy" "$(curl -s "$URL/api/checks/nightly-etl")" '"status": "Healthy"'
check_eq "ping with exit code 2" "$(curl -s "$URL/ping/$PING/2")" OK
check_contains "now it is Failing" "$(curl -s "$URL/api/checks/nightly-etl")" 'exit code 2'
check "and the alert mail went out at once (the daemon was woken)" \
	wait_until 10 grep -rlq "nightly-etl" out/Maildir/new
check_eq "an unknown ping token: 404" "$(status_code "$URL/ping/etl-not-a-token-at-all")" 404
check_eq "exit code 256: 400" "$(status_code "$URL/ping/$PING/256")" 400

metrics=$(curl -s "$URL/metrics")
check_contains "metrics: status per check" "$metrics" 'ackbeat_check_status{check="orders-arriving",kind="freshness"} 2'
check_contains "metrics: outbox depth" "$metrics" 'ackbeat_outbox_messages{status="queued"}'
check_like "metrics: age of the last run" "$metrics" 'ackbeat_check_last_run_age_seconds\{check="queue-depth"\} [0-9]+'

# --- bad requests: a 4xx each, and the server goes on --------------------------

head -c $((10 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >big.json
check_eq "a 10 MB body: 413" "$(status_code -X POST -H "Authorization: Bearer $TOKEN" \
	-H 'Content-Type: application/json' --data-binary @big.json "$URL/report/backup")" 413
bad=$(curl -s -w '\n%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
	-H 'Content-Type: application/json' -d '{"status": "Failing",' "$URL/report/backup")
check_eq "bad JSON: 400" "${bad##*$'\n'}" 400
check_contains "with a JSON error" "$bad" '"error": "bad JSON'
check_eq "../ in a path: 400" "$(status_code --path-as-is "$URL/checks/../../etc/passwd")" 400
check_eq "encoded ../: 400" "$(status_code --path-as-is "$URL/checks/%2e%2e/%2e%2e/state.db")" 400
check_eq "odd characters: 400" "$(status_code --path-as-is "$URL/checks/a%20b%0a")" 400
check_eq "no token: 401" "$(status_code -X POST -H 'Content-Type: application/json' \
	-d '{"status":"Healthy"}' "$URL/report/backup")" 401
check_eq "a wrong token: 401" "$(status_code -X POST -H 'Authorization: Bearer nope-nope-nope-nope' \
	-H 'Content-Type: application/json' -d '{"status":"Healthy"}' "$URL/report/backup")" 401
check_eq "a wrong password: 401" "$(status_code -u kim:wrong -X POST -H 'Content-Type: application/json' \
	-d '{"by":"x"}' "$URL/api/alerts/$backup_id/dismiss")" 401
check_eq "not JSON: 415" "$(status_code -X POST -H "Authorization: Bearer $TOKEN" \
	-d 'status=Healthy' "$URL/report/backup")" 415
check_eq "an unknown page: 404" "$(status_code "$URL/nothing-here")" 404
check_eq "a wrong method: 405" "$(status_code -X DELETE "$URL/alerts")" 405
check_eq "after all that the server still answers" "$(curl -s "$URL/healthz")" ok
check "and the daemon is alive" kill -0 $pid

# --- reload and stop -------------------------------------------------------------

kill -HUP $pid
check "SIGHUP reloads" wait_until 30 grep -q "reloaded:" run.err
check_eq "the web server answers after the reload" "$(curl -s "$URL/healthz")" ok
check_contains "on the same model as before" "$(curl -s "$URL/api/checks")" '"name": "backup"'
kill -TERM $pid
wait $pid
check_eq "SIGTERM exits 0" "$?" 0
check_eq "the port is closed" "$(status_code "$URL/healthz")" 000
check "the state database is intact" test "$(sqlite3 state.db 'PRAGMA integrity_check')" = ok
done_testing
