/*
 * mail.h - outgoing mail: building messages, transports, the outbox.
 *
 * Three layers, each usable on its own:
 *
 *   messages    mail_msg_build() turns already-rendered parts (subject,
 *               text, HTML) and addresses into RFC 5322 + MIME bytes
 *               (RFC 2045-2047), with Auto-Submitted (RFC 3834).
 *   transports  a mail_transport sends those bytes: smtp:// and smtps://
 *               (RFC 5321, STARTTLS RFC 3207, AUTH RFC 4954 via libcurl),
 *               sendmail: (pipe to sendmail(8)), maildir:PATH (a file per
 *               message).  One transport handle = one batch: the SMTP
 *               connection is reused for every message sent through it.
 *   the outbox  every message is stored first (store/store_outbox.c) and
 *               mail_outbox_drain() sends what is due, marks recipients
 *               sent only after the server accepted them, and retries the
 *               rest with exponential backoff until the configured
 *               maximum age.
 *
 * Delivery is at-least-once: a message is marked sent only after the
 * server accepted it, so a crash between the server's "250" and the
 * commit of that mark sends it again on restart (a duplicate), but a
 * message is never lost.
 *
 * Messages are produced and stored in canonical form (CRLF line ends);
 * transports that write to Unix tools or files convert to LF.
 */
#ifndef AB_MAIL_H
#define AB_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_buf.h"
#include "common/ab_err.h"
#include "common/ab_time.h"

/* The state database's handle (store/store.h), only passed along here. */
#ifndef AB_STORE_TYPEDEF
#define AB_STORE_TYPEDEF
typedef struct store store;
#endif

struct cfg_mail;  /* config/cfg.h */
struct cfg_inbox; /* config/cfg.h */

/* Longest addr-spec accepted (RFC 5321 path limit less the brackets). */
#define MAIL_ADDR_MAX 254
/* Room for a Message-ID "<...>" including the NUL. */
#define MAIL_MSGID_MAX 256

/* ===== addresses ===================================================== */

/*
 * Is addr an addr-spec (RFC 5322 3.4.1): a dot-atom or quoted-string
 * local part, "@", a domain name or an address literal?  No display
 * name, no angle brackets, no comments, ASCII only (SMTPUTF8 is not
 * supported), at most MAIL_ADDR_MAX bytes.  field names what is being
 * checked in the message ("To", "reply address"); CR or LF anywhere is
 * reported as a header-injection attempt.  AB_EINVAL on failure.
 */
enum ab_err mail_addr_check(const char *field, const char *addr,
                            ab_errmsg *em) AB_MUST_CHECK;

/* The domain of a valid addr-spec (borrowed, points into addr), or NULL. */
const char *mail_addr_domain(const char *addr);

/*
 * Is id one msg-id "<left@right>" (RFC 5322 3.6.4)?  AB_EINVAL naming
 * field otherwise.
 */
enum ab_err mail_msgid_check(const char *field, const char *id,
                             ab_errmsg *em) AB_MUST_CHECK;

/* A fresh Message-ID "<RANDOM@DOMAIN>" with DOMAIN taken from from_addr.
 * out has at least MAIL_MSGID_MAX bytes. */
enum ab_err mail_msgid_new(const char *from_addr, char *out,
                           ab_errmsg *em) AB_MUST_CHECK;

/*
 * The heartbeat wire format (DESIGN.md): for the configured reply
 * address LOCAL@DOMAIN and a token, fill
 *   msgid    "<hb.TOKEN@DOMAIN>"   (at least MAIL_MSGID_MAX bytes)
 *   reply_to "LOCAL+TOKEN@DOMAIN"  (at least MAIL_ADDR_MAX + 1 bytes)
 * to put in mail_msg_spec.message_id and .reply_to.  AB_EINVAL if the
 * address or the token is malformed.
 */
enum ab_err mail_heartbeat_ids(const char *reply_address, const char *token,
                               char *msgid, char *reply_to,
                               ab_errmsg *em) AB_MUST_CHECK;

/*
 * "LOCAL+TOKEN@DOMAIN" for the address LOCAL@DOMAIN (no '+' of its own
 * expected, no quoted local part) into out (at least MAIL_ADDR_MAX + 1
 * bytes).  field names the address in errors.  AB_EINVAL if the address
 * or token is malformed or the result is too long for an addr-spec.
 */
enum ab_err mail_plus_address(const char *field, const char *addr,
                              const char *token, char *out,
                              ab_errmsg *em) AB_MUST_CHECK;

