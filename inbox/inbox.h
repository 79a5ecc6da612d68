/*
 * inbox.h - the inbox watcher: read replies (IMAP, IMAPS, Maildir), parse
 * them (MIME, RFC 2045-2047, 3676, 5322), classify them (acknowledgement,
 * auto-reply per RFC 3834, bounce per RFC 3464, ping, forged, unrelated)
 * and record what they mean in the store.  It never decides alert state:
 * the engine turns the recorded acks, bounces and pings into verdicts.
 *
 * Three layers, each usable alone:
 *   inbox_parse()    bytes -> struct inbox_msg   (pure, bounded)
 *   inbox_classify() inbox_msg -> inbox_verdict  (pure but for the lookup
 *                                                 callback that says
 *                                                 whether a token was issued)
 *   inbox_poll()     a mailbox -> store rows     (I/O)
 */
#ifndef AB_INBOX_H
#define AB_INBOX_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_err.h"
#include "common/ab_time.h"
#include "common/ab_token.h"

/* The state database's handle (store/store.h), only passed along here. */
#ifndef AB_STORE_TYPEDEF
#define AB_STORE_TYPEDEF
typedef struct store store;
#endif

/*
 * Limits on untrusted input.  A message larger than INBOX_MAX_MESSAGE is
 * read on (the server's stream must be consumed) but only its first
 * INBOX_MAX_MESSAGE bytes are kept and parsed: headers and the reply text
 * are at the front, attachments at the back.  At most INBOX_MAX_PARTS MIME
 * parts are looked at, and at most INBOX_MAX_TEXT bytes of any text part
 * are decoded.
 */
/* The <inbox> element of the configuration model (config/cfg.h); only
 * inbox_poll.c looks inside it, so parsing and classifying need no config. */
struct cfg_inbox;

#define INBOX_MAX_MESSAGE ((size_t)16 << 20)
#define INBOX_MAX_PARTS 1000
#define INBOX_MAX_TEXT ((size_t)256 << 10)
#define INBOX_MAX_HEADERS 500
#define INBOX_ADDR_MAX 320 /* RFC 5321 path limit, rounded up */

/* ===== parsing (inbox/inbox_parse.c) ======================================== */

struct inbox_header {
    char *name;
    char *value; /* unfolded, RFC 2047 decoded, UTF-8; capped at 8 KiB */
};

/* One per-recipient group of a delivery-status report (RFC 3464 2.3). */
struct inbox_dsn_rcpt {
    char *recipient;  /* Final-Recipient (or Original-Recipient) address */
    char *original;   /* Original-Recipient when there is a Final-Recipient
                         too (the address before forwarding), or NULL */
    int recipient_final; /* inbox_parse.c's: recipient came from Final-Recipient */
    char *action;     /* "failed", "delayed", "delivered", "relayed", "expanded" */
    char *status;     /* "5.1.1" */
    char *diagnostic; /* Diagnostic-Code text, may be NULL */
};

/*
 * A parsed message.  Every string is NUL-terminated UTF-8 owned by the
 * struct; free the whole thing with inbox_msg_free().  Addresses are
 * lower-cased.  Absent single values are NULL, except subject and text
 * which are "" when absent.
 */
struct inbox_msg {
    char *from_addr;
    char *from_name;
    char **rcpts;        /* To and Cc addresses, in order */
    size_t nrcpts;
    char **envelope;     /* Delivered-To, X-Original-To, Envelope-To */
    size_t nenvelope;
    char *message_id;    /* without angle brackets */
    char *in_reply_to;   /* the first msg-id, without brackets */
    char **references;   /* without brackets, oldest first */
    size_t nreferences;
    char *subject;
    ab_time date;        /* AB_TIME_NONE when absent or unparsable */
    struct inbox_header *headers; /* top-level headers, in order */
    size_t nheaders;
    char *text;          /* the best text part as plain text (see inbox_parse.c) */
    int text_from_html;
    /* multipart/report: its report-type, lower-cased ("delivery-status",
     * "feedback-report", "tlsrpt", "disposition-notification"), or NULL */
    char *report_type;
    /* multipart/report; report-type=delivery-status (RFC 3464) */
    int is_dsn;
    struct inbox_dsn_rcpt *dsn;
    size_t ndsn;
    char *returned;            /* returned message: headers + body text, or NULL */
    char *returned_message_id; /* its Message-ID, without brackets */
    /* The leaf parts that are not the text: "type/subtype; name" each,
     * lower-cased type, file name as given ("" when none).  Only their
     * headers are read, never their bytes. */
    char **attachments;
    size_t nattachments;
    size_t nparts;       /* MIME parts looked at */
    int truncated;       /* a limit was hit: parts, text, or message size */
};

