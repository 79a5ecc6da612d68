#!/usr/bin/env bash
# t_51_dkim - DKIM signing (<mail dkim-domain= dkim-selector= dkim-key=>)
# checked by an independent verifier, python3-dkim
# (tests/data/dkim/verify.py), with the public key handed to it directly
# (no DNS):
#
#  1. `ackbeat send-test` over SMTP to the real Postfix, delivered by
#     Dovecot, fetched over IMAP: Received:, Return-Path: and Delivered-To:
#     are above our DKIM-Signature and relaxed/relaxed still verifies; a
#     changed body does not;
#  2. the same through the maildir: transport (LF line ends, Return-Path
#     added): verifies;
#  3. validate: the key path is relative to the config file; a key
#     readable by others is a warning, a missing or EC key and an
#     incomplete dkim-* set are errors, all naming FILE:LINE.
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2154 # ACKBEAT_STACK_* come from stack.env
. "$AB_SRCDIR/tests/integration/lib.sh"

[ -n "${ACKBEAT_STACK_DIR:-}" ] || skip_all "no stack (run through tests/integration/run)"
command -v openssl >/dev/null || skip_all "openssl is not installed"
/usr/bin/python3 -c 'import dkim' 2>/dev/null || skip_all "python3-dkim is not installed"

cd "$T_DIR" || exit 1
run=t51-$$-$RANDOM
verify=$AB_SRCDIR/tests/data/dkim/verify.py
pw=$ACKBEAT_STACK_PASSWORD_alice

mkdir keys
openssl genrsa -out keys/dkim.key 2048 2>/dev/null && chmod 600 keys/dkim.key
openssl rsa -in keys/dkim.key -pubout -outform DER 2>/dev/null | base64 -w0 >dkim.pub
check "a test key was made" test -s dkim.pub

# conf FILE TRANSPORT [DKIM_ATTRS]
conf() {
	local attrs=${3-'dkim-domain="example.test" dkim-selector="s1" dkim-key="keys/dkim.key"'}
	cat >"$1" <<EOF
<ackbeat name="dkim $run" timezone="UTC" tick="1m">
  <state path="state-${1%.xml}.db"/>
  <mail from="ackbeat@example.test" transport="$2" tls="opportunistic" ca-file="$ACKBEAT_STACK_CA" timeout="20s"
        $attrs/>
  <recipients><person name="alice" email="alice@example.test"/></recipients>
  <alerting notify="alice"/>
  <checks><ping name="p" period="1d"/></checks>
</ackbeat>
EOF
}

# --- 1. through Postfix and Dovecot ------------------------------------------
conf smtp.xml "smtp://127.0.0.1:$ACKBEAT_STACK_SMTP_PORT"
"$ACKBEAT" validate -c smtp.xml >validate.out 2>validate.err
check_eq "validate accepts the dkim-* config" "$?" 0
check_eq "validate warns about nothing" "$(cat validate.err)" ""

"$ACKBEAT" send-test -c smtp.xml --to alice@example.test >send.out 2>send.err
check_eq "send-test over SMTP succeeds" "$?" 0
msgid=$(sed -n 's/^queued \(<[^>]*>\).*/\1/p' send.out)
check_like "send-test names the Message-ID" "$msgid" '^<.+@example\.test>$'
if uids=$(imap_wait_for alice "$pw" "HEADER Message-ID \"$msgid\"" 20); then
	imap_fetch alice "$pw" "${uids%% *}" >smtp.eml
	ok "the message arrived in alice's INBOX"
else
	not_ok "the message arrived in alice's INBOX" "$(cat send.out send.err)"
	: >smtp.eml
fi
first=$(grep -m1 -n -i '^DKIM-Signature:' smtp.eml | cut -d: -f1)
recv=$(grep -m1 -n -i '^Received:' smtp.eml | cut -d: -f1)
check_like "it carries a DKIM-Signature" "${first:-none}" '^[0-9]+$'
check "the servers' headers are above it" test "${recv:-999}" -lt "${first:-0}"
sig=$(mail_header dkim-signature smtp.eml)
check_contains "a=rsa-sha256" "$sig" "a=rsa-sha256"
check_contains "c=relaxed/relaxed" "$sig" "c=relaxed/relaxed"
check_contains "d= and s= as configured" "$sig" "d=example.test; s=s1"
/usr/bin/python3 "$verify" smtp.eml dkim.pub s1 example.test 2>verify1.err
check_eq "python3-dkim verifies the delivered message" "$?" 0
[ -s verify1.err ] && diag "$(cat verify1.err)"

# The body changed after signing: the verifier must notice.
sed 's/^This is a test message/This is a changed message/' smtp.eml >tampered.eml
check_fails "the test changed the body" cmp -s smtp.eml tampered.eml
/usr/bin/python3 "$verify" tampered.eml dkim.pub s1 example.test 2>/dev/null
check_eq "a changed body does not verify" "$?" 3

# --- 2. the maildir: transport ---------------------------------------------------
conf md.xml "maildir:out"
"$ACKBEAT" send-test -c md.xml --to alice@example.test >send2.out 2>send2.err
check_eq "send-test into a Maildir succeeds" "$?" 0
f=$(find out/new -type f | head -n 1)
check "a file was delivered" test -n "$f"
check_eq "Return-Path first, then our signature" \
	"$(head -n 2 "${f:-/dev/null}" | cut -d: -f1 | tr '\n' ' ')" "Return-Path DKIM-Signature "
/usr/bin/python3 "$verify" "${f:-/dev/null}" dkim.pub s1 example.test 2>verify2.err
check_eq "python3-dkim verifies the Maildir file" "$?" 0
[ -s verify2.err ] && diag "$(cat verify2.err)"

# --- 3. validate ---------------------------------------------------------------------
chmod 644 keys/dkim.key
"$ACKBEAT" validate -c md.xml >/dev/null 2>v.err
check_eq "a key readable by others is only a warning" "$?" 0
check_contains "the warning names FILE:LINE and the key" "$(cat v.err)" \
	"md.xml:4: warning: dkim-key=\"$T_DIR/keys/dkim.key\" is readable by every user"
chmod 600 keys/dkim.key

conf missing.xml "maildir:out" 'dkim-domain="example.test" dkim-selector="s1" dkim-key="keys/none.key"'
"$ACKBEAT" validate -c missing.xml >/dev/null 2>v.err
check_fails "a missing key is refused" test "$?" -eq 0
check_contains "naming FILE:LINE" "$(cat v.err)" "missing.xml:4: dkim-key=\"$T_DIR/keys/none.key\": No such file"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out keys/ec.key 2>/dev/null
chmod 600 keys/ec.key
conf ec.xml "maildir:out" 'dkim-domain="example.test" dkim-selector="s1" dkim-key="keys/ec.key"'
"$ACKBEAT" validate -c ec.xml >/dev/null 2>v.err
check_fails "an EC key is refused" test "$?" -eq 0
check_contains "as not RSA, naming FILE:LINE" "$(cat v.err)" "ec.xml:4: dkim-key=\"$T_DIR/keys/ec.key\": not an RSA private key"

conf half.xml "maildir:out" 'dkim-domain="example.test" dkim-key="keys/dkim.key"'
"$ACKBEAT" validate -c half.xml >/dev/null 2>v.err
check_fails "dkim-* without a selector is refused" test "$?" -eq 0
check_contains "naming FILE:LINE" "$(cat v.err)" "half.xml:4: mail: dkim-domain=, dkim-selector= and dkim-key= go together (dkim-selector= missing)"

done_testing