/*
 * The envelope sender (SMTP MAIL FROM, RFC 5321 4.1.1.2) of a message to
 * one recipient, into out (at least MAIL_ADDR_MAX + 1 bytes).
 *
 * Bounces (RFC 3464 DSNs) go to the envelope sender, not to From:, so
 * when an inbox is watched (ib->enabled) the sender is an address of that
 * inbox: ib->bounce_address, else ib->reply_address.  With a token it is
 * VERP, "LOCAL+TOKEN@DOMAIN" (DESIGN.md, wire format): a bounce then
 * names the token in its envelope recipient even when it quotes nothing
 * of the message.  Without an inbox it is from (the <mail from=>).
 *
 * A VERP sender belongs to one recipient: give a token only for a message
 * with exactly one recipient.  token may be NULL; ib may be NULL.
 */
enum ab_err mail_envelope_sender(const struct cfg_inbox *ib, const char *from,
                                 const char *token, char *out,
                                 ab_errmsg *em) AB_MUST_CHECK;

/* ===== messages ====================================================== */

struct mail_addr {
    const char *addr; /* addr-spec "local@domain" */
    const char *name; /* display name, UTF-8, may be NULL */
};

struct mail_header {
    const char *name;  /* field name, printable ASCII without ':' */
    const char *value; /* UTF-8; encoded-words are applied when needed */
};

/*
 * What a message is made of.  Every pointer is borrowed for the call.
 * Text fields are UTF-8; a CR or LF in any header value or address is
 * rejected (header injection), naming the field.
 *
 * Alert threads: set in_reply_to and references both to the Message-ID
 * of the alert's first notice, so every notice about one alert lands in
 * one thread.  Heartbeats: fill message_id and reply_to with
 * mail_heartbeat_ids().
 */
struct mail_msg_spec {
    const char *from;        /* addr-spec, required */
    const char *envelope_from; /* MAIL FROM, addr-spec; NULL: from.  Not a
                              * header: the transport's final delivery
                              * records it as Return-Path (RFC 5321 4.4).
                              * See mail_envelope_sender(). */
    const char *from_name;   /* may be NULL */
    const struct mail_addr *to; /* at least one */
    size_t nto;
    const char *reply_to;    /* addr-spec, may be NULL */
    const char *subject;     /* required; "" allowed */
    const char *text;        /* text/plain body, required */
    const char *html;        /* text/html alternative, may be NULL */
    const char *message_id;  /* "<id@domain>"; NULL: generate one */
    const char *in_reply_to; /* "<id@domain>", may be NULL */
    const char *references;  /* "<a@b> <c@d> ...", may be NULL */
    const struct mail_header *headers; /* extra fields, e.g. X-Ackbeat-Check */
    size_t nheaders;
    ab_time date;            /* the Date: field */
};

/*
 * Build the message: Date, Message-ID, From, To, Reply-To, Subject (RFC
 * 2047 when not ASCII), In-Reply-To, References, Auto-Submitted:
 * auto-generated, the extra headers, MIME-Version, and a text/plain part
 * or a multipart/alternative of text then HTML, in UTF-8, each
 * 7bit, quoted-printable or base64 so that no line exceeds 78
 * characters.  Headers are folded at 78; a header that cannot be kept
 * under the hard limit of 998 is rejected.
 *
 * out is reset and receives the CRLF bytes.  msgid_out (may be NULL; at
 * least MAIL_MSGID_MAX bytes) receives the Message-ID used, with angle
 * brackets.  AB_EINVAL names the field at fault.
 */
enum ab_err mail_msg_build(const struct mail_msg_spec *spec, ab_buf *out,
                           char *msgid_out, ab_errmsg *em) AB_MUST_CHECK;

/* ===== transports ==================================================== */

/*
 * Transport URLs (struct cfg_mail.transport):
 *   smtp://HOST[:PORT][/HELO][?auth=plain|login]   port 25 by default;
 *       STARTTLS per cfg_mail.tls (AUTO = opportunistic)
 *   smtps://HOST[:PORT][/HELO][?auth=plain|login]  implicit TLS, port 465
 *   sendmail:  or  sendmail:/path/to/sendmail      default /usr/sbin/sendmail
 *   maildir:PATH                                   tmp/, new/, cur/ created;
 *       each file starts with Return-Path: <SENDER>, as a local
 *       delivery agent writes it (RFC 5321 4.4)
 * Credentials never go in the URL: cfg_mail.username and .password.
 * Without ?auth= libcurl picks the strongest mechanism both sides know.
 * Certificates are verified (ca_file, or the system's CAs) unless
 * cfg_mail.insecure; with opportunistic STARTTLS a server that offers
 * TLS with a certificate that does not verify is a failure, not a fall
 * back to plain text.
 */