/*
 * Parse one RFC 5322 message.  Never fails on bad MIME: a broken body
 * gives what could be read.  AB_EPARSE only when there is not even a
 * header block; AB_ENOMEM.  *out is the caller's: inbox_msg_free() it.
 */
enum ab_err inbox_parse(const char *data, size_t len, struct inbox_msg **out,
                        ab_errmsg *em) AB_MUST_CHECK;
void inbox_msg_free(struct inbox_msg *m);
/* The first top-level header called name (case-insensitive), or NULL. */
const char *inbox_msg_header(const struct inbox_msg *m, const char *name);

/* ===== classifying (inbox/inbox_classify.c) ================================= */

enum inbox_class {
    INBOX_UNRELATED = 0,
    INBOX_ACK,
    INBOX_AUTOREPLY,
    INBOX_BOUNCE,
    INBOX_FORGED,   /* a well-formed token we never issued */
    INBOX_PING,
    INBOX_SKIPPED,  /* could not be parsed */
};
/* "unrelated", "ack", "autoreply", "bounce", "forged", "ping", "skipped" */
const char *inbox_class_name(enum inbox_class c);

/* Where the token was found, in DESIGN.md's matching order. */
enum inbox_via {
    INBOX_VIA_NONE = 0,
    INBOX_VIA_PLUS,     /* sent to LOCAL+TOKEN@DOMAIN */
    INBOX_VIA_THREAD,   /* In-Reply-To / References <hb.TOKEN@...> */
    INBOX_VIA_SUBJECT,
    INBOX_VIA_BODY,     /* the new text of the reply */
    INBOX_VIA_QUOTE,    /* only in the quoted heartbeat */
    INBOX_VIA_RETURNED, /* a bounce's returned message */
    INBOX_VIA_INFERRED, /* a bounce naming our recipient: the token live then */
};
const char *inbox_via_name(enum inbox_via v); /* "plus", "thread"... */

/* A reply command: the first line of the new text (above the quote). */
enum inbox_cmd {
    INBOX_CMD_NONE = 0,
    INBOX_CMD_DISMISS, /* "dismiss" */
    INBOX_CMD_SNOOZE,  /* "snooze 2d" */
    INBOX_CMD_NOTE,    /* "note TEXT" */
};
const char *inbox_cmd_name(enum inbox_cmd c); /* "", "dismiss", "snooze", "note" */

/* What the token lookup knows of an issued token. */
struct inbox_issued {
    int64_t cycle_id;               /* a heartbeat's token: its cycle */
    int64_t alert_id;               /* an alert notice's token: its alert */
    char recipient[INBOX_ADDR_MAX]; /* who the token was sent to */
};
/*
 * Was token issued?  Sets *found (0/1) and, when found, *out.  Returns an
 * error only when the lookup itself failed (the database): the message is
 * then left for the next poll rather than misclassified.
 */
typedef enum ab_err (*inbox_issued_fn)(void *ud, const char *token, int *found,
                                       struct inbox_issued *out, ab_errmsg *em);
/* The lookup over the state database: ud is the store (both heartbeat
 * and alert tokens). */
enum ab_err inbox_store_issued(void *ud, const char *token, int *found,
                               struct inbox_issued *out, ab_errmsg *em);

/*
 * The heartbeat token that was live for addr at time at: the newest one
 * issued to that address no later than at (a little clock skew allowed).
 * For bounces that name a recipient of ours but neither return the
 * heartbeat nor arrive at its VERP address.  Sets *found and, when found,
 * token and *out.  Errors only for a failed lookup.
 */
typedef enum ab_err (*inbox_issued_to_fn)(void *ud, const char *addr, ab_time at,
                                          int *found, char token[AB_TOKEN_LEN + 1],
                                          struct inbox_issued *out, ab_errmsg *em);
