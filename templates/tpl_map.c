/*
 * tpl_map.c - a small string-keyed hash map for the template set's caches
 * (open addressing, linear probing; keys are copied, values are not).
 */
#include <stdint.h>
#include <string.h>

#include "common/ab_mem.h"
#include "templates/tpl_int.h"

/*
 * Eight bytes at a time, each word mixed in with a multiply, and the
 * result folded so that its high bits reach the low ones the table uses.
 * Keys are file names with the check and kind folders ("alert-details.
 * html.mustache\0orders-fresh\0freshness"), looked up a dozen times per
 * message: a byte at a time (FNV-1a, as before) was most of the lookup.
 */
static size_t hash(const char *k, size_t n)
{
    const uint64_t mul = 0x9e3779b97f4a7c15ull;
    uint64_t h = n * mul, w;
    for (; n >= 8; k += 8, n -= 8) {
        memcpy(&w, k, 8);
        h = (h ^ w) * mul;
        h ^= h >> 29;
    }
    w = 0;
    memcpy(&w, k, n);
    h = (h ^ w) * mul;
    return (size_t)(h ^ (h >> 32));
}

void tpl_map_init(struct tpl_map *m)
{
    memset(m, 0, sizeof *m);
}

void tpl_map_free(struct tpl_map *m, void (*free_val)(void *))
{
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key)
            continue;
        ab_free(m->slots[i].key);
        if (free_val)
            free_val(m->slots[i].val);
    }
    ab_free(m->slots);
    tpl_map_init(m);
}

static struct tpl_map_slot *slot(const struct tpl_map *m, const char *k,
                                 size_t n)
{
    size_t i = hash(k, n) & (m->cap - 1);
    for (;;) {
        struct tpl_map_slot *s = &m->slots[i];
        if (!s->key || (s->klen == n && memcmp(s->key, k, n) == 0))
            return s;
        i = (i + 1) & (m->cap - 1);
    }
}

void **tpl_map_get(const struct tpl_map *m, const char *k, size_t n)
{
    if (!m->cap)
        return NULL;
    struct tpl_map_slot *s = slot(m, k, n);
    return s->key ? &s->val : NULL;
}

static enum ab_err grow(struct tpl_map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 32;
    struct tpl_map_slot *old = m->slots, *ns = ab_calloc(cap, sizeof *ns);
    size_t oldcap = m->cap;
    if (!ns)
        return AB_ENOMEM;
    m->slots = ns;
    m->cap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].key)
            *slot(m, old[i].key, old[i].klen) = old[i];
    ab_free(old);
    return AB_OK;
}

enum ab_err tpl_map_put(struct tpl_map *m, const char *k, size_t n, void *val)
{
    void **have = tpl_map_get(m, k, n);
    if (have) {
        *have = val;
        return AB_OK;
    }
    /* Keep the load under 1/2 so probes stay short. */
    if ((m->n + 1) * 2 > m->cap && grow(m))
        return AB_ENOMEM;
    char *key = ab_malloc(n + 1);
    if (!key)
        return AB_ENOMEM;
    memcpy(key, k, n);
    key[n] = '\0';
    struct tpl_map_slot *s = slot(m, k, n);
    s->key = key;
    s->klen = n;
    s->val = val;
    m->n++;
    return AB_OK;
}
