/*
 * tpl_ctx.c - how a render finds a name in its data: the stack of JSON
 * contexts (the data, then each section's value), and a memo of the
 * object lookups already made in this render.
 *
 * The memo is there because jansson hashes the whole key again on every
 * json_object_get (some 160 instructions), and lookups were a third of
 * the cost of a render.  The default alert message (subject, text and
 * HTML: three renders) makes about 190 object lookups for about 110
 * different (object, key) pairs: alert.status, check.label and site.name
 * come back in the title, the heading, the body and the details, and
 * every dotted name begins by looking up its first part ("alert",
 * "check") in the same root object.  The data is borrowed and not changed
 * while the render runs, so a pair's answer (a miss too) stays right
 * until the render returns, which is as long as the memo lives.  Its key
 * hash is the part's, made at compile time, mixed with the object's
 * address.
 */
#include <string.h>

#include "common/ab_mem.h"
#include "templates/tpl_int.h"

void tpl_ctx_init(struct tpl_ctx *c)
{
    c->stack = c->inline_stack;
    c->sp = 0;
    c->cap = TPL_STACK_INLINE;
    memset(c->used, 0, sizeof c->used);
}

void tpl_ctx_free(struct tpl_ctx *c)
{
    if (c->stack != c->inline_stack)
        ab_free(c->stack);
    c->stack = c->inline_stack;
    c->sp = 0;
    c->cap = TPL_STACK_INLINE;
}

enum ab_err tpl_ctx_grow(struct tpl_ctx *c)
{
    size_t cap = c->cap * 2;
    const json_t **s;
    if (c->stack == c->inline_stack) {
        if ((s = ab_malloc(cap * sizeof *s)))
            memcpy(s, c->stack, c->sp * sizeof *s);
    } else {
        s = ab_realloc(c->stack, cap * sizeof *s);
    }
    if (!s)
        return AB_ENOMEM;
    c->stack = s;
    c->cap = cap;
    return AB_OK;
}

static const json_t *object_get(const json_t *obj, const struct tpl_part *key)
{
#if JANSSON_VERSION_HEX >= 0x020e00
    return json_object_getn(obj, key->s, key->len); /* no strlen again */
#else
    return json_object_get(obj, key->s);
#endif
}

/* A pair not in the memo: ask jansson, and remember the answer in slot i,
 * in place of whatever pair had it.  Kept out of line so that a hit, in
 * member(), needs no registers saved. */
__attribute__((noinline)) static const json_t *
fill(struct tpl_ctx *c, size_t i, const json_t *obj, const struct tpl_part *key)
{
    struct tpl_memo_slot *s = &c->memo[i];
    c->used[i / 64] |= (uint64_t)1 << (i % 64);
    s->obj = obj;
    s->key = key;
    s->val = object_get(obj, key);
    return s->val;
}

/* Keys of more than 16 bytes, whose heads matched. */
__attribute__((noinline)) static int same_tail(const struct tpl_part *a,
                                               const struct tpl_part *b)
{
    return memcmp(a->s, b->s, a->len) == 0;
}

/*
 * obj[key] for a JSON object, through the memo.  One slot per hash, the
 * newest pair taking it: a probe sequence would cost every lookup more
 * than the few collisions of a render cost jansson.  A hit is the common
 * case and stays free of calls; the rest is in fill() and same_tail().
 */
static inline const json_t *member(struct tpl_ctx *c, const json_t *obj,
                                   const struct tpl_part *key)
{
    /* Objects are heap blocks at least 16 bytes apart: the low bits of
     * the address carry nothing. */
    size_t i = (key->hash ^ (size_t)((uintptr_t)obj >> 4)) & (TPL_MEMO_SLOTS - 1);
    const struct tpl_memo_slot *s = &c->memo[i];
    if (!(c->used[i / 64] & ((uint64_t)1 << (i % 64))) || s->obj != obj)
        return fill(c, i, obj, key);
    const struct tpl_part *k = s->key;
    if (k == key ||
        (k->len == key->len && k->head[0] == key->head[0] && k->head[1] == key->head[1] &&
         (k->len <= sizeof k->head || same_tail(k, key))))
        return s->val;
    return fill(c, i, obj, key);
}

/*
 * "items.0": a list's item by number, as JavaScript implementations allow.
 * Templates use {{#items.0}}heading{{/items.0}} to print a heading once
 * when a list is not empty.
 */
static const json_t *list_item(const json_t *v, const char *part)
{
    size_t i = 0;
    if (!json_is_array(v) || !*part || (part[0] == '0' && part[1]))
        return NULL;
    for (; *part; part++) {
        if (*part < '0' || *part > '9' || i > ((size_t)-1 - 9) / 10)
            return NULL;
        i = i * 10 + (size_t)(*part - '0');
    }
    return json_array_get(v, i);
}

const json_t *tpl_ctx_lookup(struct tpl_ctx *c, const struct tpl_name *nm)
{
    if (nm->nparts == 0)
        return tpl_ctx_top(c);
    const json_t *v = NULL;
    for (size_t i = c->sp; i-- > 0;) {
        if (json_is_object(c->stack[i]) && (v = member(c, c->stack[i], &nm->parts[0])))
            break;
    }
    /* Once the first part is found, the rest must resolve inside it: a
     * broken chain is a miss, not a search further down the stack. */
    for (size_t k = 1; v && k < nm->nparts; k++)
        v = json_is_object(v) ? member(c, v, &nm->parts[k])
                              : list_item(v, nm->parts[k].s);
    return v;
}
