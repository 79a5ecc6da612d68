/*
 * inbox_int.h - private to inbox/: text helpers, the bounce and auto-reply
 * detectors, the IMAP response scanner and the reader vtable.
 */
#ifndef AB_INBOX_INT_H
#define AB_INBOX_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_buf.h"
#include "inbox/inbox.h"

/* ---- inbox_text.c: plain text from HTML, RFC 3676, quotes, charsets ---- */

/* HTML to plain text; lines inside <blockquote> get "> ".  Caller frees. */
char *inbox_html_to_text(const char *html, size_t len);
/* Undo format=flowed (RFC 3676 4.1-4.4); a new string, caller frees. */
char *inbox_flowed_unwrap(const char *text, int delsp);
/* Bytes in charset to UTF-8; invalid or unknown charsets fall back to
 * UTF-8 if the bytes are valid UTF-8, else Windows-1252.  NUL bytes
 * become spaces.  Caller frees. */
char *inbox_to_utf8(const char *in, size_t len, const char *charset);
/*
 * Length of the new text of a reply: everything above the first quoted
 * line ("> ..."), attribution ("On ... wrote:", "-----Original
 * Message-----", Outlook's "From: ... Sent: ..." block) or signature
 * ("-- ").  Returns strlen(text) when there is no quote.
 */
size_t inbox_new_text_len(const char *text);
/* ASCII case-insensitive prefix test. */
int inbox_starts_with_ci(const char *s, const char *prefix);
/* Case-insensitive substring (ASCII folding, UTF-8 bytes match as is). */
const char *inbox_strcasestr(const char *hay, const char *needle);

/* ---- inbox_bounce.c: is it a bounce; RFC 3464 DSNs ---- */

struct inbox_bounce {
    int is_bounce;
    int delay;          /* only delay warnings */
    struct inbox_bounced *rcpts; /* failed (or delayed) recipients, owned */
    size_t nrcpts;
    const char *reason; /* static text: the layout and the outcome,
                           "DSN: delivery failed", "Exim: delivery delayed" */
};
enum ab_err inbox_bounce_detect(const struct inbox_msg *m, struct inbox_bounce *b);

/* ---- inbox_bounce_rcpts.c: the addresses a bounce names ---- */

void inbox_bounce_free(struct inbox_bounce *b);
/* Free the members of one inbox_bounced. */
void inbox_bounced_clear(struct inbox_bounced *r);
/* Add addr (n bytes, "<>" and quotes trimmed, lower-cased) unless it is
 * there already; *idx (may be NULL) is its index, or -1 when not valid. */
enum ab_err inbox_bounce_add(struct inbox_bounce *b, const char *addr, size_t n,
                             long *idx);

/* ---- inbox_bounce_notice.c: a notice's lines, their addresses ---- */

/* One line of a notice (inbox_bounce_notice.c splits, inbox_bounce_text.c
 * and inbox_bounce_reason.c read). */
struct inbox_bline {
    const char *p;
    size_t n;      /* without the line end */
    int indent;    /* leading spaces and tabs */
};
/* The notice: the lines of m->text above an inline returned message. */
struct inbox_notice {
    struct inbox_bline *v; /* owned: ab_free() */
    size_t n;
    size_t len;    /* bytes of m->text that are the notice */
};
/* Split text into the lines of its notice, up to an inline returned
 * message (nt->len says how far); nt->v is the caller's to ab_free(), also
 * on AB_ENOMEM. */
enum ab_err inbox_bounce_notice_split(const char *text, struct inbox_notice *nt);
/* Does p[0..n) contain one of the NULL-terminated list (ASCII
 * case-insensitive)? */
int inbox_bounce_any_in(const char *p, size_t n, const char *const *list);
/* The next address in p[0..n) from *pos (advanced): its length and
 * *start; 0 when there is none. */
size_t inbox_bounce_next_addr(const char *p, size_t n, size_t *pos, const char **start);
/* A line quoting headers or our own SMTP commands: never a failed
 * address nor its reason. */
int inbox_bounce_skip_line(const struct inbox_bline *l);

/* ---- inbox_bounce_text.c: bounces written as prose, who failed ---- */

/* For inbox_bounce.c: the bounces written as prose.  Each returns AB_OK or
 * AB_ENOMEM. */
enum ab_err inbox_bounce_text(const struct inbox_msg *m, struct inbox_bounce *b);
/* Recipients found in the prose of a DSN's text part lend what their
 * DSN block lacks: the forwarding original, the reason, the status. */
enum ab_err inbox_bounce_text_fill(const struct inbox_msg *m, struct inbox_bounce *b);

/* ---- inbox_bounce_reason.c: why each address failed, as one line ---- */

/* Give every recipient of b without a reason the best one of notice nt,
 * and a status from it when it has none.  AB_OK or AB_ENOMEM. */
