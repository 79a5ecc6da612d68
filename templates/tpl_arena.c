/*
 * tpl_arena.c - the memory of a compiled template: a list of chunks that
 * nodes and strings are cut from, all freed together by tpl_free.
 */
#include <string.h>

#include "common/ab_mem.h"
#include "templates/tpl_int.h"

void *tpl_arena_alloc(struct tpl *t, size_t n)
{
    const size_t al = _Alignof(max_align_t);
    n = (n + al - 1) / al * al;
    struct tpl_chunk *c = t->arena;
    if (!c || c->size - c->used < n) {
        size_t size = n > 4000 ? n : 4000;
        c = ab_calloc(1, sizeof *c + size);
        if (!c)
            return NULL;
        c->size = size;
        /* Keep the roomier chunk in front so that small pieces that follow
         * a large one still fill the older chunk's tail. */
        if (t->arena && size - n < t->arena->size - t->arena->used) {
            c->next = t->arena->next;
            t->arena->next = c;
        } else {
            c->next = t->arena;
            t->arena = c;
        }
    }
    void *p = c->mem + c->used;
    c->used += n;
    return p;
}

char *tpl_arena_strndup(struct tpl *t, const char *s, size_t n)
{
    char *d = tpl_arena_alloc(t, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void tpl_free(tpl *t)
{
    if (!t)
        return;
    struct tpl_chunk *c = t->arena;
    while (c) {
        struct tpl_chunk *n = c->next;
        ab_free(c);
        c = n;
    }
    ab_free(t);
}

const char *tpl_name(const tpl *t)
{
    return t->name;
}

