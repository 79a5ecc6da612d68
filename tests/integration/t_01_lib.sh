#!/usr/bin/env bash
# t_01_lib.sh - lib.sh's own helpers do what they promise, against the
# real stack: the assertions (including how they fail), the message
# helpers, SMTP sending, the IMAP helpers (imap_fetch must leave mail
# unseen and return it byte for byte), maildir_count and odbc_query.
# shellcheck source-path=SCRIPTDIR
# The ACKBEAT_STACK_* variables come from the stack's stack.env.
# shellcheck disable=SC2154
# shellcheck source=lib.sh
. "$AB_SRCDIR/tests/integration/lib.sh"

[ -n "${ACKBEAT_STACK_DIR:-}" ] || skip_all "no stack (run through tests/integration/run)"
d=$ACKBEAT_STACK_DOMAIN
apw=$ACKBEAT_STACK_PASSWORD_alice
bpw=$ACKBEAT_STACK_PASSWORD_bob
tok=lib$(date +%s%N)

# --- assertions: run in a subshell with fresh counters, so that their
# "not ok" lines stay out of this test's own report ---
fresh() {
	_ab_n=0 _ab_failed=0 _ab_skipped=0
	"$@"
}
out=$(fresh check_eq "x" a b) && st=0 || st=$?
check_like "check_eq on a mismatch prints not ok, got and expected" "$out" $'^not ok 1 - x\n#      got: .a.\n# expected: .b.$'
check_eq "check_eq on a mismatch returns 1" "$st" 1
out=$(fresh check "y" sh -c 'echo boom; exit 3') && st=0 || st=$?
check_like "check on a failing command shows its status and output" "$out" $'^not ok 1 - y\n# command: sh -c .*\n# exit status: 3\n# output: boom$'
out=$(fresh check_exit "z" 3 sh -c 'exit 3') && st=0 || st=$?
check_eq "check_exit with the expected status passes" "$out:$st" "ok 1 - z:0"
out=$(fresh check_fails "f" true) && st=0 || st=$?
check_like "check_fails on a command that succeeds fails" "$out:$st" '^not ok 1 - f.*:1$'
out=$(fresh check_contains "c" "haystack" "needle") && st=0 || st=$?
check_like "check_contains without the needle fails" "$out:$st" '^not ok 1 - c.*:1$'
out=$(fresh skip "s" "why")
check_eq "skip prints an ok line with a SKIP directive" "$out" "ok 1 - s # SKIP why"
out=$(fresh ok a; not_ok b "diag line"; done_testing) && st=0 || st=$?
check_eq "done_testing prints the plan and exits 1 after a failure" "$out:$st" \
	$'ok 1 - a\nnot ok 2 - b\n# diag line\n1..2\n# failed 1 of 2:1'
out=$(fresh skip_all "nothing to do") && st=0 || st=$?
check_eq "skip_all exits 77 with a skip plan" "$out:$st" "1..0 # SKIP nothing to do:77"
out=$(bash -c '. "$1"; at_exit "echo first"; at_exit "echo second"; exit 3' sh "$AB_SRCDIR/tests/integration/lib.sh") && st=0 || st=$?
check_eq "at_exit runs the commands latest first, keeping the exit status" "$out:$st" $'second\nfirst:3'
check "wait_until returns once the command succeeds" wait_until 5 test -e /
t0=$EPOCHREALTIME
check_fails "wait_until gives up" wait_until 1 false
ms=$(((${EPOCHREALTIME/[.,]/} - ${t0/[.,]/}) / 1000))
check_like "... after about its timeout (${ms} ms)" "$((ms >= 900 && ms < 2500))" '^1$'

# --- message helpers ---
make_message "heartbeat@$d" "alice@$d, bob@$d" "lib $tok" $'line one\nA004 OK not a tagged reply' >"$T_DIR/m.eml"
# shellcheck disable=SC2016 # $1 is for the inner sh
check "make_message ends every line with CRLF" \
	sh -c '! LC_ALL=C grep -q -v "$(printf "\r")\$" "$1"' sh "$T_DIR/m.eml"
check_eq "mail_header reads a header, case-insensitively" "$(mail_header SUBJECT "$T_DIR/m.eml")" "lib $tok"
check_like "make_message adds a Message-ID" "$(mail_header message-id <"$T_DIR/m.eml")" '^<[^@ ]+@client\.test>$'
printf 'Subject: a\r\n  folded\r\nX-Other: b\r\n\r\nSubject: body\r\n' >"$T_DIR/folded.eml"
check_eq "mail_header unfolds continuation lines" "$(mail_header subject "$T_DIR/folded.eml")" "a folded"
check_fails "mail_header fails for a missing header (and ignores the body)" mail_header x-missing "$T_DIR/folded.eml"

# --- SMTP and IMAP ---
a0=$(imap_count alice "$apw")
b0=$(imap_count bob "$bpw")
check_like "imap_count prints a number" "$a0" '^[0-9]+$'
check "smtp_send to two recipients (bare names get the domain)" smtp_send heartbeat "alice,bob" "$T_DIR/m.eml"
check_exit "smtp_send returns curl's 55 for an unknown user" 55 smtp_send heartbeat nobody "$T_DIR/m.eml"
auids=$(imap_wait_for alice "$apw" "SUBJECT \"lib $tok\"" 30)
check_like "imap_wait_for prints the UID once the message is there" "$auids" '^[0-9]+$'
check "imap_wait_for: bob got it too" imap_wait_for bob "$bpw" "SUBJECT \"lib $tok\"" 30
check_eq "imap_count went up by one for alice" "$(imap_count alice "$apw")" "$((a0 + 1))"
check_eq "imap_count went up by one for bob" "$(imap_count bob "$bpw")" "$((b0 + 1))"
check_eq "maildir_count agrees with imap_count" \
	"$(maildir_count "$ACKBEAT_STACK_MAILDIR_alice")" "$(imap_count alice "$apw")"
