/*
 * cfg_global.c - the site-wide settings: time zone, tick, state database,
 * mail transport, inbox, web listener, templates folder, alert defaults.
 */
#include "config/cfg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum cfg_tls parse_tls(const char *v)
{
    if (!v || !strcmp(v, "auto"))
        return CFG_TLS_AUTO;
    if (!strcmp(v, "required"))
        return CFG_TLS_REQUIRED;
    if (!strcmp(v, "opportunistic"))
        return CFG_TLS_OPPORTUNISTIC;
    return CFG_TLS_NONE;
}

static int has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/* A DKIM d= or s= value: dot-separated labels of letters, digits and
 * hyphens (RFC 6376 3.1, 3.5), so that nothing else lands in the
 * DKIM-Signature field or the DNS name a verifier looks up. */
static int dkim_name_ok(const char *v)
{
    size_t label = 0;
    for (const char *p = v; *p; p++) {
        if (*p == '.') {
            if (!label)
                return 0;
            label = 0;
        } else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                   (*p >= '0' && *p <= '9') || *p == '-' || *p == '_') {
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return label > 0;
}

static void build_dkim(struct cfg_builder *b, xmlNode *n, struct cfg_mail *m)
{
    const char *dom = cfg_attr(b, n, "dkim-domain");
    const char *sel = cfg_attr(b, n, "dkim-selector");
    const char *key = cfg_attr(b, n, "dkim-key");
    m->dkim_line = (int)xmlGetLineNo(n);
    if (!dom && !sel && !key)
        return;
    if (!dom || !sel || !key) {
        cfg_err(b, n, "mail: dkim-domain=, dkim-selector= and dkim-key= go together "
                      "(%s missing)", !dom ? "dkim-domain=" : !sel ? "dkim-selector=" :
                                                                      "dkim-key=");
        return;
    }
    if (!dkim_name_ok(dom))
        cfg_err(b, n, "mail: dkim-domain=\"%s\" is not a domain name", dom);
    else if (!dkim_name_ok(sel))
        cfg_err(b, n, "mail: dkim-selector=\"%s\" must be letters, digits, '-' and "
                      "'.'-separated labels", sel);
    else {
        m->dkim_domain = dom;
        m->dkim_selector = sel;
        m->dkim_key = cfg_path_resolve(b, key);
    }
}

static void build_mail(struct cfg_builder *b, xmlNode *n)
{
    struct cfg_mail *m = &b->c->g.mail;
    m->from = cfg_attr(b, n, "from");
    m->from_name = cfg_attr(b, n, "from-name");
    m->transport = cfg_attr(b, n, "transport");
    m->tls = parse_tls(cfg_attr(b, n, "tls"));
    m->username = cfg_attr(b, n, "username");
    cfg_secret_attrs(b, n, "password-file", "password-env", &m->password);
    m->ca_file = cfg_path_resolve(b, cfg_attr(b, n, "ca-file"));
    cfg_bool(b, n, "insecure", &m->insecure);
    m->helo = cfg_attr(b, n, "helo");
    cfg_duration(b, n, "timeout", &m->timeout);
    if (cfg_duration(b, n, "max-age", &m->max_age) && m->max_age <= 0)
        cfg_err(b, n, "mail: max-age must be positive (0 would mean: keep retrying "
                      "for ever)");
    m->retry = 60;
    cfg_duration(b, n, "retry", &m->retry);
    if (m->retry < 1)
        cfg_err(b, n, "mail: retry must be at least 1s");
    if (m->from && !cfg_is_address(m->from))
        cfg_err(b, n, "mail: from=\"%s\" is not an email address", m->from);
    if (m->transport) {
        const char *t = m->transport;
        if (has_prefix(t, "maildir:")) {
            const char *p = t + strlen("maildir:");
            if (!*p)
                cfg_err(b, n, "mail: transport=\"maildir:\" needs a folder");
            else {
                /* Keep the scheme, resolve the folder like every path. */
                const char *abs = cfg_path_resolve(b, p);
                size_t len = strlen(abs) + 9;
                char *r = cfg_alloc(b->c, len);
                if (r) {
                    snprintf(r, len, "maildir:%s", abs);
                    m->transport = r;
                }
            }
        } else if (!has_prefix(t, "smtp://") && !has_prefix(t, "smtps://") &&
                   !has_prefix(t, "sendmail:") && strcmp(t, "sendmail") != 0) {
            cfg_err(b, n, "mail: transport=\"%s\" must start with smtp://, "
                          "smtps://, sendmail: or maildir:", t);
        }
    }
    if ((m->password.file || m->password.env) && !m->username)
        cfg_err(b, n, "mail: a password is given but no username");
    build_dkim(b, n, m);
}

static void build_inbox(struct cfg_builder *b, xmlNode *n)
{
    struct cfg_inbox *in = &b->c->g.inbox;
    in->enabled = 1;
    in->url = cfg_attr(b, n, "url");
    in->username = cfg_attr(b, n, "username");
    cfg_secret_attrs(b, n, "password-file", "password-env", &in->password);
    in->ca_file = cfg_path_resolve(b, cfg_attr(b, n, "ca-file"));
    cfg_bool(b, n, "insecure", &in->insecure);
    in->tls = parse_tls(cfg_attr(b, n, "tls"));
    if (cfg_duration(b, n, "poll", &in->poll) && in->poll <= 0)
        cfg_err(b, n, "inbox: poll must be positive");
    cfg_duration(b, n, "timeout", &in->timeout);
    in->move_to = cfg_attr(b, n, "move-to");
    in->reply_address = cfg_attr(b, n, "reply-address");
    in->bounce_address = cfg_attr(b, n, "bounce-address");
    in->ack_from = cfg_split(b, cfg_attr(b, n, "ack-from"), &in->nack_from);
    in->authserv_id = cfg_attr(b, n, "authserv-id");
    /* RFC 8601 2.5: the authserv-id is a value (a host name, in practice);
     * a space or ';' would make it never match a header. */
    if (in->authserv_id && (!*in->authserv_id ||
                            in->authserv_id[strcspn(in->authserv_id, " \t;()\"\r\n")]))
        cfg_err(b, n, "inbox: authserv-id=\"%s\" must be one word, the name your MX "
                      "writes first in Authentication-Results (e.g. mx.example.org)",
                in->authserv_id);
    if (in->url) {
        if (has_prefix(in->url, "maildir:")) {
            const char *abs = cfg_path_resolve(b, in->url + 8);
            size_t len = strlen(abs) + 9;
            char *r = cfg_alloc(b->c, len);
            if (r) {
                snprintf(r, len, "maildir:%s", abs);
                in->url = r;
            }
        } else if (!has_prefix(in->url, "imap://") && !has_prefix(in->url, "imaps://")) {
            cfg_err(b, n, "inbox: url=\"%s\" must start with imap://, imaps:// "
                          "or maildir:", in->url);
        }
    }
    if (in->reply_address) {
        if (!cfg_is_address(in->reply_address))
            cfg_err(b, n, "inbox: reply-address=\"%s\" is not an email address",
                    in->reply_address);
        else if (strchr(in->reply_address, '+'))
            cfg_err(b, n, "inbox: reply-address=\"%s\" must not contain '+': "
                          "ackbeat adds +TOKEN itself", in->reply_address);
    }
    /* The envelope sender of every message (VERP: LOCAL+TOKEN@DOMAIN), so
     * bounces come back here; a mailbox of its own if replies and bounces
     * should not meet. */
    if (in->bounce_address) {
        const char *why;
        if (!cfg_is_plus_base(in->bounce_address, &why))
            cfg_err(b, n, "inbox: bounce-address=\"%s\" %s", in->bounce_address, why);
    }
    if (in->poll == 0)
        in->poll = 120;
}

static void build_web(struct cfg_builder *b, xmlNode *n)
{
    struct cfg_web *w = &b->c->g.web;
    w->enabled = 1;
    w->listen = cfg_attr(b, n, "listen");
    w->base_url = cfg_attr(b, n, "base-url");
    cfg_secret_attrs(b, n, "token-file", "token-env", &w->token);
    w->user = cfg_attr(b, n, "user");
    cfg_secret_attrs(b, n, "password-hash-file", "password-hash-env",
                     &w->password_hash);
    w->allowed_hosts = cfg_split(b, cfg_attr(b, n, "allowed-hosts"), &w->nallowed_hosts);
    int per = 32;
    cfg_int(b, n, "max-conns-per-client", 0, 100000, &per);
    w->per_client = (unsigned)per;
    w->request_timeout = 10;
    if (cfg_duration(b, n, "request-timeout", &w->request_timeout) &&
        (w->request_timeout < 1 || w->request_timeout > 3600))
        cfg_err(b, n, "web: request-timeout must be between 1s and 1h");
    if (w->listen) {
        const char *colon = strrchr(w->listen, ':');
        char *end = NULL;
        long port = colon ? strtol(colon + 1, &end, 10) : -1;
        if (!colon || colon == w->listen || !end || *end || port < 1 || port > 65535)
            cfg_err(b, n, "web: listen=\"%s\" must be ADDRESS:PORT, e.g. "
                          "127.0.0.1:8025", w->listen);
    }
    if (w->user && !w->password_hash.file && !w->password_hash.env)
        cfg_err(b, n, "web: user= needs password-hash-file= or password-hash-env=");
}

static int is_hhmm(const char *d)
{
    return strlen(d) == 5 && d[2] == ':' && d[0] >= '0' && d[0] <= '2' &&
           d[1] >= '0' && d[1] <= '9' && d[3] >= '0' && d[3] <= '5' &&
           d[4] >= '0' && d[4] <= '9' && (d[0] - '0') * 10 + (d[1] - '0') < 24;
}

static void build_watchdog(struct cfg_builder *b, xmlNode *n)
{
    struct cfg_watchdog *w = &b->c->g.watchdog;
    w->enabled = 1;
    w->ping_url = cfg_attr(b, n, "ping-url");
    w->ping_timeout = 10;
    cfg_duration(b, n, "ping-timeout", &w->ping_timeout);
    cfg_resolve_addrs(b, n, "admin", &w->admin);
    w->daily = cfg_attr(b, n, "daily");
    if (w->ping_url && !has_prefix(w->ping_url, "http://") &&
        !has_prefix(w->ping_url, "https://"))
        cfg_err(b, n, "watchdog: ping-url=\"%s\" must start with http:// or https://",
                w->ping_url);
    if (w->ping_timeout < 1 || w->ping_timeout > 300)
        cfg_err(b, n, "watchdog: ping-timeout must be between 1s and 5m");
    if (w->daily && !is_hhmm(w->daily))
        cfg_err(b, n, "watchdog: daily=\"%s\" must be HH:MM", w->daily);
    if (w->daily && !w->admin.n)
        cfg_err(b, n, "watchdog: daily= needs admin=");
    if (w->admin.n && !w->daily)
        w->daily = "08:00";
}

/* "HH:MM" with a real hour and minute (digest-at=, report-at=). */
static int hh_mm(const char *d)
{
    return strlen(d) == 5 && d[2] == ':' && d[0] >= '0' && d[0] <= '2' && d[1] >= '0' &&
           d[1] <= '9' && d[3] >= '0' && d[3] <= '5' && d[4] >= '0' && d[4] <= '9' &&
           (d[0] - '0') * 10 + (d[1] - '0') < 24;
}

static void build_alerting(struct cfg_builder *b, xmlNode *n)
{
    struct cfg_alerting *a = &b->c->g.alerting;
    cfg_duration(b, n, "repeat", &a->repeat);
    cfg_duration(b, n, "escalate-after", &a->escalate_after);
    cfg_int(b, n, "flap-limit", 0, 1000, &a->flap_limit);
    cfg_bool(b, n, "quiet-bypass-p1", &a->quiet_bypass_p1);
    cfg_resolve_addrs(b, n, "notify", &a->notify);
    cfg_resolve_addrs(b, n, "escalate-to", &a->escalate_to);
    /* Escalation levels, each since the alert opened, climbing. */
    size_t nl = 0;
    for (xmlNode *k = n->children; k; k = k->next)
        nl += cfg_is(k, "level");
    if (nl) {
        struct cfg_level *lv = cfg_alloc(b->c, nl * sizeof *lv);
        if (!lv) {
            b->oom = 1;
            return;
        }
        if (cfg_attr(b, n, "escalate-after") || cfg_attr(b, n, "escalate-to"))
            cfg_err(b, n, "alerting: give <level> elements or escalate-after=/escalate-to= "
                          "(the shorthand for one level), not both");
        size_t i = 0;
        for (xmlNode *k = n->children; k; k = k->next) {
            if (!cfg_is(k, "level"))
                continue;
            lv[i].line = (int)xmlGetLineNo(k);
            cfg_duration(b, k, "after", &lv[i].after);
            cfg_resolve_addrs(b, k, "notify", &lv[i].notify);
            if (lv[i].after <= 0)
                cfg_err(b, k, "level %zu: after= must be more than 0", i + 1);
            else if (i && lv[i].after <= lv[i - 1].after)
                cfg_err(b, k, "level %zu: after= must be later than level %zu's", i + 1, i);
            i++;
        }
        a->levels = lv;
        a->nlevels = nl;
        /* Level 1 is what escalate-after/escalate-to always meant. */
        a->escalate_after = lv[0].after;
        a->escalate_to = lv[0].notify;
    }
    /* The fallback is a channel told when mail itself fails. */
    struct cfg_addrs fb = {0};
    cfg_resolve_addrs(b, n, "fallback", &fb);
    if (fb.n == 1 && cfg_channel_of(b->c, fb.v[0]))
        a->fallback = fb.v[0];
    else if (fb.n)
        cfg_err(b, n, "alerting: fallback= must name one channel (webhook, ntfy, slack, "
                      "matrix or command): mail is what it stands in for");
    a->fallback_after = 600;
    cfg_duration(b, n, "fallback-after", &a->fallback_after);
    a->digest_at = cfg_attr(b, n, "digest-at");
    if (a->digest_at) {
        const char *d = a->digest_at;
        if (!hh_mm(d))
            cfg_err(b, n, "alerting: digest-at=\"%s\" must be HH:MM", d);
    }
    /* The monthly report is an email: people and groups only. */
    cfg_resolve_addrs(b, n, "report-to", &a->report_to);
    a->report_at = cfg_attr(b, n, "report-at");
    if (a->report_at && !a->report_to.n)
        cfg_err(b, n, "alerting: report-at= needs report-to= (who gets the monthly report)");
    if (!a->report_at)
        a->report_at = "08:00";
    else if (!hh_mm(a->report_at))
        cfg_err(b, n, "alerting: report-at=\"%s\" must be HH:MM", a->report_at);
}

/* Does a PostgreSQL URL carry a password (user:PASSWORD@ or ?password=)? */
static int url_has_password(const char *url)
{
    const char *auth = strstr(url, "://");
    if (!auth)
        return 0;
    auth += 3;
    size_t span = strcspn(auth, "/?");
    const char *at = memchr(auth, '@', span);
    if (at && memchr(auth, ':', (size_t)(at - auth)))
        return 1;
    const char *q = strchr(auth, '?');
    for (const char *p = q; p; p = strchr(p + 1, '&'))
        if (strncmp(p + 1, "password=", 9) == 0)
            return 1;
    return 0;
}

/* <state>: a SQLite file (path=) or a PostgreSQL database (url=), never
 * both; messages quote a URL's scheme only, since it may hold a password. */
static void build_state(struct cfg_builder *b, xmlNode *n)
{
    struct cfg_global *g = &b->c->g;
    const char *path = cfg_attr(b, n, "path");
    const char *url = cfg_attr(b, n, "url");
    struct cfg_secret *pw = &g->state_password;
    cfg_secret_attrs(b, n, "password-file", "password-env", pw);
    if (path && url)
        cfg_err(b, n, "<state>: give path= (a SQLite file) or url= (a PostgreSQL "
                      "database), not both");
    else if (!path && !url)
        cfg_err(b, n, "<state>: needs path= (a SQLite file) or url= "
                      "(postgresql://USER@HOST:PORT/DB)");
    if (url) {
        const char *sch = strstr(url, "://");
        if (strncmp(url, "postgresql://", 13) != 0 && strncmp(url, "postgres://", 11) != 0)
            cfg_err(b, n, "<state>: url= must start with postgresql:// or postgres:// "
                          "(it starts with \"%.*s\")",
                    sch ? (int)(sch - url) + 3 : (int)strcspn(url, ":@/?"), url);
        else if (url_has_password(url) && (pw->file || pw->env))
            cfg_err(b, n, "<state>: the password is both in url= and in %s=; give it "
                          "once, in %s= (which keeps it out of the file)",
                    pw->attr, pw->attr);
        g->state_url = url;
        g->state_path = url;
    }
    else if (path) {
        if (pw->file || pw->env)
            cfg_err(b, n, "<state>: %s= goes with url= (PostgreSQL); a SQLite file "
                          "has no password", pw->attr);
        g->state_path = cfg_path_resolve(b, path);
    }
    const char *node = cfg_attr(b, n, "node");
    if (node) {
        size_t len = strlen(node), bad = 0;
        for (const char *p = node; *p; p++)
            bad += (unsigned char)*p < 0x20 || *p == 0x7f;
        if (!len || len > 200 || bad)
            cfg_err(b, n, "<state>: node=\"%s\" must be 1 to 200 printable characters",
                    bad ? "..." : node);
        g->state_node = node;
    }
    cfg_duration(b, n, "keep", &g->keep);
    cfg_duration(b, n, "keep-mail", &g->keep_mail);
}

void cfg_build_global(struct cfg_builder *b, xmlNode *root)
{
    struct cfg_global *g = &b->c->g;
    g->name = cfg_attr(b, root, "name");
    if (!g->name)
        g->name = "ackbeat";
    g->timezone = cfg_attr(b, root, "timezone");
    if (!g->timezone)
        g->timezone = "UTC";
    g->tick = 60;
    cfg_duration(b, root, "tick", &g->tick);
    if (g->tick < 1)
        cfg_err(b, root, "ackbeat: tick must be at least 1s");
    g->log_level = cfg_attr(b, root, "log-level");
    g->state_path = cfg_path_resolve(b, "ackbeat-state.db");
    /* History for a good year-on-year comparison; mail for a month. */
    g->keep = 400 * 86400;
    g->keep_mail = 30 * 86400;
    g->mail.timeout = 60;
    g->mail.max_age = 3 * 86400;
    g->alerting.repeat = 86400;
    g->alerting.quiet_bypass_p1 = 1;

    /* The schema allows any order; each of these may appear once. */
    static const char *const singletons[] = {"state", "mail", "inbox", "templates",
                                             "web", "recipients", "alerting",
                                             "sources", "checks", "watchdog"};
    for (size_t i = 0; i < sizeof singletons / sizeof singletons[0]; i++) {
        xmlNode *first = NULL;
        for (xmlNode *k = root->children; k; k = k->next) {
            if (!cfg_is(k, singletons[i]))
                continue;
            if (first)
                cfg_err(b, k, "<%s> appears twice (first on line %d)", singletons[i],
                        (int)xmlGetLineNo(first));
            else
                first = k;
        }
    }

    /* People first: mail, alerting and checks refer to them. */
    for (xmlNode *k = root->children; k; k = k->next)
        if (cfg_is(k, "recipients"))
            cfg_build_recipients(b, k);
    for (xmlNode *k = root->children; k; k = k->next) {
        if (cfg_is(k, "state"))
            build_state(b, k);
        else if (cfg_is(k, "mail"))
            build_mail(b, k);
        else if (cfg_is(k, "inbox"))
            build_inbox(b, k);
        else if (cfg_is(k, "web"))
            build_web(b, k);
        else if (cfg_is(k, "templates"))
            g->templates_dir = cfg_path_resolve(b, cfg_attr(b, k, "dir"));
        else if (cfg_is(k, "alerting"))
            build_alerting(b, k);
        else if (cfg_is(k, "watchdog"))
            build_watchdog(b, k);
    }
    if (!g->mail.transport && !b->c->g.mail.from) {
        /* No <mail>: nothing can be sent.  Fine for validate-only use,
         * but say so where it matters (the engine refuses to start). */
    }
}
