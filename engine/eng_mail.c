/*
 * eng_mail.c - one rendered email into the outbox, and the Message-IDs of
 * the notices about an alert.
 *
 * Every email the engine sends goes through eng_queue_email(): notices
 * (eng_notify.c), heartbeat requests and reminders (eng_heartbeat.c),
 * answers to reply commands (eng_answer.c), reports.  It sits below all
 * of them and calls none of them back, so that they can share it without
 * calling each other.
 *
 * Message-IDs are derived from the alert, the notice's number and the
 * recipient, so every notice a person gets about one alert threads under
 * the first (In-Reply-To/References point at it) without storing an id
 * per person.
 */
#include "engine/eng_int.h"

#include <ctype.h>
#include <stdio.h>

#include "mailer/mail.h"

/* FNV-1a over the lower-cased address: short, stable, not secret. */
static unsigned hash_addr(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)tolower((unsigned char)*s);
        h *= 16777619u;
    }
    return h;
}

/* With the database's random part (store_msgid_salt), so that a new
 * database never reuses an id: providers drop a repeated one as a
 * duplicate.  A database that predates it keeps its ids, and threads. */
void eng_alert_msgid(eng *e, char *buf, size_t len, int64_t alert_id, const char *seq,
                     const char *rcpt)
{
    const char *domain = mail_addr_domain(cfg_global(e->c)->mail.from);
    char salt[32] = "";
    if (store_msgid_salt(e->st, salt, sizeof salt, NULL) != AB_OK)
        salt[0] = '\0';
    snprintf(buf, len, "<ackbeat.alert%lld.%s%s%s.%08x@%s>", (long long)alert_id, seq,
             salt[0] ? "." : "", salt, hash_addr(rcpt), domain);
}

void eng_alert_thread_id(eng *e, int64_t alert_id, const char *rcpt, char *buf, size_t len)
{
    eng_alert_msgid(e, buf, len, alert_id, "n1", rcpt);
}

enum ab_err eng_queue_email(eng *e, const struct eng_email *m, ab_time now,
                            ab_errmsg *em)
{
    const struct cfg_global *g = cfg_global(e->c);
    struct mail_addr to = {m->rcpt, NULL};
    const struct cfg_person *p = cfg_person_by_email(e->c, m->rcpt);
    if (p && p->display)
        to.name = p->display;
    char fresh[MAIL_MSGID_MAX + 1];
    const char *msgid = m->message_id;
    if (!msgid) {
        enum ab_err err = mail_msgid_new(g->mail.from, fresh, em);
        if (err)
            return err;
        msgid = fresh;
    }
    /* One recipient per message, so the envelope sender can be VERP
     * (LOCAL+TOKEN@DOMAIN at the inbox): a bounce names the token. */
    char sender[MAIL_ADDR_MAX + 1];
    enum ab_err err = mail_envelope_sender(&g->inbox, g->mail.from, m->token, sender, em);
    if (err)
        return err;
    struct mail_msg_spec spec = {
        .from = g->mail.from,
        .envelope_from = sender,
        .from_name = g->mail.from_name,
        .to = &to,
        .nto = 1,
        .reply_to = m->reply_to,
        .subject = m->subject,
        .text = m->text,
        .html = m->html && *m->html ? m->html : NULL,
        .message_id = msgid,
        .in_reply_to = m->in_reply_to,
        .references = m->in_reply_to,
        .headers = m->headers,
        .nheaders = m->nheaders,
        .date = now,
    };
    int64_t oid;
    char got[MAIL_MSGID_MAX + 1];
    return mail_outbox_put(e->st, &spec, m->kind, m->ref, now, &oid, got, em);
}