/* The lookup over the state database: ud is the store. */
enum ab_err inbox_store_issued_to(void *ud, const char *addr, ab_time at, int *found,
                                  char token[AB_TOKEN_LEN + 1],
                                  struct inbox_issued *out, ab_errmsg *em);

/* A ping check that can be pinged by mail to LOCAL+TOKEN@DOMAIN. */
struct inbox_ping {
    const char *name;  /* the check */
    const char *token; /* its secret token (cfg_check.ping_token) */
};

/* What the classifier needs to know; all borrowed. */
struct inbox_rules {
    const char *reply_address;   /* LOCAL@DOMAIN; NULL: no plus matching */
    const char *bounce_address;  /* the VERP base when not reply_address; may be NULL */
    const char *authserv_id;     /* our MX's Authentication-Results id; NULL:
                                    a From: cannot be checked */
    const char *const *ack_from; /* domains allowed to acknowledge for others */
    size_t nack_from;
    const struct inbox_ping *pings; /* ping checks with a token */
    size_t npings;
    inbox_issued_fn issued;      /* NULL: issuance unknown (classify w/o -c) */
    void *issued_ud;
    inbox_issued_to_fn issued_to; /* NULL: no inferred bounces */
    void *issued_to_ud;
    ab_time now;                 /* for a bounce without a Date:, and "until" */
    const char *zone;            /* the site's zone ("snooze until Monday"); NULL: UTC */
};

/* One address a bounce names (inbox_bounce.c).  Strings owned by the holder. */
struct inbox_bounced {
    char *addr;     /* the address that failed (or is delayed), lower-cased */
    char *original; /* the address first written to, when the failure was
                       at a forwarding target; NULL otherwise */
    char *status;   /* enhanced status code "5.1.1" (RFC 3463), or NULL */
    char *reason;   /* one line saying why ("550 5.1.1 ... user unknown",
                       "mailbox full"), or NULL when the bounce says nothing */
};

/* The configuration model (config/cfg.h). */
typedef struct cfg cfg;

/* The ping checks of c that have a token; *out (ab_free it) borrows the
 * names and tokens from c. */
enum ab_err inbox_pings_of(const cfg *c, struct inbox_ping **out, size_t *n,
                           ab_errmsg *em) AB_MUST_CHECK;
/* The rules of mailbox ib (may be NULL: no plus addresses, no
 * authentication), with the store's token lookups when st is given;
 * everything borrowed. */
void inbox_rules_init(struct inbox_rules *r, const struct cfg_inbox *ib,
                      const struct inbox_ping *pings, size_t npings, store *st,
                      ab_time now);

/* The classification of one message.  Strings owned; inbox_verdict_free(). */
struct inbox_verdict {
    enum inbox_class klass;
    char token[AB_TOKEN_LEN + 1]; /* "" when none */
    enum inbox_via via;
    int issued;          /* 1 issued, 0 never issued, -1 unknown (no lookup) */
    int64_t cycle_id;    /* when issued for a heartbeat */
    int64_t alert_id;    /* when issued for an alert's notices (a reply to it) */
    char *recipient;     /* the token's recipient ("for"), when issued */
    char *from;          /* the sender ("by"), may be NULL */
    int verified;        /* ack/command: from is the recipient, or its
                            domain is in ack_from, and our MX did not
                            say the sender failed authentication */
    int auth;            /* our MX's verdict on the sender: 1 pass,
                            -1 fail, 0 unknown (inbox_rules.authserv_id) */
    char *untrusted;     /* ack: why the sender is not believed ("sender
                            failed authentication: dmarc=fail by mx..."),
                            or NULL */
    struct inbox_bounced *bounced; /* bounce: failed (or, when delay,
                                      delayed) recipients, in order */
    size_t nbounced;
    int delay;           /* bounce: a delay warning only, not a failure */
    int inferred;        /* bounce: the token was inferred from the failed
                            address and the bounce's date, not named */
    char *bounce_line;   /* bounce of an issued token: who failed and why,
                            "kim@x.example (forwarded to kim@y.example):
                            550 5.1.1 user unknown" */
    char *ping;          /* ping: the check name */
    char *excerpt;       /* ack: the first lines of the reply */
    char *reason;        /* one line: why this class */
    enum inbox_cmd cmd;  /* ack only (inbox/inbox_command.c has the forms) */
    int64_t snooze;      /* seconds, for INBOX_CMD_SNOOZE "snooze 2 days" */
    ab_time until;       /* or the end, for "snooze until Monday"; 0: none */
    char *note;          /* the note, or the reason given with dismiss or
                            snooze ("dismiss - Dana is on leave"), or NULL */
    int cmd_unknown;     /* looked like a command but was not one: kept
                            as a note (cmd NOTE) and logged */
    char *ambiguous;     /* a command in a reply naming several alerts of
                            the sender's and answering none (a whole
                            digest quoted): their tokens, comma-separated,
                            for the engine to ask which; class unrelated */
};

