#!/usr/bin/env bash
# t_00_stack.sh - the stack that the runner started really works: the three
# facts every other integration test builds on, then every check of
# tests/stack/selftest.sh, each reported on its own.
# shellcheck source-path=SCRIPTDIR
# The ACKBEAT_STACK_* variables come from the stack's stack.env.
# shellcheck disable=SC2154
# shellcheck source=lib.sh
. "$AB_SRCDIR/tests/integration/lib.sh"
# shellcheck source=../stack/selftest.sh
. "$AB_SRCDIR/tests/stack/selftest.sh"

[ -n "${ACKBEAT_STACK_DIR:-}" ] || skip_all "no stack (run through tests/integration/run)"
pw=$ACKBEAT_STACK_PASSWORD_alice

# 1. A message sent over SMTP arrives in alice's INBOX, Subject intact.
subject="t_00 $(date +%s%N) héllo"
make_message "heartbeat@$ACKBEAT_STACK_DOMAIN" "alice@$ACKBEAT_STACK_DOMAIN" "$subject" >"$T_DIR/msg.eml"
check "SMTP: heartbeat -> alice accepted" smtp_send heartbeat alice "$T_DIR/msg.eml"
uids=$(imap_wait_for alice "$pw" "SUBJECT \"${subject% *}\"" 30)
check_like "IMAP: it is in alice's INBOX" "$uids" '^[0-9]+$'
check_eq "IMAP: same Subject" "$(imap_fetch alice "$pw" "${uids:-0}" | mail_header subject)" "$subject"

# 2. ODBC reaches PostgreSQL.
if [ "${ACKBEAT_STACK_PG:-0}" = 1 ]; then
	check_eq "ODBC: SELECT 1+1 from PostgreSQL is 2" "$(odbc_query "$ACKBEAT_STACK_ODBC_PG" 'SELECT 1+1' 2>&1)" 2
else
	skip "ODBC: SELECT 1+1 from PostgreSQL" "ACKBEAT_STACK_PG=0"
fi

# 3. A bad password is refused (IMAP and SMTP AUTH).
check_exit "IMAP: bad password refused (curl 67)" 67 \
	curl -sS -u alice:wrong "$ACKBEAT_STACK_IMAP_URL/INBOX" -X NOOP
check_exit "SMTP AUTH: bad password refused (curl 67)" 67 \
	curl -sS -u alice:wrong --ssl-reqd --cacert "$ACKBEAT_STACK_CA" "$ACKBEAT_STACK_SUBMISSION_URL/client.test" \
	--mail-from "alice@$ACKBEAT_STACK_DOMAIN" --mail-rcpt "bob@$ACKBEAT_STACK_DOMAIN" -T "$T_DIR/msg.eml"

stack_selftest
done_testing