enum ab_err inbox_bounce_fill_reasons(const struct inbox_notice *nt, struct inbox_bounce *b);
/* Diagnostic text as one short line (see inbox_bounce_reason.c), or NULL. */
enum ab_err inbox_bounce_oneline(const char *s, size_t n, int strip_type, char **out);
/* The first enhanced status code "5.1.1" in s, or NULL (*out). */
enum ab_err inbox_bounce_status_in(const char *s, char **out);

/* ---- inbox_autoreply.c: RFC 3834 and vendor markers ---- */

/* Non-zero when m is an automatic reply; *why names the marker (static). */
int inbox_autoreply_detect(const struct inbox_msg *m, const char **why);
/* The same without the Auto-Submitted header: the markers only replies
 * carry (a responder's subject, vendor headers, Precedence). */
int inbox_autoreply_marked(const struct inbox_msg *m, const char **why);

/* ---- inbox_candidates.c: the tokens a message might be about ---- */

struct inbox_cand {
    char tok[AB_TOKEN_LEN + 1];
    enum inbox_via via;  /* where it was first found */
    int strong;          /* written where only ackbeat writes tokens */
    int issued;          /* after inbox_cands_lookup: 1, 0, -1 unknown */
    struct inbox_issued is; /* when issued */
};
/* A growable list, zero-initialised; in the order added = believed. */
struct inbox_cands {
    struct inbox_cand *v;
    size_t n, cap;
    int nomem; /* an add failed: inbox_cands_lookup reports AB_ENOMEM */
};
void inbox_cands_add(struct inbox_cands *c, const char *tok, enum inbox_via via,
                     int strong);
void inbox_cands_free(struct inbox_cands *c);
/* Every well-formed token in text (strong when written "hb."/"+...@",
 * or always for the subject and a returned message). */
void inbox_cands_scan(struct inbox_cands *c, const char *text, size_t len,
                      enum inbox_via via);
/* Only tokens written "hb.TOKEN" (the reference line), all strong. */
void inbox_cands_refs(struct inbox_cands *c, const char *text, size_t len,
                      enum inbox_via via);
/* The token of a "hb.TOKEN@domain" message id. */
void inbox_cands_msgid(struct inbox_cands *c, const char *id, enum inbox_via via);
/* Tokens in plus addresses LOCAL+TOKEN@DOMAIN of base (To, Cc and the
 * envelope headers). */
void inbox_cands_plus(struct inbox_cands *c, const struct inbox_msg *m, const char *base);
/* If addr is LOCAL+X@DOMAIN for base LOCAL@DOMAIN, X (in buf), else NULL. */
const char *inbox_plus_part(const char *addr, const char *base, char *buf, size_t blen);
/* The verdict is about candidate c: its token, where it was found, and
 * (when issued) its cycle or alert and recipient. */
enum ab_err inbox_cand_take(struct inbox_verdict *v, const struct inbox_cand *c,
                            ab_errmsg *em) AB_MUST_CHECK;
/* Ask r->issued about every candidate (nothing when r->issued is NULL). */
enum ab_err inbox_cands_lookup(struct inbox_cands *c, const struct inbox_rules *r,
                               ab_errmsg *em) AB_MUST_CHECK;

/* ---- inbox_classify_bounce.c: a bounce's token and who it flags ---- */

/* Fill v (class, token, via, issued, recipient, bounce_line, inferred)
 * for the bounce b of m; takes b's recipients into v.  Sets v->klass to
 * INBOX_UNRELATED for a look-alike that names nothing of ours. */
enum ab_err inbox_classify_bounce(const struct inbox_msg *m, const struct inbox_rules *r,
                                  struct inbox_bounce *b, struct inbox_verdict *v,
                                  ab_errmsg *em) AB_MUST_CHECK;

/* ---- inbox_command.c: reply commands as people write them ---- */

/* Read the command on the first line of text[0..len) (the new text of a
 * reply) into v->cmd, snooze, until, note, cmd_unknown.  now and zone
 * resolve "until Monday". */
void inbox_command_parse(struct inbox_verdict *v, const char *text, size_t len,
                         ab_time now, const char *zone);

/* ---- inbox_authres.c: our MX's Authentication-Results (RFC 8601) ---- */

/*
 * The sender's authentication by our own MX: 1 pass, -1 fail, 0 unknown
 * (no authserv_id configured, or no header of that authserv-id).  why
 * (whylen bytes, always written) says what decided it, for the log and
 * the message's detail: "dmarc=fail by mx.example.org".
 */
int inbox_authres(const struct inbox_msg *m, const char *authserv_id, char *why,
                  size_t whylen);

/* ---- inbox_machine.c: reports and system mail, not replies ---- */

/* A report about mail (DMARC aggregate, TLS-RPT, ARF); *why is static. */
int inbox_machine_report(const struct inbox_msg *m, const char **why);
/* Mail a machine wrote on its own: 2 for cron output or a system
 * account's mail, 1 for Auto-Submitted: auto-generated alone (which some
 * responders use too), 0 otherwise; *why is static. */
int inbox_system_mail(const struct inbox_msg *m, const char **why);

/* ---- inbox_imapresp.c: streaming scanner of IMAP responses (RFC 3501 4.3) ---- */

