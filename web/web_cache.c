/*
 * web_cache.c - answers kept from the live read model: the status page
 * (each filter and page asked for), GET /api/checks and /metrics, each
 * kept with the model's generation and the second it was made for.
 *
 * Why per second: what these show is the model plus the time (ages,
 * "5m ago", the page's clock and its form token), and time here is whole
 * seconds, so an answer made for (generation, now) is byte for byte what
 * rendering again would give, until either moves.  A request within the
 * same second of the same state is then a lookup and a copy; a busy
 * page renders once a second, or once per change.
 */
#include "web/web_int.h"

#include <string.h>

#include "common/ab_mem.h"

/* How many answers are kept: the three endpoints and a few filters or
 * pages of the status page; the oldest kept goes first. */
#define SLOTS 16

struct slot {
    char *key;
    uint64_t gen;
    ab_time now;
    int status;
    const char *content_type; /* static */
    int no_store;
    char *body;
    size_t len;
    uint64_t used;            /* for choosing which to drop */
};

struct web_cache {
    struct slot s[SLOTS];
    uint64_t clock;
};

struct web_cache *web_cache_new(void)
{
    return ab_calloc(1, sizeof(struct web_cache));
}

static void slot_clear(struct slot *x)
{
    ab_free(x->key);
    ab_free(x->body);
    memset(x, 0, sizeof *x);
}

void web_cache_free(struct web_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < SLOTS; i++)
        slot_clear(&c->s[i]);
    ab_free(c);
}

int web_cache_answer(web *w, const char *key, uint64_t gen, ab_time now,
                     struct web_response *rs)
{
    struct web_cache *c = w->cache;
    if (!c)
        return 0;
    for (size_t i = 0; i < SLOTS; i++) {
        struct slot *x = &c->s[i];
        if (!x->key || x->gen != gen || x->now != now || strcmp(x->key, key) != 0)
            continue;
        char *b = ab_malloc(x->len + 1);
        if (!b)
            return 0;
        memcpy(b, x->body, x->len + 1);
        ab_free(rs->body);
        ab_free(rs->location);
        memset(rs, 0, sizeof *rs);
        rs->status = x->status;
        rs->content_type = x->content_type;
        rs->no_store = x->no_store;
        rs->body = b;
        rs->len = x->len;
        x->used = ++c->clock;
        return 1;
    }
    return 0;
}

void web_cache_keep(web *w, const char *key, uint64_t gen, ab_time now,
                    const struct web_response *rs)
{
    struct web_cache *c = w->cache;
    if (!c || rs->status != 200 || !rs->body || rs->location)
        return;
    /* The same key's older answer, else a free slot, else the least used. */
    struct slot *x = NULL;
    for (size_t i = 0; i < SLOTS && !x; i++)
        if (c->s[i].key && strcmp(c->s[i].key, key) == 0)
            x = &c->s[i];
    for (size_t i = 0; i < SLOTS && !x; i++)
        if (!c->s[i].key)
            x = &c->s[i];
    if (!x) {
        x = &c->s[0];
        for (size_t i = 1; i < SLOTS; i++)
            if (c->s[i].used < x->used)
                x = &c->s[i];
    }
    slot_clear(x);
    x->key = ab_strdup(key);
    x->body = ab_malloc(rs->len + 1);
    if (!x->key || !x->body) {
        slot_clear(x);
        return;
    }
    memcpy(x->body, rs->body, rs->len);
    x->body[rs->len] = '\0';
    x->len = rs->len;
    x->gen = gen;
    x->now = now;
    x->status = rs->status;
    x->content_type = rs->content_type;
    x->no_store = rs->no_store;
    x->used = ++c->clock;
}