typedef struct mail_transport mail_transport;

/* One message on its way: the envelope (RFC 5321) and the bytes. */
struct mail_envelope {
    const char *sender;          /* MAIL FROM, addr-spec */
    const char *const *rcpts;    /* RCPT TO, each an addr-spec */
    size_t nrcpts;
    int all_rcpts;  /* rcpts are every recipient named in the header
                     * (sendmail: may read them with -t) */
    const char *data;            /* CRLF message */
    size_t len;
    const char *message_id;      /* may be NULL; maildir: names the file by it */
};

/* The outcome for one recipient. */
struct mail_rcpt_result {
    enum ab_err err;  /* AB_OK accepted, AB_ETEMPFAIL retry, AB_EPERMFAIL give up */
    char detail[384]; /* the server's reply or the local error; "" on success */
};

/*
 * Open a transport for a batch sent at now.  Nothing connects yet (the
 * SMTP connection is made by the first send and then reused); the SMTP
 * password is read here with cfg_secret_read().  mc is borrowed for the
 * life of the handle.  AB_ECONFIG for a URL or option that cannot work.
 * On success *out is the caller's: mail_transport_free() it.
 */
enum ab_err mail_transport_open(const struct cfg_mail *mc, ab_time now,
                                mail_transport **out,
                                ab_errmsg *em) AB_MUST_CHECK;

/*
 * Send one message; res[i] (nrcpts of them, caller's) gets each
 * recipient's outcome.  SMTP: a 5xx reply to MAIL, RCPT or the data is
 * permanent, a 4xx temporary; connection, TLS, authentication and
 * timeout failures are temporary.
 *
 * Returns AB_OK when the attempt ran (whatever res says), or
 * AB_ETEMPFAIL when the transport itself is not usable (connection
 * refused or lost, timeout, TLS or authentication failure, sendmail not
 * runnable, Maildir not writable): res then says temporary for the
 * recipients not yet handled, and the caller should not send more
 * through this handle now.
 */
enum ab_err mail_transport_send(mail_transport *t, const struct mail_envelope *env,
                                struct mail_rcpt_result *res,
                                ab_errmsg *em) AB_MUST_CHECK;

/* "smtp://127.0.0.1:2525" etc., for logs; never holds credentials. */
const char *mail_transport_describe(const mail_transport *t);

/* Close the connection (SMTP QUIT) and free.  NULL is a no-op. */
void mail_transport_free(mail_transport *t);

/* ===== DKIM signing (RFC 6376) ====================================== */

/*
 * A signer for <mail dkim-domain= dkim-selector= dkim-key=>: RSA-SHA256,
 * relaxed/relaxed, over From, To, Subject, Date, Message-ID, Reply-To,
 * In-Reply-To, References, MIME-Version, Content-Type and Auto-Submitted
 * (those present; From and Subject once more, so an added one breaks it).
 * The outbox drain signs every message just before the transport sends
 * it, so every transport carries the signed bytes.
 */
typedef struct mail_dkim mail_dkim;

/*
 * Read and check mc->dkim_key (an unencrypted PEM RSA private key of at
 * least 1024 bits).  *out is NULL (and AB_OK) when mc has no dkim-domain.
 * AB_ECONFIG naming the key file when it cannot be read or is not such a
 * key.  mc is borrowed for the life of the handle.
 */
enum ab_err mail_dkim_new(const struct cfg_mail *mc, mail_dkim **out,
                          ab_errmsg *em) AB_MUST_CHECK;

/*
 * out (reset) gets the CRLF message msg with a DKIM-Signature field
 * prepended, t= set to when: the same message, key and when give the
 * same bytes.  AB_EINVAL if libopendkim cannot sign it.
 */
enum ab_err mail_dkim_sign(mail_dkim *d, const char *msg, size_t len, ab_time when,
                           ab_buf *out, ab_errmsg *em) AB_MUST_CHECK;

/* NULL is a no-op.  The key is wiped from memory. */
void mail_dkim_free(mail_dkim *d);

/* ===== the outbox ==================================================== */

