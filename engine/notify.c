/*
 * notify.c - rendering a notice about an alert and queueing it.
 *
 * One message per recipient, so each can be personal and, later, wait
 * for its reader's quiet hours.  Message-IDs are derived from the alert,
 * the notice's number and the recipient, so every notice a person gets
 * about one alert threads under the first (In-Reply-To/References point
 * at it) without storing an id per person, and a notice queued twice
 * would collide on the outbox's unique Message-ID instead of going out
 * twice.
 */
#include "engine/eng_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/ab_log.h"
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

static void alert_msgid(char *buf, size_t len, int64_t alert_id, const char *seq,
                        const char *rcpt, const char *domain)
{
    snprintf(buf, len, "<ackbeat.alert%lld.%s.%08x@%s>", (long long)alert_id, seq,
             hash_addr(rcpt), domain);
}

static enum ab_err render_part(eng *e, const char *message, const char *part,
                               const struct cfg_check *k, json_t *ctx, ab_buf *out,
                               ab_errmsg *em)
{
    ab_buf_reset(out);
    return tpl_set_render(e->tpl, message, part, k->name, cfg_check_kind_name(k->kind),
                          ctx, out, em);
}

enum ab_err eng_notify_alert(eng *e, const struct cfg_check *k,
                             const struct store_alert *a, const char *message,
                             int level, ab_time now, const char *thread_msgid,
                             char *msgid_out, ab_errmsg *em)
{
    const struct cfg_global *g = cfg_global(e->c);
    const char *rcpts[256];
    size_t nr = 0;
    for (size_t i = 0; i < k->notify.n && nr < 256; i++)
        rcpts[nr++] = k->notify.v[i];
    /* An escalation adds the next level; everyone told so far stays in. */
    /* A heartbeat nobody confirmed goes to the escalation recipients at
     * once: the people asked are the ones who did not answer. */
    int esc = level >= 1 || k->kind == CFG_HEARTBEAT;
    for (size_t i = 0; esc && i < k->escalate_to.n && nr < 256; i++) {
        int dup = 0;
        for (size_t j = 0; j < nr; j++)
            dup |= strcasecmp(rcpts[j], k->escalate_to.v[i]) == 0;
        if (!dup)
            rcpts[nr++] = k->escalate_to.v[i];
    }
    (void)thread_msgid;
    if (nr == 0) {
        ab_log(AB_LOG_WARN, "check %s: %s for alert %lld has no recipients "
                            "(set notify= on the check or in <alerting>)",
               k->name, message, (long long)a->id);
        if (msgid_out)
            msgid_out[0] = '\0';
        return AB_OK;
    }
    if (!g->mail.from)
        return ab_fail(em, AB_ECONFIG, "no <mail from=...> configured");
    const char *domain = mail_addr_domain(g->mail.from);

    ab_buf subject, text, html;
    ab_buf_init(&subject, 4096);
    ab_buf_init(&text, 4 << 20);
    ab_buf_init(&html, 4 << 20);
    enum ab_err err = AB_OK;
    char seq[32];
    if (!strcmp(message, "alert-resolved"))
        snprintf(seq, sizeof seq, "resolved");
    else
        snprintf(seq, sizeof seq, "n%d", a->notify_count + 1);

    /* For a heartbeat that failed, the first notice is "nobody confirmed",
     * listing who was asked and what came back. */
    struct store_cycle *cycle = NULL;
    if (k->kind == CFG_HEARTBEAT) {
        struct store_cycle **v = NULL;
        size_t n = 0;
        if (store_cycle_list(e->st, k->name, 0, 1, &v, &n, NULL) == AB_OK && n) {
            cycle = v[0];
            v[0] = NULL;
        }
        store_cycle_list_free(v, n);
        if (cycle && !strcmp(message, "alert-opened") && a->status == STORE_FAILING)
            message = "nobody-confirmed";
    }
    for (size_t i = 0; i < nr; i++) {
        json_t *ctx = eng_ctx_alert(e, k, a, rcpts[i], now);
        if (!ctx) {
            err = ab_fail(em, AB_ENOMEM, "out of memory");
            break;
        }
        if (cycle)
            eng_ctx_cycle_outcomes(ctx, k, cycle);
        if ((err = render_part(e, message, "subject", k, ctx, &subject, em)) ||
            (err = render_part(e, message, "txt", k, ctx, &text, em)) ||
            (err = render_part(e, message, "html", k, ctx, &html, em))) {
            json_decref(ctx);
            break;
        }
        json_decref(ctx);

        char msgid[256], root[256], aid[32];
        alert_msgid(msgid, sizeof msgid, a->id, seq, rcpts[i], domain);
        alert_msgid(root, sizeof root, a->id, "n1", rcpts[i], domain);
        int first = !strcmp(seq, "n1");
        snprintf(aid, sizeof aid, "%lld", (long long)a->id);
        struct mail_addr to = {rcpts[i], NULL};
        const struct cfg_person *p = cfg_person_by_email(e->c, rcpts[i]);
        if (p)
            to.name = p->display ? p->display : NULL;
        struct mail_header hdrs[] = {{"X-Ackbeat-Check", k->name},
                                     {"X-Ackbeat-Alert", aid},
                                     {"X-Ackbeat-Notice", message}};
        struct mail_msg_spec spec = {
            .from = g->mail.from,
            .from_name = g->mail.from_name,
            .to = &to,
            .nto = 1,
            .reply_to = g->inbox.enabled ? g->inbox.reply_address : NULL,
            .subject = ab_buf_str(&subject),
            .text = ab_buf_str(&text),
            .html = html.len ? ab_buf_str(&html) : NULL,
            .message_id = msgid,
            .in_reply_to = first ? NULL : root,
            .references = first ? NULL : root,
            .headers = hdrs,
            .nheaders = sizeof hdrs / sizeof hdrs[0],
            .date = now,
        };
        int64_t oid;
        char got[MAIL_MSGID_MAX + 1];
        err = mail_outbox_put(e->st, &spec, message, aid, now, &oid, got, em);
        if (err)
            break;
        if (msgid_out && i == 0)
            snprintf(msgid_out, 256, "%s", root);
    }
    ab_buf_free(&subject);
    ab_buf_free(&text);
    ab_buf_free(&html);
    store_cycle_free(cycle);
    return err;
}
