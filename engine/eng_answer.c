/*
 * eng_answer.c - telling people that a reply command was obeyed.
 *
 * When someone dismisses, snoozes or annotates an alert by replying to
 * its notice, everyone who was told about the alert hears about it, in
 * the alert's own thread: "Dismissed by Bo Boss: Dana is on leave".
 * Otherwise the others would keep waiting for a resolution that a
 * colleague has already decided, or be surprised when the notices stop.
 * The answer carries no reply token: it is news, not a question.
 */
#include "engine/eng_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"
#include "mailer/mail.h"
#include "store/store_tokens.h"

/* "Bo Boss" for a configured person, else the address. */
static const char *display_of(eng *e, const char *addr)
{
    const struct cfg_person *p = addr ? cfg_person_by_email(e->c, addr) : NULL;
    if (p && p->display && *p->display)
        return p->display;
    if (p && p->name && *p->name)
        return p->name;
    return addr ? addr : "someone";
}

enum ab_err eng_answer_command(eng *e, const struct cfg_check *k, const struct store_alert *a,
                               const char *what, const char *by, const char *reason,
                               ab_time now, ab_errmsg *em)
{
    char **rcpts = NULL;
    size_t n = 0;
    enum ab_err err = store_alert_notified(e->st, a->id, &rcpts, &n, em);
    if (err)
        return err;
    char summary[1200];
    snprintf(summary, sizeof summary, "%s by %s%s%s", what, display_of(e, by),
             reason && *reason ? ": " : "", reason && *reason ? reason : "");
    ab_buf subject, text, html;
    ab_buf_init(&subject, 0);
    ab_buf_init(&text, 0);
    ab_buf_init(&html, 0);
    char aid[32];
    snprintf(aid, sizeof aid, "%lld", (long long)a->id);
    for (size_t i = 0; i < n && !err; i++) {
        json_t *ctx = eng_ctx_alert(e, k, a, rcpts[i], now);
        if (!ctx) {
            err = ab_fail(em, AB_ENOMEM, "out of memory");
            break;
        }
        json_t *cmd = json_object();
        json_object_set_new(cmd, "summary", json_string(summary));
        json_object_set_new(cmd, "what", json_string(what));
        json_object_set_new(cmd, "by", json_string(display_of(e, by)));
        if (reason && *reason)
            json_object_set_new(cmd, "reason", json_string(reason));
        json_object_set_new(ctx, "command", cmd);
        ab_buf_reset(&subject);
        ab_buf_reset(&text);
        ab_buf_reset(&html);
        const char *kind = cfg_check_kind_name(k->kind);
        if ((err = tpl_set_render(e->tpl, "alert-command", "subject", k->name, kind, ctx,
                                  &subject, em)) ||
            (err = tpl_set_render(e->tpl, "alert-command", "txt", k->name, kind, ctx, &text,
                                  em)) ||
            (err = tpl_set_render(e->tpl, "alert-command", "html", k->name, kind, ctx, &html,
                                  em))) {
            json_decref(ctx);
            break;
        }
        json_decref(ctx);
        char root[256];
        eng_alert_thread_id(e, a->id, rcpts[i], root, sizeof root);
        struct mail_header hdrs[] = {{"X-Ackbeat-Check", k->name},
                                     {"X-Ackbeat-Alert", aid},
                                     {"X-Ackbeat-Notice", "alert-command"}};
        struct eng_email mail = {
            .rcpt = rcpts[i],
            .subject = ab_buf_str(&subject),
            .text = ab_buf_str(&text),
            .html = ab_buf_str(&html),
            .in_reply_to = root,
            .headers = hdrs,
            .nheaders = sizeof hdrs / sizeof hdrs[0],
            .kind = "alert-command",
            .ref = aid,
        };
        err = eng_queue_email(e, &mail, now, em);
    }
    if (!err)
        ab_log(AB_LOG_INFO, "alert %lld: %s; told %zu people", (long long)a->id, summary, n);
    ab_buf_free(&subject);
    ab_buf_free(&text);
    ab_buf_free(&html);
    for (size_t i = 0; i < n; i++)
        ab_free(rcpts[i]);
    ab_free(rcpts);
    return err;
}

