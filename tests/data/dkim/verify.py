#!/usr/bin/python3
# verify.py - check a message's DKIM signature with python3-dkim, an
# implementation independent of the libopendkim that made it.  No DNS: the
# public key is handed to the verifier for SELECTOR._domainkey.DOMAIN only
# (any other name gets no record, so a wrong d= or s= fails).
#
#   verify.py MESSAGE PUBKEY_B64_FILE SELECTOR DOMAIN
#
# Line ends are made CRLF first, as a reader of a Unix mbox or Maildir
# does (DKIM is defined on the CRLF form).  Exit 0: verified; 3: not
# verified (the reason on stderr); 2: usage; anything else: the script or
# the module broke, which a test must not take for "not verified".
import sys

try:
    import dkim
except ImportError:
    sys.stderr.write("verify.py: python3-dkim is not installed\n")
    sys.exit(4)


def main():
    if len(sys.argv) != 5:
        sys.stderr.write(__doc__ or "usage: verify.py MESSAGE PUBKEY SELECTOR DOMAIN\n")
        return 2
    with open(sys.argv[1], "rb") as f:
        msg = f.read()
    with open(sys.argv[2], "rb") as f:
        pub = f.read().strip()
    want = ("%s._domainkey.%s" % (sys.argv[3], sys.argv[4])).encode().lower()
    msg = msg.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")

    def txt(name, timeout=5):
        if name.rstrip(b".").lower() == want:
            return b"v=DKIM1; k=rsa; p=" + pub
        return None

    class Log:
        def __init__(self):
            self.lines = []

        def _add(self, *a, **k):
            self.lines.append(" ".join(str(x) for x in a))

        debug = info = warning = error = _add

    log = Log()
    if dkim.verify(msg, logger=log, dnsfunc=txt):
        return 0
    sys.stderr.write("verify.py: not verified: %s\n" % "; ".join(log.lines[-3:]))
    return 3


sys.exit(main())
