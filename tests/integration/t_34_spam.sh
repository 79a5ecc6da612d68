#!/usr/bin/env bash
# t_34_spam - deliverability (seed 000: heartbeats "going to spam"): every
# default message, made by the real code path (`ackbeat tick --now ...`,
# `send`, `send-test`, a reply command through the inbox) into a maildir:
# transport, is scored by SpamAssassin with local tests only
# (`spamassassin -L -t`, no network), all of them in one process (an
# mbox: SpamAssassin takes ~3 s to start), and each must score at most 0.
# The score of each is printed as a note.  Mail goes to a Maildir and the
# inbox is one: no stack needed.
. "$AB_SRCDIR/tests/integration/lib.sh"

command -v spamassassin >/dev/null || skip_all "spamassassin is not installed"

cd "$T_DIR" || exit 1
mkdir -p in/new in/cur in/tmp
echo 1 >state # the check's exit status: 1 Degraded, 2 Failing, 0 Healthy
printf '#!/bin/sh\necho "disk: see state"\nexit $(cat %s/state)\n' "$T_DIR" >disk.sh
chmod +x disk.sh
cat >ackbeat.xml <<EOF
<ackbeat name="Data office" timezone="UTC" tick="1m">
  <state path="state.db"/>
  <mail from="ackbeat@example.org" from-name="ackbeat" transport="maildir:out"/>
  <inbox url="maildir:in" reply-address="heartbeat@example.org"/>
  <recipients>
    <person name="kim" email="kim@example.org" display="Kim Lee"/>
    <person name="bo" email="bo@example.org" display="Bo Boss"/>
  </recipients>
  <alerting notify="kim" repeat="1h" escalate-after="2h" escalate-to="bo" digest-at="09:00"/>
  <checks>
    <command name="disk" label="Disk space on the data server" command="$T_DIR/disk.sh"/>
    <heartbeat name="monthly" label="Monthly enrolment upload" to="kim" grace="2d" reminder="1d"/>
  </checks>
</ackbeat>
EOF
tick() { "$ACKBEAT" tick -c ackbeat.xml --now "$1" >>tick.log 2>&1; }
tick 2026-12-01T08:00:00Z                                   # Degraded: opened
echo 2 >state && tick 2026-12-01T08:10:00Z                  # Failing: worse
"$ACKBEAT" send -c ackbeat.xml monthly --now 2026-12-01T08:20:00Z >>tick.log 2>&1
tick 2026-12-01T09:00:00Z                                   # digest
tick 2026-12-01T09:15:00Z                                   # repeated
tick 2026-12-01T10:15:00Z                                   # escalated

# Kim dismisses the disk alert by replying to its notice: alert-command.
notice=$(grep -l '^X-Ackbeat-Notice: alert-opened' out/new/* | head -n 1)
msgid=$(sed -n 's/^Message-I[dD]: *//p' "$notice" | head -n 1 | tr -d '\r')
replyto=$(sed -n 's/^Reply-To: *//p' "$notice" | head -n 1 | tr -d '\r')
cat >in/new/1.eml <<EOF
From: Kim Lee <kim@example.org>
To: $replyto
Subject: Re: alert
Date: Tue, 01 Dec 2026 10:30:00 +0000
Message-ID: <reply-dismiss@example.org>
In-Reply-To: $msgid
References: $msgid

dismiss - known, the new disk comes on Friday
EOF
tick 2026-12-01T10:31:00Z
# Resolved on its own (a second notice for kim in the same tick would
# make the two one digest).
echo 0 >state && tick 2026-12-01T11:00:00Z
tick 2026-12-02T08:30:00Z                                   # heartbeat reminder
tick 2026-12-03T08:30:00Z                                   # nobody confirmed
# Two notices for kim in one tick (disk fails again while the heartbeat's
# alert repeats): one digest.
echo 2 >state && tick 2026-12-03T10:00:00Z
"$ACKBEAT" send-test -c ackbeat.xml --to kim@example.org --now 2026-12-03T09:40:00Z >>tick.log 2>&1

kinds=$(cat out/new/* | sed -n 's/^X-Ackbeat-Notice: *//p' | tr -d '\r' | sort -u | tr '\n' ' ')
diag "messages made: $(ls out/new | wc -l); kinds: $kinds"
for k in heartbeat-request heartbeat-reminder nobody-confirmed alert-opened alert-worse \
	alert-repeated alert-escalated alert-resolved alert-command digest; do
	case " $kinds " in
	*" $k "*) ok "a $k message was made" ;;
	*) not_ok "a $k message was made" "kinds seen: $kinds" "$(tail -n 20 tick.log)" ;;
	esac
done

# One SpamAssassin process for all: an mbox, each message under a From_ line.
for f in out/new/*; do
	printf 'From ackbeat@example.org Thu Dec  3 09:40:00 2026\n'
	sed 's/^\(>*From \)/>\1/' "$f"
	printf '\n'
done >all.mbox
t0=$SECONDS
spamassassin -L -t --mbox <all.mbox >scored.mbox 2>sa.err
diag "spamassassin -L -t on $(ls out/new | wc -l) messages: $((SECONDS - t0)) s"
# Each scored message: its notice kind (or send-test) and its score.
python3 - scored.mbox >scores.txt <<'PY'
import mailbox, re, sys
for m in mailbox.mbox(sys.argv[1]):
    kind = (m.get("X-Ackbeat-Notice") or "send-test").strip()
    st = re.sub(r"\s+", " ", m.get("X-Spam-Status") or "")
    sc = re.search(r"score=(-?[0-9.]+)", st)
    tests = re.search(r"tests=(\S+)", st)
    print("%s\t%s\t%s" % (kind, sc.group(1) if sc else "none", tests.group(1) if tests else ""))
PY
check_eq "every message was scored" "$(wc -l <scores.txt)" "$(ls out/new | wc -l)"
while IFS=$'\t' read -r kind score tests; do
	if [ "$score" != none ] && awk -v s="$score" 'BEGIN { exit !(s <= 0) }'; then
		ok "spam score of $kind is $score (at most 0)"
	else
		not_ok "spam score of $kind is $score (at most 0)" "tests: $tests"
	fi
	diag "$kind: score $score ($tests)"
done <scores.txt
done_testing
