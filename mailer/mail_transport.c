/*
 * mail_transport.c - choosing a transport backend by URL.
 *
 * The backends are const vtables (mail_int.h) listed in one table here;
 * adding a transport is adding a file and a line.  The helpers they share
 * live in mail_backend.c, below both this table and the backends, so that
 * a backend calling one does not call back into the file that lists it.
 */
#include "mailer/mail_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"
#include "config/cfg.h"

static const struct mail_transport_ops *const backends[] = {
    &mail_smtp_ops,
    &mail_smtps_ops,
    &mail_sendmail_ops,
    &mail_maildir_ops,
};

struct mail_transport {
    const struct mail_transport_ops *ops;
    void *state;
    char describe[256];
};

/* What to show in logs: the URL up to any query (which could one day
 * hold options a user considers private); credentials are never in it
 * because the backends refuse a URL with a userinfo part. */
static void describe_url(char *dst, size_t n, const char *url)
{
    size_t len = strcspn(url, "?#");
    const char *sep = strstr(url, "://");
    if (sep && (size_t)(sep - url) < len) {
        /* scheme://user:password@host... : drop the userinfo */
        const char *auth = sep + 3;
        size_t alen = strcspn(auth, "/?#");
        const char *at = memchr(auth, '@', alen);
        if (at) {
            char tmp[512];
            snprintf(tmp, sizeof tmp, "%.*s%.*s", (int)(auth - url), url,
                     (int)(len - (size_t)(at + 1 - url)), at + 1);
            mail_oneline(dst, n, tmp, sizeof tmp);
            return;
        }
    }
    mail_oneline(dst, n, url, len);
}

enum ab_err mail_transport_open(const struct cfg_mail *mc, ab_time now,
                                mail_transport **out, ab_errmsg *em)
{
    *out = NULL;
    const char *url = mc ? mc->transport : NULL;
    if (!url || !*url)
        return ab_fail(em, AB_ECONFIG, "mail transport: not configured");
    const struct mail_transport_ops *ops = NULL;
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strncmp(url, backends[i]->prefix, strlen(backends[i]->prefix)) == 0)
            ops = backends[i];
    if (!ops) {
        char shown[128];
        describe_url(shown, sizeof shown, url);
        return ab_fail(em, AB_ECONFIG,
                       "mail transport '%s': unknown kind (smtp://, smtps://, "
                       "sendmail:, maildir:)",
                       shown);
    }
    mail_transport *t = ab_calloc(1, sizeof *t);
    if (!t)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    t->ops = ops;
    describe_url(t->describe, sizeof t->describe, url);
    enum ab_err e = ops->open(mc, url, now, &t->state, em);
    if (e) {
        ab_free(t);
        return e;
    }
    *out = t;
    return AB_OK;
}

enum ab_err mail_transport_send(mail_transport *t, const struct mail_envelope *env,
                                struct mail_rcpt_result *res, ab_errmsg *em)
{
    mail_results_set(res, env->nrcpts, AB_ETEMPFAIL, "not attempted");
    if (env->nrcpts == 0)
        return AB_OK;
    ab_errmsg bad;
    enum ab_err e = mail_addr_check("sender", env->sender, &bad);
    for (size_t i = 0; !e && i < env->nrcpts; i++)
        e = mail_addr_check("recipient", env->rcpts[i], &bad);
    if (e) {
        /* A stored message with a bad address will never go out; that
         * is about the message, not the transport. */
        mail_results_set(res, env->nrcpts, AB_EPERMFAIL, "%s", bad.text);
        return AB_OK;
    }
    return t->ops->send(t->state, env, res, em);
}

int mail_transport_parallel(const mail_transport *t)
{
    return t && t->ops->parallel;
}

const char *mail_transport_describe(const mail_transport *t)
{
    return t ? t->describe : "";
}

void mail_transport_free(mail_transport *t)
{
    if (!t)
        return;
    t->ops->close(t->state);
    ab_free(t);
}
