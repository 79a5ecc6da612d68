/*
 * cfg_recipients.c - people, groups, channels, and resolving "notify" lists
 * into email addresses and channel references.
 *
 * A list may name people, groups (which may contain groups), channels
 * (webhook, ntfy, slack, matrix, command) and literal addresses.
 * Everything is expanded at load time, so the engine only ever sees
 * addresses and "channel:NAME" entries, and a typo in a name is a config
 * error instead of an alert that reaches nobody.
 */
#include "config/cfg_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"

static const char *const channel_kinds[] = {"webhook", "ntfy", "slack", "matrix", "command"};

static int is_channel_node(const xmlNode *k)
{
    for (size_t i = 0; i < sizeof channel_kinds / sizeof channel_kinds[0]; i++)
        if (cfg_is(k, channel_kinds[i]))
            return 1;
    return 0;
}

static int is_http_url(const char *u)
{
    return u && (!strncmp(u, "http://", 7) || !strncmp(u, "https://", 8)) &&
           !strpbrk(u, " \t");
}

/* One channel element; the schema has checked which attributes it has. */
static void build_channel(struct cfg_builder *b, xmlNode *k, struct cfg_channel *ch)
{
    ch->kind = cfg_strdup(b->c, (const char *)k->name);
    ch->name = cfg_attr(b, k, "name");
    ch->line = (int)xmlGetLineNo(k);
    ch->timeout = 10;
    cfg_duration(b, k, "timeout", &ch->timeout);
    const char *name = ch->name ? ch->name : "?";
    if (cfg_is(k, "matrix")) {
        ch->url = cfg_attr(b, k, "homeserver");
        ch->room = cfg_attr(b, k, "room");
    } else if (!cfg_is(k, "command")) {
        ch->url = cfg_attr(b, k, "url");
    }
    if (ch->url && !is_http_url(ch->url))
        cfg_err(b, k, "%s %s: \"%s\" is not an http:// or https:// URL", ch->kind, name,
                ch->url);
    /* Secrets come from the environment only: a channel's token in the
     * config would sit in every backup of it. */
    const char *env = cfg_attr(b, k, cfg_is(k, "webhook") ? "secret-env" : "token-env");
    ch->secret.env = env;
    ch->secret.attr = cfg_is(k, "webhook") ? "secret-env" : "token-env";
    ch->secret.line = ch->line;
    if (cfg_is(k, "matrix") && !env)
        cfg_err(b, k, "matrix %s: token-env= is required", name);
    ch->template_path = cfg_path_resolve(b, cfg_attr(b, k, "template"));
    if (cfg_is(k, "command")) {
        ch->run = cfg_attr(b, k, "run");
        if (ch->run && ch->run[0] != '/')
            cfg_err(b, k, "command %s: run=\"%s\" must start with an absolute path "
                          "(it is run without a shell)", name, ch->run);
    }
}

void cfg_build_recipients(struct cfg_builder *b, xmlNode *recipients)
{
    size_t np = 0, ng = 0, nc = 0;
    /* A second <recipients> is reported as a duplicate; building it too
     * would re-allocate (and leak) what the first one built. */
    if (b->c->people || b->groups)
        return;
    for (xmlNode *k = recipients->children; k; k = k->next) {
        np += cfg_is(k, "person");
        ng += cfg_is(k, "group");
        nc += is_channel_node(k);
    }
    cfg *c = b->c;
    c->people = cfg_alloc(c, (np ? np : 1) * sizeof *c->people);
    c->channels = cfg_alloc(c, (nc ? nc : 1) * sizeof *c->channels);
    b->groups = ab_calloc(ng ? ng : 1, sizeof *b->groups);
    if (!c->people || !b->groups || !c->channels) {
        b->oom = 1;
        return;
    }
    for (xmlNode *k = recipients->children; k; k = k->next) {
        if (cfg_is(k, "person")) {
            struct cfg_person *p = &c->people[c->npeople];
            p->name = cfg_attr(b, k, "name");
            p->email = cfg_attr(b, k, "email");
            p->display = cfg_attr(b, k, "display");
            /* Mail to this person gives times in their own zone. */
            p->timezone = cfg_attr(b, k, "timezone");
            ab_errmsg zem = {{0}};
            if (p->timezone && sched_zone_check(p->timezone, &zem) != AB_OK)
                cfg_err(b, k, "person %s: %s", p->name ? p->name : "?", zem.text);
            p->line = (int)xmlGetLineNo(k);
            if (!p->name || !p->email)
                continue; /* the schema reports the missing attribute */
            if (!cfg_is_address(p->email)) {
                cfg_err(b, k, "person %s: email=\"%s\" is not an email address",
                        p->name, p->email);
                continue;
            }
            for (size_t i = 0; i < c->npeople; i++)
                if (strcmp(c->people[i].name, p->name) == 0)
                    cfg_err(b, k, "person %s: defined twice (first on line %d)",
                            p->name, c->people[i].line);
            c->npeople++;
        } else if (cfg_is(k, "group")) {
            const char *name = cfg_attr(b, k, "name");
            if (!name)
                continue;
            for (size_t i = 0; i < b->ngroups; i++)
                if (strcmp(b->groups[i].name, name) == 0)
                    cfg_err(b, k, "group %s: defined twice (first on line %d)",
                            name, b->groups[i].line);
            for (size_t i = 0; i < c->npeople; i++)
                if (strcmp(c->people[i].name, name) == 0)
                    cfg_err(b, k, "group %s: a person has the same name", name);
            for (size_t i = 0; i < c->nchannels; i++)
                if (strcmp(c->channels[i].name, name) == 0)
                    cfg_err(b, k, "group %s: a channel has the same name", name);
            b->groups[b->ngroups].name = name;
            b->groups[b->ngroups].node = k;
            b->groups[b->ngroups].line = (int)xmlGetLineNo(k);
            b->ngroups++;
        } else if (is_channel_node(k)) {
            struct cfg_channel *ch = &c->channels[c->nchannels];
            build_channel(b, k, ch);
            if (!ch->name)
                continue;
            for (size_t i = 0; i < c->nchannels; i++)
                if (strcmp(c->channels[i].name, ch->name) == 0)
                    cfg_err(b, k, "%s %s: defined twice (first on line %d)", ch->kind,
                            ch->name, c->channels[i].line);
            for (size_t i = 0; i < c->npeople; i++)
                if (strcmp(c->people[i].name, ch->name) == 0)
                    cfg_err(b, k, "%s %s: a person has the same name", ch->kind, ch->name);
            c->nchannels++;
        }
    }
}

