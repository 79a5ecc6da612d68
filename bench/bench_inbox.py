#!/usr/bin/env python3
"""bench_inbox.py - the baseline for bench/bench_inbox.sh: the same folder
read with imaplib (one batched UID FETCH 1:* (BODY.PEEK[]) per 500, one
connection), parsed with the email package, and classified the same way
in spirit (bounce: multipart/report or mailer-daemon; auto-reply: RFC 3834
headers and subjects; ack: a token in the plus address, In-Reply-To,
References, subject or body).  Nothing is stored.

usage: bench_inbox.py HOST PORT USER PASSWORD FOLDER
prints: messages=N seconds=S rss_kb=K ack=N autoreply=N bounce=N
"""
import email, email.policy, imaplib, re, resource, sys, time

TOKEN = re.compile(r"(?<![A-Za-z0-9])([a-z2-7]{25}[aeimquy4])(?![A-Za-z0-9])", re.I)
AUTO_SUBJ = re.compile(r"^\s*(automatic reply|automatische antwort|auto:|out of office|"
                       r"abwesenheitsnotiz|absence du bureau|respuesta autom|自动回复)", re.I)

def classify(raw):
    m = email.message_from_bytes(raw, policy=email.policy.default)
    ctype = m.get_content_type()
    frm = str(m.get("From", "")).lower()
    if (ctype == "multipart/report" and m.get_param("report-type") == "delivery-status") \
            or "mailer-daemon" in frm:
        return "bounce"
    a = str(m.get("Auto-Submitted", "no")).split(";")[0].strip().lower()
    if a != "no" or m.get("X-Autoreply") or m.get("X-Autorespond") \
            or str(m.get("Precedence", "")).lower() in ("auto_reply", "junk") \
            or AUTO_SUBJ.search(str(m.get("Subject", ""))):
        return "autoreply"
    where = " ".join(str(m.get(h, "")) for h in ("To", "Cc", "In-Reply-To", "References", "Subject"))
    body = m.get_body(preferencelist=("plain", "html"))
    if body is not None:
        try:
            where += " " + body.get_content()
        except Exception:
            pass
    return "ack" if TOKEN.search(where) else "unrelated"

def main():
    host, port, user, pw, folder = sys.argv[1:6]
    t0 = time.monotonic()
    im = imaplib.IMAP4(host, int(port))
    im.login(user, pw)
    im.select('"%s"' % folder)
    typ, data = im.uid("SEARCH", None, "ALL")
    uids = data[0].split()
    counts = {}
    for i in range(0, len(uids), 500):
        chunk = uids[i:i + 500]
        typ, data = im.uid("FETCH", b"%s:%s" % (chunk[0], chunk[-1]), "(UID BODY.PEEK[])")
        for part in data:
            if isinstance(part, tuple):
                c = classify(part[1])
                counts[c] = counts.get(c, 0) + 1
    im.logout()
    secs = time.monotonic() - t0
    n = sum(counts.values())
    print("messages=%d seconds=%.3f rss_kb=%d ack=%d autoreply=%d bounce=%d" % (
        n, secs, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        counts.get("ack", 0), counts.get("autoreply", 0), counts.get("bounce", 0)))

if __name__ == "__main__":
    main()
