#!/usr/bin/env bash
# deliver.sh - put a message into a test user's mailbox the way the world
# would: over SMTP to the stack's port 2525, no authentication needed for the
# stack's own domain.
#
# Usage: tests/stack/deliver.sh DIR RCPT [FILE|-] [FROM]
#   RCPT  a user name (alice) or a full address (heartbeat+tok@example.test);
#         several may be given separated by commas
#   FILE  an RFC 5322 message (default: stdin)
#   FROM  envelope sender (default: heartbeat@DOMAIN)
# Returns curl's exit status: 0 accepted, 55 refused at RCPT (unknown user,
# foreign domain), 7 nothing listening.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 4 ]; then
	sed -n '2,/^set -euo/{/^set -euo/d;/^# shellcheck/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit 2
fi
D=$1 rcpts=$2 file=${3:--} from=${4:-}
[ -r "$D/stack.env" ] || { echo "deliver.sh: no $D/stack.env: is the stack started?" >&2; exit 2; }
# shellcheck source=/dev/null
. "$D/stack.env"
[ -n "$from" ] || from=heartbeat@$ACKBEAT_STACK_DOMAIN

args=()
IFS=, read -r -a list <<<"$rcpts"
for r in "${list[@]}"; do
	[[ $r == *@* ]] || r=$r@$ACKBEAT_STACK_DOMAIN
	args+=(--mail-rcpt "$r")
done
# The URL path is the EHLO name: without one the curl tool would announce
# the upload's file name (pitfall 17a).
exec curl -sS "$ACKBEAT_STACK_SMTP_URL/client.test" --mail-from "$from" "${args[@]}" -T "$file"