/*
 * Classify m under rules.  The order: bounce, ping, auto-reply, then the
 * token (ack or forged), else unrelated.  *out is filled (zeroed first)
 * and must be released with inbox_verdict_free() even on error.
 * Errors: only those of the lookup callback, and AB_ENOMEM.
 */
enum ab_err inbox_classify(const struct inbox_msg *m, const struct inbox_rules *r,
                           struct inbox_verdict *out, ab_errmsg *em) AB_MUST_CHECK;
void inbox_verdict_free(struct inbox_verdict *v); /* members only */

/* ===== polling (inbox/inbox_poll.c) ========================================= */

/* A reply command for the engine to act on (it also stays in
 * inbox_messages.detail as "cmd=..." so a crash loses none). */
struct inbox_command {
    enum inbox_cmd cmd;
    int64_t snooze;
    ab_time until;
    char *note;
    char token[AB_TOKEN_LEN + 1];
    int64_t cycle_id;    /* the heartbeat answered, or 0 */
    int64_t alert_id;    /* the alert answered, or 0 */
    char *from;
    int allowed;         /* from the recipient or an ack-from domain, and
                            not failed by our MX's authentication */
    char *untrusted;     /* why not allowed when the sender failed
                            authentication, else NULL */
    char *message_id;
};

struct inbox_poll_stats {
    size_t fetched;      /* messages read from the mailbox */
    size_t counts[INBOX_SKIPPED + 1]; /* per enum inbox_class, new ones only */
    size_t duplicates;   /* already recorded (same UID or Message-ID) */
    uint32_t uidvalidity;
    uint64_t last_uid;
    int rescan;          /* UIDVALIDITY changed: read everything again */
    struct inbox_command *cmds; /* owned; inbox_poll_stats_free() */
    size_t ncmds;
};
void inbox_poll_stats_free(struct inbox_poll_stats *s);

/* What inbox_poll needs beyond the <inbox> element; all borrowed. */
struct inbox_env {
    const char *password;  /* read by the caller with cfg_secret_read(); may be NULL */
    const struct inbox_ping *pings;
    size_t npings;
    int stamp_now;          /* record everything at the poll's now (a
                               command given --now), not at the time the
                               server received it */
    inbox_issued_fn issued; /* NULL: the store's tokens table */
    void *issued_ud;
    size_t batch;           /* messages per UID FETCH; 0: 500 */
    const char *zone;       /* the site's zone, for "snooze until Monday";
                               NULL: UTC */
};

/*
 * Read what is new in the mailbox of ib, classify it, and record it in st:
 * one transaction per batch records every message (inbox_messages, acks,
 * token bounce/auto-reply marks, recipients.bounced_at, pings) and
 * advances inbox_state.last_uid, so a process killed at any point neither
 * loses nor double-counts a message.  Only after that commit is mail
 * marked \Seen (and moved to ib->move_to).  The outcome of the attempt is
 * kept in inbox_state (last_ok / last_attempt / last_error) for the
 * engine.  now is the time of this poll.  stats is filled (zeroed first);
 * free it with inbox_poll_stats_free() even on error.
 */
enum ab_err inbox_poll(const struct cfg_inbox *ib, const struct inbox_env *env,
                       store *st, ab_time now, struct inbox_poll_stats *stats,
                       ab_errmsg *em) AB_MUST_CHECK;

/*
 * The inbox_state key of ib: its URL with the user name, without any
 * password ("imap://alice@127.0.0.1:1143/INBOX", "maildir:/var/mail/x").
 */
void inbox_state_key(const struct cfg_inbox *ib, char *buf, size_t len);

#endif