t0=$EPOCHREALTIME
imap_wait_for alice "$apw" "SUBJECT \"never-$tok\"" 1 >"$T_DIR/none" && st=0 || st=$?
ms=$(((${EPOCHREALTIME/[.,]/} - ${t0/[.,]/}) / 1000))
check_eq "imap_wait_for returns 1 and prints nothing on timeout" "$st:$(cat "$T_DIR/none")" "1:"
check_like "... after about its timeout (${ms} ms)" "$((ms >= 900 && ms < 2500))" '^1$'
check_eq "imap_search prints nothing when nothing matches" "$(imap_search alice "$apw" "SUBJECT \"never-$tok\"")" ""

uid=${auids%% *}
imap_fetch alice "$apw" "${uid:-0}" >"$T_DIR/fetched.eml"
check_eq "imap_fetch: the Subject is intact" "$(mail_header subject "$T_DIR/fetched.eml")" "lib $tok"
check_eq "imap_fetch: the message stays unseen" "$(imap_flags alice "$apw" "${uid:-0}")" ""
f=$(grep -l "lib $tok" "$ACKBEAT_STACK_MAILDIR_alice"/new/* "$ACKBEAT_STACK_MAILDIR_alice"/cur/* 2>/dev/null | head -n1)
# Dovecot stores LF line ends and serves CRLF.
check "imap_fetch: byte for byte the stored message (LF -> CRLF)" \
	cmp "$T_DIR/fetched.eml" <(sed 's/$/\r/' "$f")
check_contains "imap_fetch: a body line that looks like a tagged reply is data" \
	"$(cat "$T_DIR/fetched.eml")" "A004 OK not a tagged reply"
check_exit "imap_fetch: a bad password fails with 67" 67 imap_fetch alice wrong "${uid:-0}"
check_fails "imap_fetch: a UID that does not exist fails" imap_fetch alice "$apw" 999999

# A 60 kB message with 8-bit bytes and lines that look like protocol. Its
# lines stay under 998 bytes: Postfix folds longer ones when it delivers.
{
	printf 'From: heartbeat@%s\r\nTo: bob@%s\r\nSubject: big %s\r\n\r\n' "$d" "$d" "$tok"
	x=$(head -c 990 /dev/zero | tr '\0' x)
	for ((i = 0; i < 60; i++)); do printf '%s\r\n' "$x"; done
	printf ')\r\nA003 OK fake\r\n\xc3\xa9t\xc3\xa9\r\n'
} >"$T_DIR/big.eml"
check "smtp_send a 60 kB message" smtp_send heartbeat bob "$T_DIR/big.eml"
buid=$(imap_wait_for bob "$bpw" "SUBJECT \"big $tok\"" 30)
imap_fetch bob "$bpw" "${buid:-0}" >"$T_DIR/big.fetched"
check_eq "imap_fetch: the body of a 60 kB message comes back unchanged" \
	"$(sed '1,/^\r$/d' "$T_DIR/big.fetched" | md5sum)" "$(sed '1,/^\r$/d' "$T_DIR/big.eml" | md5sum)"

check "imap_flags after UID STORE +FLAGS" \
	curl -sS -u "bob:$bpw" "$ACKBEAT_STACK_IMAP_URL/INBOX" -X "UID STORE ${buid:-0} +FLAGS (\\Flagged)"
check_eq "imap_flags shows the new flag" "$(imap_flags bob "$bpw" "${buid:-0}")" '\Flagged'
check_like "imap_raw prints the untagged reply with its literal" \
	"$(imap_raw bob "$bpw" INBOX "UID FETCH ${buid:-0} (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")" \
	"^\\* [0-9]+ FETCH \\(UID ${buid:-0} BODY\\[HEADER.FIELDS \\(SUBJECT\\)\\] \\{[0-9]+\\}"$'\r\n'"Subject: big $tok"

# deliver.sh is the same thing as a command.
make_message "heartbeat@$d" "heartbeat+$tok@$d" "deliver $tok" >"$T_DIR/deliver.eml"
check "tests/stack/deliver.sh to a plus address" \
	"$AB_SRCDIR/tests/stack/deliver.sh" "$ACKBEAT_STACK_DIR" "heartbeat+$tok@$d" "$T_DIR/deliver.eml"
check "... arrives in heartbeat's INBOX" \
	imap_wait_for heartbeat "$ACKBEAT_STACK_PASSWORD_heartbeat" "SUBJECT \"deliver $tok\"" 30

# --- ODBC ---
check_eq "odbc_query: tab-separated fields from SQLite" \
	"$(odbc_query "$ACKBEAT_STACK_ODBC_SQLITE" "SELECT 1, 'a b'" 2>&1)" $'1\ta b'
check_fails "odbc_query: an SQL error is a failure (isql itself exits 0)" \
	odbc_query "$ACKBEAT_STACK_ODBC_SQLITE" "SELECT * FROM no_such_table"
if [ "${ACKBEAT_STACK_PG:-0}" = 1 ]; then
	check_eq "odbc_query: several rows from PostgreSQL" \
		"$(odbc_query "$ACKBEAT_STACK_ODBC_PG" "SELECT generate_series(1,3)" 2>&1)" $'1\n2\n3'
else
	skip "odbc_query: several rows from PostgreSQL" "ACKBEAT_STACK_PG=0"
fi

done_testing