size_t cfg_channel_count(const cfg *c) { return c->nchannels; }

const struct cfg_channel *cfg_channel_at(const cfg *c, size_t i)
{
    return i < c->nchannels ? &c->channels[i] : NULL;
}

const struct cfg_channel *cfg_channel_find(const cfg *c, const char *name)
{
    for (size_t i = 0; name && i < c->nchannels; i++)
        if (strcmp(c->channels[i].name, name) == 0)
            return &c->channels[i];
    return NULL;
}

const struct cfg_channel *cfg_channel_of(const cfg *c, const char *rcpt)
{
    size_t n = strlen(CFG_CHANNEL_PREFIX);
    if (!rcpt || strncmp(rcpt, CFG_CHANNEL_PREFIX, n) != 0)
        return NULL;
    return cfg_channel_find(c, rcpt + n);
}

/* A growing list of unique addresses, kept in the arena. */
struct addr_list {
    const char **v;
    size_t n, cap;
};

static void add_addr(struct cfg_builder *b, struct addr_list *l, const char *a)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcasecmp(l->v[i], a) == 0)
            return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        const char **v = cfg_alloc(b->c, (cap + 1) * sizeof *v);
        if (!v) {
            b->oom = 1;
            return;
        }
        if (l->n)
            memcpy(v, l->v, l->n * sizeof *v);
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = a;
}

static void expand(struct cfg_builder *b, xmlNode *at, const char *name,
                   struct addr_list *l, int depth, int channels_ok);

static void expand_group(struct cfg_builder *b, xmlNode *at,
                         struct cfg_group_def *g, struct addr_list *l, int depth,
                         int channels_ok)
{
    for (xmlNode *m = g->node->children; m; m = m->next)
        if (cfg_is(m, "member")) {
            const char *t = cfg_node_text(b, m);
            if (t)
                expand(b, m, t, l, depth + 1, channels_ok);
        }
    (void)at;
}

static void expand(struct cfg_builder *b, xmlNode *at, const char *name,
                   struct addr_list *l, int depth, int channels_ok)
{
    /* Groups may nest; a cycle (a in b, b in a) would recurse forever. */
    if (depth > 16) {
        cfg_err(b, at, "group membership nests too deep (a cycle?) at \"%s\"", name);
        return;
    }
    if (strchr(name, '@')) {
        if (!cfg_is_address(name))
            cfg_err(b, at, "\"%s\" is not an email address", name);
        else
            add_addr(b, l, name);
        return;
    }
    for (size_t i = 0; i < b->c->npeople; i++)
        if (strcmp(b->c->people[i].name, name) == 0) {
            add_addr(b, l, b->c->people[i].email);
            return;
        }
    for (size_t i = 0; i < b->ngroups; i++)
        if (strcmp(b->groups[i].name, name) == 0) {
            expand_group(b, at, &b->groups[i], l, depth, channels_ok);
            return;
        }
    const struct cfg_channel *ch = cfg_channel_find(b->c, name);
    if (ch) {
        /* A heartbeat asks people to reply: a webhook cannot. */
        if (!channels_ok) {
            cfg_err(b, at, "\"%s\" is a %s channel: only notify=, escalate-to= and "
                           "levels may name channels", name, ch->kind);
            return;
        }
        size_t len = strlen(CFG_CHANNEL_PREFIX) + strlen(name) + 1;
        char *ref = cfg_alloc(b->c, len);
        if (!ref) {
            b->oom = 1;
            return;
        }
        snprintf(ref, len, "%s%s", CFG_CHANNEL_PREFIX, name);
        add_addr(b, l, ref);
        return;
    }
    cfg_err(b, at, "\"%s\" is not a person, a group, a channel or an email address", name);
}

void cfg_resolve_addrs(struct cfg_builder *b, xmlNode *n, const char *attr,
                       struct cfg_addrs *out)
{
    const char *list = cfg_attr(b, n, attr);
    if (!list)
        return;
    size_t cnt;
    const char *const *names = cfg_split(b, list, &cnt);
    struct addr_list l = {0};
    /* Channels can be told, not asked: they fit notify lists only. */
    int channels_ok = !strcmp(attr, "notify") || !strcmp(attr, "escalate-to") ||
                      !strcmp(attr, "fallback");
    for (size_t i = 0; i < cnt; i++)
        expand(b, n, names[i], &l, 0, channels_ok);
    if (cnt == 0)
        cfg_err(b, n, "%s: %s is empty", (const char *)n->name, attr);
    out->v = l.v;
    out->n = l.n;
}
