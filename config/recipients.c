/*
 * recipients.c - people, groups, and resolving "notify" lists into email
 * addresses.
 *
 * A list may name people, groups (which may contain groups) and literal
 * addresses.  Everything is expanded at load time, so the engine only
 * ever sees addresses, and a typo in a name is a config error instead of
 * an alert that reaches nobody.
 */
#include "config/cfg_int.h"

#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"

void cfg_build_recipients(struct cfg_builder *b, xmlNode *recipients)
{
    size_t np = 0, ng = 0;
    /* A second <recipients> is reported as a duplicate; building it too
     * would re-allocate (and leak) what the first one built. */
    if (b->c->people || b->groups)
        return;
    for (xmlNode *k = recipients->children; k; k = k->next) {
        np += cfg_is(k, "person");
        ng += cfg_is(k, "group");
    }
    cfg *c = b->c;
    c->people = cfg_alloc(c, (np ? np : 1) * sizeof *c->people);
    b->groups = ab_calloc(ng ? ng : 1, sizeof *b->groups);
    if (!c->people || !b->groups) {
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
            b->groups[b->ngroups].name = name;
            b->groups[b->ngroups].node = k;
            b->groups[b->ngroups].line = (int)xmlGetLineNo(k);
            b->ngroups++;
        }
    }
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
                   struct addr_list *l, int depth);

static void expand_group(struct cfg_builder *b, xmlNode *at,
                         struct cfg_group_def *g, struct addr_list *l, int depth)
{
    for (xmlNode *m = g->node->children; m; m = m->next)
        if (cfg_is(m, "member")) {
            const char *t = cfg_node_text(b, m);
            if (t)
                expand(b, m, t, l, depth + 1);
        }
    (void)at;
}

static void expand(struct cfg_builder *b, xmlNode *at, const char *name,
                   struct addr_list *l, int depth)
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
            expand_group(b, at, &b->groups[i], l, depth);
            return;
        }
    cfg_err(b, at, "\"%s\" is not a person, a group or an email address", name);
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
    for (size_t i = 0; i < cnt; i++)
        expand(b, n, names[i], &l, 0);
    if (cnt == 0)
        cfg_err(b, n, "%s: %s is empty", (const char *)n->name, attr);
    out->v = l.v;
    out->n = l.n;
}
