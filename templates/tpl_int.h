/*
 * tpl_int.h - templates/ private: the compiled form shared by the parser
 * (tpl_parse.c) and the renderer (tpl_render.c).
 *
 * A compiled template is a tree of nodes kept in one arena, so that freeing
 * a template is freeing a few chunks, and the parser's many small pieces
 * (names, text slices, indentation) cost no malloc each.
 */
#ifndef AB_TPL_INT_H
#define AB_TPL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "templates/tpl.h"

enum tpl_node_type {
    TPL_N_TEXT,     /* literal template text */
    TPL_N_VAR,      /* {{x}}, {{{x}}}, {{&x}} */
    TPL_N_SECTION,  /* {{#x}}...{{/x}} */
    TPL_N_INVERTED, /* {{^x}}...{{/x}} */
    TPL_N_PARTIAL,  /* {{>x}}, {{>*x}} */
    TPL_N_PARENT,   /* {{<x}}...{{/x}}: kids holds the blocks passed */
    TPL_N_BLOCK,    /* {{$x}}...{{/x}}: kids holds the default content */
};

/* One part of a dotted name, with what the renderer's lookup memo
 * (tpl_ctx.c) would otherwise compute on every lookup. */
struct tpl_part {
    const char *s; /* NUL-terminated */
    size_t len;
    uint32_t hash; /* tpl_part_hash(s, len) */
    /* The first 16 bytes, zero-padded: for a part of at most 16 bytes,
     * equal words and lengths are equal strings, two compares instead of
     * a memcmp. */
    uint64_t head[2];
};

/* A name as written, split at dots; "." is nparts == 0. */
struct tpl_name {
    const char *full;    /* as written, for messages and partial names */
    const struct tpl_part *parts;
    size_t nparts;
};

struct tpl_node {
    enum tpl_node_type type;
    unsigned line;            /* line of the tag (or of the text's start) */
    struct tpl_node *next;    /* next sibling */
    struct tpl_node *kids;    /* SECTION, INVERTED, PARENT, BLOCK */
    const char *text;         /* TEXT: bytes (not NUL-terminated) */
    size_t len;               /* TEXT: byte count */
    struct tpl_name name;     /* all but TEXT */
    int raw;                  /* VAR: not escaped */
    int dynamic;              /* PARTIAL: name is looked up in the data */
    /*
     * PARTIAL, PARENT, BLOCK: indentation added to each line of what they
     * expand to, and whether that expansion starts at the start of a line
     * (the tag stood alone on its line, so the whitespace before it is this
     * indentation rather than literal text).
     */
    const char *indent;
    size_t indent_len;
    int at_bol;
    const struct tpl *owner;  /* PARTIAL, PARENT: for error messages */
};

struct tpl_chunk {
    struct tpl_chunk *next;
    size_t used, size;
    /* max_align_t keeps the bytes after the header aligned for any node */
    _Alignas(max_align_t) unsigned char mem[];
};

struct tpl {
    char *name;               /* owned (in the arena) */
    struct tpl_node *root;    /* first top-level node */
    struct tpl_chunk *arena;  /* every node and string of this template */
};

/* Arena allocation: zeroed memory that lives until tpl_free. */
void *tpl_arena_alloc(struct tpl *t, size_t n);
char *tpl_arena_strndup(struct tpl *t, const char *s, size_t n);

/* A space or a tab: what counts as indentation.  Inline, because the
 * tree builder and the renderer both ask and neither should call the
 * other for it. */
static inline int tpl_is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* FNV-1a: a part's hash, made once when the template is compiled. */
static inline uint32_t tpl_part_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/*
 * tpl_ctx.c: the data side of a render.  The stack of contexts names are
 * looked up through (innermost last), and a memo of (object, key) ->
 * value lookups made during this render: the data does not change while
 * it renders, and the default messages ask for the same few names (and,
 * for every dotted name, its first part in the same root object) many
 * times over.  The memo is a cache of fixed size, one pair a slot, a new
 * pair taking the slot of an old one: how big the data or the template
 * is changes only how often it helps.
 */
#define TPL_MEMO_SLOTS 512 /* a power of two */
#define TPL_STACK_INLINE 16
struct tpl_memo_slot {
    const json_t *obj;
    const struct tpl_part *key;
    const json_t *val; /* NULL: the object has no such key */
};
struct tpl_ctx {
    const json_t **stack; /* inline until it outgrows it */
    size_t sp, cap;
    const json_t *inline_stack[TPL_STACK_INLINE];
    uint64_t used[TPL_MEMO_SLOTS / 64]; /* which memo slots are filled */
    struct tpl_memo_slot memo[TPL_MEMO_SLOTS];
};
void tpl_ctx_init(struct tpl_ctx *c);
void tpl_ctx_free(struct tpl_ctx *c);
/* Double the stack (the slow half of tpl_ctx_push); AB_ENOMEM. */
enum ab_err tpl_ctx_grow(struct tpl_ctx *c) AB_MUST_CHECK;
/* Inline: every section pushes, and the stack rarely has to grow.
 * AB_ENOMEM when it cannot. */
static inline enum ab_err tpl_ctx_push(struct tpl_ctx *c, const json_t *v)
{
    enum ab_err e;
    if (c->sp == c->cap && (e = tpl_ctx_grow(c)))
        return e;
    c->stack[c->sp++] = v;
    return AB_OK;
}
static inline void tpl_ctx_pop(struct tpl_ctx *c)
{
    c->sp--;
}
/* The innermost context, or NULL when there is none. */
static inline const json_t *tpl_ctx_top(const struct tpl_ctx *c)
{
    return c->sp ? c->stack[c->sp - 1] : NULL;
}
/* What nm names (borrowed from the data), or NULL when nothing. */
const json_t *tpl_ctx_lookup(struct tpl_ctx *c, const struct tpl_name *nm);

/* tpl_map.c: string keys (copied) to pointers (not owned unless free_val). */
struct tpl_map_slot {
    char *key;
    size_t klen;
    void *val;
};
struct tpl_map {
    struct tpl_map_slot *slots;
    size_t cap, n;
};
void tpl_map_init(struct tpl_map *m);
void tpl_map_free(struct tpl_map *m, void (*free_val)(void *));
/* The value's slot, or NULL when the key is absent. */
void **tpl_map_get(const struct tpl_map *m, const char *key, size_t klen);
enum ab_err tpl_map_put(struct tpl_map *m, const char *key, size_t klen,
                        void *val) AB_MUST_CHECK;

#endif