/* "dismiss:on leave" -> "dismiss (on leave)" for the question. */
static void command_words(const char *cmd, char *out, size_t len)
{
    size_t vl = strcspn(cmd, ":");
    if (!strncmp(cmd, "until:", 6) || !strncmp(cmd, "snooze:", 7))
        snprintf(out, len, "snooze");
    else
        snprintf(out, len, "%.*s", (int)vl, cmd);
}

enum ab_err eng_ask_which(eng *e, const char *to, const char *tokens, const char *cmd,
                          ab_time now, ab_errmsg *em)
{
    if (!to || !*to)
        return AB_OK;
    json_t *ctx = eng_ctx_base(e, to, now);
    json_t *list = json_array();
    if (!ctx || !list) {
        json_decref(ctx);
        json_decref(list);
        return ab_fail(em, AB_ENOMEM, "out of memory");
    }
    const char *p = tokens;
    while (*p) {
        size_t n = strcspn(p, ",");
        char tok[AB_TOKEN_LEN + 1];
        if (n == AB_TOKEN_LEN) {
            memcpy(tok, p, n);
            tok[n] = '\0';
            int64_t cid, aid;
            char *rcpt = NULL;
            struct store_alert *a = NULL;
            if (store_token_owner(e->st, tok, &cid, &aid, &rcpt, NULL) == AB_OK && aid &&
                store_alert_get(e->st, aid, &a, NULL) == AB_OK) {
                const struct cfg_check *k = cfg_check_find(e->c, a->check);
                json_t *one = json_object();
                char ref[64];
                snprintf(ref, sizeof ref, "%s%s", AB_TOKEN_REF_PREFIX, tok);
                json_object_set_new(one, "id", json_integer((json_int_t)a->id));
                json_object_set_new(one, "label",
                                    json_string(k && k->label ? k->label : a->check));
                json_object_set_new(one, "reference", json_string(ref));
                json_array_append_new(list, one);
            }
            store_alert_free(a);
            ab_free(rcpt);
        }
        p += n;
        if (*p == ',')
            p++;
    }
    char verb[32];
    command_words(cmd, verb, sizeof verb);
    json_object_set_new(ctx, "alerts", list);
    json_object_set_new(ctx, "count", json_integer((json_int_t)json_array_size(list)));
    json_object_set_new(ctx, "command", json_string(verb));
    ab_buf subject, text, html;
    ab_buf_init(&subject, 0);
    ab_buf_init(&text, 0);
    ab_buf_init(&html, 0);
    enum ab_err err = AB_OK;
    if (!json_array_size(list))
        goto out; /* nothing of theirs is open any more: nothing to ask */
    if ((err = tpl_set_render(e->tpl, "ask-which", "subject", NULL, NULL, ctx, &subject, em)) ||
        (err = tpl_set_render(e->tpl, "ask-which", "txt", NULL, NULL, ctx, &text, em)) ||
        (err = tpl_set_render(e->tpl, "ask-which", "html", NULL, NULL, ctx, &html, em)))
        goto out;
    const struct cfg_global *g = cfg_global(e->c);
    struct mail_header hdrs[] = {{"X-Ackbeat-Notice", "ask-which"}};
    struct eng_email mail = {
        .rcpt = to,
        .subject = ab_buf_str(&subject),
        .text = ab_buf_str(&text),
        .html = ab_buf_str(&html),
        .reply_to = g->inbox.enabled ? g->inbox.reply_address : NULL,
        .headers = hdrs,
        .nheaders = 1,
        .kind = "ask-which",
    };
    err = eng_queue_email(e, &mail, now, em);
    if (!err)
        ab_log(AB_LOG_INFO, "reply command \"%s\" from %s names %zu alerts: asked which",
               verb, to, json_array_size(list));
out:
    json_decref(ctx);
    ab_buf_free(&subject);
    ab_buf_free(&text);
    ab_buf_free(&html);
    return err;
}