/*
 * One complete response: its text with every literal replaced by "{}"
 * (at most INBOX_IMAP_LINE_MAX bytes kept), and the first literal's bytes
 * (at most the scanner's literal cap kept; lit_total is its real size).
 */
struct inbox_imap_resp {
    const char *text;
    size_t text_len;
    const char *lit;
    size_t lit_len;
    size_t lit_total;
};
typedef enum ab_err (*inbox_imap_resp_fn)(void *ud, const struct inbox_imap_resp *r,
                                          ab_errmsg *em);

#define INBOX_IMAP_LINE_MAX ((size_t)32 << 20)

struct inbox_imap_scan {
    ab_buf text;
    ab_buf lit;
    uint64_t lit_left;   /* bytes of the current literal still to come */
    size_t lit_total;
    int in_lit;
    int nlits;
    size_t lit_cap;
    inbox_imap_resp_fn fn;
    void *ud;
};
void inbox_imap_scan_init(struct inbox_imap_scan *s, size_t lit_cap,
                          inbox_imap_resp_fn fn, void *ud);
void inbox_imap_scan_free(struct inbox_imap_scan *s);
/* Feed bytes; calls fn for each complete response. */
enum ab_err inbox_imap_scan_feed(struct inbox_imap_scan *s, const char *p,
                                 size_t n, ab_errmsg *em);
/* Parse "01-Dec-2026 08:00:00 +0100" (RFC 3501 date-time). */
ab_time inbox_imap_date(const char *s);
/* Format a sorted UID list as a sequence set ("1:5,7"). */
enum ab_err inbox_imap_uidset(const uint64_t *uids, size_t n, ab_buf *out);

/* ---- readers: inbox_imap.c, inbox_maildir.c ---- */

/* One message as a reader hands it over; borrowed for the callback. */
struct inbox_fetched {
    uint64_t uid;        /* IMAP UID; Maildir: a stable hash of the name */
    const char *data;
    size_t len;          /* bytes kept (<= INBOX_MAX_MESSAGE) */
    size_t full_len;     /* bytes the message really has */
    ab_time received;    /* INTERNALDATE / file time; AB_TIME_NONE */
};
typedef enum ab_err (*inbox_fetch_fn)(void *ud, const struct inbox_fetched *f,
                                      ab_errmsg *em);

struct inbox_reader_ops {
    const char *scheme;  /* URL prefix: "imap://", "maildir:" */
    int has_uids;        /* progress by UID (IMAP) or by file state (Maildir) */
    enum ab_err (*open)(const struct cfg_inbox *ib, const char *password,
                        void **h, ab_errmsg *em);
    /* Select the mailbox; UIDVALIDITY (Maildir: 0). */
    enum ab_err (*select)(void *h, uint32_t *uidvalidity, ab_errmsg *em);
    /* The ids of messages to read, ascending; *ids freed with ab_free. */
    enum ab_err (*list)(void *h, uint64_t after_uid, uint64_t **ids, size_t *n,
                        ab_errmsg *em);
    /* Read the given ids, calling fn once per message. */
    enum ab_err (*fetch)(void *h, const uint64_t *ids, size_t n,
                         inbox_fetch_fn fn, void *ud, ab_errmsg *em);
    /* Mark read (and move) after the store committed them. */
    enum ab_err (*done)(void *h, const uint64_t *ids, size_t n,
                        const char *move_to, ab_errmsg *em);
    void (*close)(void *h);
};
extern const struct inbox_reader_ops inbox_reader_imap;
extern const struct inbox_reader_ops inbox_reader_imaps;
extern const struct inbox_reader_ops inbox_reader_maildir;

/* ---- inbox_utf7.c: IMAP mailbox names, modified UTF-7 (RFC 3501 5.1.3) ---- */

/*
 * A UTF-8 mailbox name (as configured) in modified UTF-7 (as sent to the
 * server): "Bestätigt" -> "Best&AOQ-tigt", "R&D" -> "R&-D".  AB_EINVAL
 * with the offending byte named when utf8 is not valid UTF-8; AB_ENOMEM.
 * *out is the caller's: ab_free() it.
 */
enum ab_err inbox_utf7_encode(const char *utf8, char **out, ab_errmsg *em) AB_MUST_CHECK;
/*
 * A modified UTF-7 name (as a server returns it) in UTF-8, for people.
 * AB_EINVAL with the offending byte named for anything that is not
 * canonical modified UTF-7; AB_ENOMEM.  *out is the caller's: ab_free().
 */
enum ab_err inbox_utf7_decode(const char *utf7, char **out, ab_errmsg *em) AB_MUST_CHECK;
/*
 * A server's free text (a NO or BAD response) for people: every word that
 * is a mailbox name with an encoded run ("Best&AOQ-tigt") and decodes
 * cleanly is shown in UTF-8; prose such as "Q & A" or "R&D" is left as
 * it is.  Writes at most len bytes, NUL-terminated, to out.
 */
void inbox_utf7_humanize(const char *in, char *out, size_t len);

#endif