/* Default for cfg_mail.max_age <= 0: give up after two days. */
#define MAIL_DEFAULT_MAX_AGE (2 * 86400)
/* Retry delays: 1 min (cfg_mail.retry), doubling, at most 1 h, each +-20 %. */
#define MAIL_BACKOFF_BASE 60
#define MAIL_BACKOFF_CAP 3600

/*
 * Seconds to wait after the attempts-th failed attempt (attempts >= 1):
 * base * 2^(attempts-1) (base <= 0: MAIL_BACKOFF_BASE), capped at
 * MAIL_BACKOFF_CAP, then scaled by a factor in [0.8, 1.2] taken from rnd
 * (uniform over 32 bits), so that messages queued together do not retry
 * in lockstep.  Pure: tests pass rnd.
 */
int64_t mail_backoff(int64_t base, int attempts, uint32_t rnd);

/*
 * Build the message of spec and store it in the outbox (one transaction
 * with its recipients: spec->to), due at now, with spec->envelope_from
 * (or spec->from) as its one envelope sender for every recipient.  kind and ref are for
 * listings ("heartbeat", "alert", "test"; a check or alert name), may be
 * NULL.  *id (may be NULL) gets the outbox row; msgid_out (may be NULL,
 * MAIL_MSGID_MAX bytes) the Message-ID.  AB_EEXIST if a message with
 * that Message-ID is already in the outbox.
 */
enum ab_err mail_outbox_put(store *st, const struct mail_msg_spec *spec,
                            const char *kind, const char *ref, ab_time now,
                            int64_t *id, char *msgid_out,
                            ab_errmsg *em) AB_MUST_CHECK;

/*
 * Record, as a failed outbox message to rcpt, a message that could not be
 * built (error says why): shown by `ackbeat outbox`, never sent.  kind and
 * ref as for mail_outbox_put.  *id may be NULL.
 */
enum ab_err mail_outbox_unbuilt(store *st, const char *sender, const char *rcpt,
                                const char *kind, const char *ref, const char *error,
                                ab_time now, int64_t *id, ab_errmsg *em) AB_MUST_CHECK;

struct mail_drain_stats {
    size_t attempted;    /* messages tried */
    size_t sent;         /* messages now sent (every recipient accepted) */
    size_t failed;       /* messages now failed (permanent or too old) */
    size_t deferred;     /* messages left queued for a later attempt */
    size_t rcpt_sent;    /* recipients accepted in this drain */
    size_t rcpt_failed;  /* recipients failed for good in this drain */
    ab_errmsg last_error; /* the last failure seen; text[0] == 0 if none */
};

/*
 * Send up to limit (0: no limit) due messages (queued, next attempt <=
 * now), oldest first, through the transport of mc, reusing one
 * connection for the batch.  After each message, in one transaction,
 * accepted recipients are marked sent, permanently refused ones failed
 * with the server's reply, and a message with recipients left is given
 * its next attempt (mail_backoff) or, past mc->max_age since it was
 * created, failed with the last error.  When the transport itself fails
 * (server down, hanging, TLS, AUTH), the rest of the batch is deferred
 * with that error without connecting again.
 *
 * Returns AB_OK even when messages failed (stats says what happened);
 * an error only when the outbox could not be read or written, or the
 * transport cannot be opened (AB_ECONFIG).  stats may be NULL.
 */
enum ab_err mail_outbox_drain(store *st, const struct cfg_mail *mc,
                              ab_time now, size_t limit,
                              struct mail_drain_stats *stats,
                              ab_errmsg *em) AB_MUST_CHECK;
/*
 * The same as node (the engine's name, issue 16): each group is claimed
 * for node with a row lease before it is sent, so drains of several
 * nodes on one state never send a message twice (only a drain that dies
 * between the server's acceptance and the record may have one sent
 * again, once its lease ran out).  mail_outbox_drain claims as
 * HOSTNAME:PID; so does node NULL.
 */
enum ab_err mail_outbox_drain_as(store *st, const struct cfg_mail *mc, const char *node,
                                 ab_time now, size_t limit,
                                 struct mail_drain_stats *stats,
                                 ab_errmsg *em) AB_MUST_CHECK;

/*
 * Attempt one message now, whether due or not (`ackbeat send-test`).
 * AB_ENOTFOUND if id is not queued; AB_EEXIST if another node holds it
 * (is sending it).  Results as for mail_outbox_drain.
 */
enum ab_err mail_outbox_send_one(store *st, const struct cfg_mail *mc,
                                 int64_t id, ab_time now,
                                 struct mail_drain_stats *stats,
                                 ab_errmsg *em) AB_MUST_CHECK;

#endif
