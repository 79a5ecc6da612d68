/*
 * cfg_index.c - finding a check by name in constant time.
 *
 * The engine looks checks up by name on every alert and dependency, and
 * the loader once per check for duplicates; a linear search made loading
 * 100,000 checks take a minute.  Open addressing over the names, FNV-1a.
 */
#include "config/cfg_int.h"

#include <string.h>

#include "common/ab_mem.h"

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

int cfg_index_init(cfg *c, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    c->check_idx = ab_calloc(cap, sizeof *c->check_idx);
    if (!c->check_idx)
        return AB_ENOMEM;
    c->check_idx_cap = cap;
    return 0;
}

long cfg_index_add(cfg *c, size_t i)
{
    if (!c->check_idx)
        return -1;
    const char *name = c->checks[i].name;
    size_t mask = c->check_idx_cap - 1;
    for (size_t p = hash(name) & mask;; p = (p + 1) & mask) {
        uint32_t v = c->check_idx[p];
        if (!v) {
            c->check_idx[p] = (uint32_t)i + 1;
            return -1;
        }
        if (strcmp(c->checks[v - 1].name, name) == 0)
            return (long)(v - 1);
    }
}

void cfg_index_free(cfg *c)
{
    ab_free(c->check_idx);
    c->check_idx = NULL;
    c->check_idx_cap = 0;
}

const struct cfg_check *cfg_check_find(const cfg *c, const char *name)
{
    if (!c->check_idx) {
        for (size_t i = 0; i < c->nchecks; i++)
            if (c->checks[i].name && strcmp(c->checks[i].name, name) == 0)
                return &c->checks[i];
        return NULL;
    }
    size_t mask = c->check_idx_cap - 1;
    for (size_t p = hash(name) & mask;; p = (p + 1) & mask) {
        uint32_t v = c->check_idx[p];
        if (!v)
            return NULL;
        if (strcmp(c->checks[v - 1].name, name) == 0)
            return &c->checks[v - 1];
    }
}
