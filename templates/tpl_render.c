/*
 * tpl_render.c - walks a compiled template against JSON data.
 *
 * Indentation of standalone partials and of blocks is applied here, at the
 * start of each template line: need_indent is set by a newline of template
 * text and spent by the next output.  Newlines inside values never set it
 * (the spec indents the partial's lines, not the data).  Empty template
 * lines get no indentation, so that indented output has no trailing blanks.
 *
 * Inheritance: each {{<parent}} pushes a frame that records which blocks
 * it passes.  A block looks its name up from the outermost frame in, so
 * the template that started the chain has the last word ("Multi-level
 * inheritance"), and renders the content it finds with the frames that
 * were in force where that content was written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_mem.h"
#include "templates/tpl_int.h"

#define MAX_NESTING 1000 /* sections, blocks and partials within each other */

struct ovr {
    const struct tpl_node *parent; /* PARENT node; its BLOCK kids override */
    const struct ovr *next;        /* the frames where that tag was written */
};

struct rstate {
    const struct tpl_render_opts *o;
    ab_buf *out;
    size_t base;       /* out->len when the render started */
    size_t max;        /* most bytes this render may add */
    size_t fast_end;   /* put() copies without ab_buf while len + n < this */
    unsigned long max_steps;
    ab_errmsg *em;
    struct tpl_ctx *ctx; /* names and the lookup memo (tpl_ctx.c) */
    ab_buf ind;        /* current indentation */
    int need_indent;
    unsigned partials; /* partials and parents being expanded */
    unsigned nesting;
    unsigned long steps;
};

static enum ab_err render_list(struct rstate *r, const struct tpl_node *n,
                               const struct ovr *ov);

/* ---- output ----------------------------------------------------------- */

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/*
 * Where put() may copy up to (exclusive): what the buffer has allocated
 * (less the byte its NUL needs), and no further than either cap allows.
 * 0 while nothing is allocated, so that the first put goes to ab_buf.
 * A cap so large that one more overflows is as good as no cap here.
 */
static void set_fast_end(struct rstate *r)
{
    const ab_buf *b = r->out;
    size_t end = b->data ? b->cap : 0;
    if (b->max < SIZE_MAX)
        end = min_size(end, b->max + 1);
    if (r->max < SIZE_MAX - 1 - r->base)
        end = min_size(end, r->base + r->max + 1);
    r->fast_end = end;
}

/* Growth, the caps and their errors: what put() leaves to ab_buf. */
static enum ab_err put_slow(struct rstate *r, const char *s, size_t n)
{
    if (r->out->len - r->base + n > r->max)
        return ab_fail(r->em, AB_ERANGE, "rendered output exceeds %zu bytes",
                       r->max);
    enum ab_err e = ab_buf_append(r->out, s, n);
    if (e == AB_ENOMEM)
        return ab_fail(r->em, e, "out of memory while rendering");
    if (e)
        return ab_fail(r->em, e, "rendered output too large for its buffer");
    set_fast_end(r);
    return AB_OK;
}

/*
 * A message is a few hundred short pieces, so the common case, room to
 * spare under every cap, is copied here with one compare and no call into
 * ab_buf.  It leaves the NUL that ab_buf keeps after its bytes to the end
 * of the render (tpl_render writes it): nobody reads the buffer in
 * between.  len < fast_end always holds once the buffer exists, so the
 * subtraction cannot wrap.
 */
static inline enum ab_err put(struct rstate *r, const char *s, size_t n)
{
    ab_buf *b = r->out;
    if (n < r->fast_end - b->len) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
        return AB_OK;
    }
    return put_slow(r, s, n);
}

static enum ab_err put_indent(struct rstate *r)
{
    r->need_indent = 0;
    return r->ind.len ? put(r, r->ind.data, r->ind.len) : AB_OK;
}

/* Template text: the indentation goes before each non-empty line. */
static enum ab_err put_text(struct rstate *r, const char *s, size_t n)
{
    enum ab_err e;
    if (!r->ind.len) {
        if (n)
            r->need_indent = s[n - 1] == '\n';
        return put(r, s, n);
    }
    while (n) {
        const char *nl = memchr(s, '\n', n);
        size_t k = nl ? (size_t)(nl - s) + 1 : n;
        int empty = nl && (k == 1 || (k == 2 && s[0] == '\r'));
        if (r->need_indent && !empty && (e = put_indent(r)))
            return e;
        if ((e = put(r, s, k)))
            return e;
        r->need_indent = nl != NULL;
        s += k;
        n -= k;
    }
    return AB_OK;
}

/* What HTML escaping turns each byte into; most bytes stay as they are
 * (no entry). */
static const struct {
    const char *s;
    size_t n;
} html_entity[256] = {
    ['&'] = {"&amp;", 5},  ['<'] = {"&lt;", 4},   ['>'] = {"&gt;", 4},
    ['"'] = {"&quot;", 6}, ['\''] = {"&#39;", 5},
};

#define BYTES_01 0x0101010101010101ull
#define BYTES_80 0x8080808080808080ull

/* Non-zero when one of the 8 bytes of v is 0 (exact, as a yes or no:
 * Hacker's Delight, "Find First 0-Byte"). */
static inline uint64_t has_zero_byte(uint64_t v)
{
    return (v - BYTES_01) & ~v & BYTES_80;
}

/*
 * Does one of the bytes of w need escaping?  Most values have no such
 * byte at all, and 8 at a time is several times fewer steps than a look
 * at each.  (A zero byte is none of them: a short value can be padded.)
 * Three tests cover the five: '&' (0x26) and '\'' (0x27) differ only in
 * bit 0, '<' (0x3c) and '>' (0x3e) only in bit 1, so setting that bit
 * in every byte makes each pair one value, and no other byte becomes it.
 */
static inline int word_needs_escape(uint64_t w)
{
    return (has_zero_byte((w | BYTES_01) ^ (BYTES_01 * '\'')) |
            has_zero_byte((w | BYTES_01 * 2) ^ (BYTES_01 * '>')) |
            has_zero_byte(w ^ (BYTES_01 * '"'))) != 0;
}

static inline uint64_t word_at(const char *s)
{
    uint64_t w;
    memcpy(&w, s, sizeof w);
    return w;
}

/* Is there nothing to escape in s[0..n)?  The words of a longer value
 * are checked in place (the last one overlapping its predecessor), a
 * shorter one is padded with zero bytes. */
static int nothing_to_escape(const char *s, size_t n)
{
    if (n < 8) {
        uint64_t w = 0;
        memcpy(&w, s, n);
        return !word_needs_escape(w);
    }
    for (size_t i = 0; i + 8 <= n; i += 8)
        if (word_needs_escape(word_at(s + i)))
            return 0;
    return !word_needs_escape(word_at(s + n - 8));
}

/* s[0..n) HTML-escaped: the runs between special bytes as they are. */
static enum ab_err put_escaped(struct rstate *r, const char *s, size_t n)
{
    enum ab_err e;
    size_t run = 0, i = 0;
    if (nothing_to_escape(s, n))
        return put(r, s, n);
    while (i < n) {
        if (n - i >= 8 && !word_needs_escape(word_at(s + i))) {
            i += 8;
            continue;
        }
        for (size_t end = n - i >= 8 ? i + 8 : n; i < end; i++) {
            unsigned char c = (unsigned char)s[i];
            if (!html_entity[c].n)
                continue;
            if ((e = put(r, s + run, i - run)) ||
                (e = put(r, html_entity[c].s, html_entity[c].n)))
                return e;
            run = i + 1;
        }
    }
    return put(r, s + run, n - run);
}

/* A value: escaped in HTML mode unless raw; never sets need_indent. */
static enum ab_err put_value(struct rstate *r, const char *s, size_t n,
                             int raw)
{
    enum ab_err e;
    if (!n)
        return AB_OK;
    if (r->need_indent && (e = put_indent(r)))
        return e;
    if (raw || r->o->mode != TPL_HTML)
        return put(r, s, n);
    return put_escaped(r, s, n);
}

/* An integer in decimal, as "%" JSON_INTEGER_FORMAT writes it, without
 * printf's parsing of a format for every number of a message.  buf has
 * room for 21 bytes; returns where the digits start (they end at buf +
 * 21). */
static char *format_int(json_int_t v, char *buf)
{
    char *p = buf + 21;
    /* The magnitude as unsigned, which is defined for the most negative
     * value too. */
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return p;
}

/* The shortest decimal that reads back as the same double. */
static void format_real(double d, char *buf, size_t len)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            return;
    }
}

struct dump_ctx {
    struct rstate *r;
    int raw;
    enum ab_err e;
};

static int dump_cb(const char *buf, size_t size, void *ud)
{
    struct dump_ctx *d = ud;
    d->e = put_value(d->r, buf, size, d->raw);
    return d->e ? -1 : 0;
}

static enum ab_err put_json(struct rstate *r, const json_t *v, int raw)
{
    char num[64];
    const char *digits;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return put_value(r, json_string_value(v), json_string_length(v), raw);
    case JSON_INTEGER:
        digits = format_int(json_integer_value(v), num);
        return put_value(r, digits, (size_t)(num + 21 - digits), raw);
    case JSON_REAL:
        format_real(json_real_value(v), num, sizeof num);
        return put_value(r, num, strlen(num), raw);
    case JSON_TRUE:
        return put_value(r, "true", 4, raw);
    case JSON_FALSE:
        return put_value(r, "false", 5, raw);
    case JSON_NULL:
        return AB_OK;
    default: {
        /* A list or object where a value was expected: show it as JSON,
         * which is what a person previewing a template wants to see. */
        struct dump_ctx d = {r, raw, AB_OK};
        if (json_dump_callback(v, dump_cb, &d, JSON_COMPACT | JSON_ENCODE_ANY) &&
            !d.e)
            d.e = ab_fail(r->em, AB_ENOMEM, "out of memory while rendering");
        return d.e;
    }
    }
}

/* ---- data ------------------------------------------------------------- */

static int truthy(const json_t *v)
{
    if (!v)
        return 0;
    switch (json_typeof(v)) {
    case JSON_OBJECT: return 1;
    case JSON_ARRAY: return json_array_size(v) > 0;
    case JSON_STRING: return json_string_length(v) > 0;
    case JSON_INTEGER:
    case JSON_REAL: /* 0 rows is a fact worth printing, not an absence */
    case JSON_TRUE: return 1;
    default: return 0;
    }
}

static enum ab_err push_ctx(struct rstate *r, const json_t *v)
{
    if (tpl_ctx_push(r->ctx, v))
        return ab_fail(r->em, AB_ENOMEM, "out of memory while rendering");
    return AB_OK;
}

static const json_t *lookup(struct rstate *r, const struct tpl_name *nm)
{
    return tpl_ctx_lookup(r->ctx, nm);
}

static enum ab_err nested(struct rstate *r, const struct tpl_node *kids,
                          const struct ovr *ov, const json_t *v)
{
    enum ab_err e;
    if (v && (e = push_ctx(r, v)))
        return e;
    e = render_list(r, kids, ov);
    if (v)
        tpl_ctx_pop(r->ctx);
    return e;
}

/* ---- partials, parents, blocks ---------------------------------------- */

/* Render kids with the node's indentation added, as a partial or block. */
static enum ab_err indented(struct rstate *r, const struct tpl_node *n,
                            const struct tpl_node *kids, const struct ovr *ov)
{
    size_t keep = r->ind.len;
    enum ab_err e;
    if (n->indent_len && ab_buf_append(&r->ind, n->indent, n->indent_len))
        return ab_fail(r->em, AB_ENOMEM, "out of memory while rendering");
    if (n->at_bol)
        r->need_indent = 1;
    e = render_list(r, kids, ov);
    r->ind.len = keep;
    if (r->ind.data)
        r->ind.data[keep] = '\0';
    return e;
}

static enum ab_err load(struct rstate *r, const struct tpl_node *n,
                        const tpl **t)
{
    const char *name = n->name.full;
    const char *what = n->type == TPL_N_PARENT ? "parent" : "partial";
    *t = NULL;
    if (n->dynamic) {
        const json_t *v = lookup(r, &n->name);
        if (!json_is_string(v))
            return AB_OK; /* the spec: a failed lookup renders nothing */
        name = json_string_value(v);
    }
    enum ab_err e = AB_ENOTFOUND;
    if (r->o->loader) {
        e = r->o->loader->load(r->o->loader->ud, name, t, r->em);
        if (e && e != AB_ENOTFOUND)
            return ab_failctx(r->em, e, "%s:%u: %s '%s'", n->owner->name,
                              n->line, what, name);
    }
    if (e == AB_ENOTFOUND) {
        *t = NULL;
        if (r->o->flags & TPL_MISSING_PARTIAL_EMPTY)
            return AB_OK;
        return ab_fail(r->em, AB_ETEMPLATE, "%s:%u: unknown %s '%s'",
                       n->owner->name, n->line, what, name);
    }
    if (r->partials >= r->o->max_depth)
        return ab_fail(r->em, AB_ETEMPLATE, "%s:%u: %s '%s' nested more than "
                       "%u deep (does it include itself?)", n->owner->name,
                       n->line, what, name, r->o->max_depth);
    return AB_OK;
}

static enum ab_err expand(struct rstate *r, const struct tpl_node *n,
                          const struct ovr *ov)
{
    const tpl *t;
    enum ab_err e = load(r, n, &t);
    if (e || !t)
        return e;
    struct ovr frame = {n, ov};
    r->partials++;
    e = indented(r, n, t->root, n->type == TPL_N_PARENT ? &frame : ov);
    r->partials--;
    return e;
}

static enum ab_err block(struct rstate *r, const struct tpl_node *n,
                         const struct ovr *ov)
{
    const struct tpl_node *use = NULL;
    const struct ovr *use_ov = ov;
    for (const struct ovr *f = ov; f; f = f->next) {
        for (const struct tpl_node *k = f->parent->kids; k; k = k->next) {
            if (k->type == TPL_N_BLOCK &&
                strcmp(k->name.full, n->name.full) == 0) {
                use = k; /* keep looking: the outermost frame wins */
                use_ov = f->next;
                break;
            }
        }
    }
    return indented(r, n, use ? use->kids : n->kids, use_ov);
}

/* ---- the walk --------------------------------------------------------- */

static enum ab_err render_node(struct rstate *r, const struct tpl_node *n,
                               const struct ovr *ov)
{
    const json_t *v;
    enum ab_err e;
    switch (n->type) {
    case TPL_N_TEXT:
        return put_text(r, n->text, n->len);
    case TPL_N_VAR:
        v = lookup(r, &n->name);
        return v ? put_json(r, v, n->raw) : AB_OK;
    case TPL_N_SECTION:
        v = lookup(r, &n->name);
        if (json_is_array(v)) {
            /* The data does not change while it renders: one size call. */
            for (size_t i = 0, len = json_array_size(v); i < len; i++)
                if ((e = nested(r, n->kids, ov, json_array_get(v, i))))
                    return e;
            return AB_OK;
        }
        return truthy(v) ? nested(r, n->kids, ov, v) : AB_OK;
    case TPL_N_INVERTED:
        v = lookup(r, &n->name);
        return truthy(v) ? AB_OK : nested(r, n->kids, ov, NULL);
    case TPL_N_PARTIAL:
    case TPL_N_PARENT:
        return expand(r, n, ov);
    case TPL_N_BLOCK:
        return block(r, n, ov);
    }
    return AB_OK;
}

static enum ab_err render_list(struct rstate *r, const struct tpl_node *n,
                               const struct ovr *ov)
{
    enum ab_err e = AB_OK;
    if (++r->nesting > MAX_NESTING) {
        e = ab_fail(r->em, AB_ETEMPLATE, "%s: sections and partials nested "
                    "more than %d deep", n ? n->owner->name : "template",
                    MAX_NESTING);
        goto out;
    }
    for (; n; n = n->next) {
        if (++r->steps > r->max_steps) {
            e = ab_fail(r->em, AB_ETEMPLATE, "%s:%u: rendering took more than "
                        "%lu steps (runaway loop?)", n->owner->name, n->line,
                        r->o->max_steps);
            goto out;
        }
        if ((e = render_node(r, n, ov)))
            goto out;
    }
out:
    r->nesting--;
    return e;
}

/* Header mode: no CR or LF survives (nor any other control character but
 * tab: a NUL from the data would cut a header short), and no blanks at
 * either end. */
static void header_clean(ab_buf *b, size_t base)
{
    char *s = b->data + base;
    size_t n = b->len - base;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
            s[i] = ' ';
    size_t a = 0;
    while (a < n && tpl_is_blank(s[a]))
        a++;
    while (n > a && tpl_is_blank(s[n - 1]))
        n--;
    memmove(s, s + a, n - a);
    b->len = base + n - a;
    b->data[b->len] = '\0';
}

enum ab_err tpl_render(const tpl *t, const json_t *data,
                       const struct tpl_render_opts *opts, ab_buf *out,
                       ab_errmsg *em)
{
    static const struct tpl_render_opts defaults = {.mode = TPL_HTML};
    struct tpl_render_opts o = opts ? *opts : defaults;
    /* Beside r, not in it: r is zeroed as it is made, and the memo is
     * kilobytes that tpl_ctx_init marks empty without touching them. */
    struct tpl_ctx ctx;
    enum ab_err e;
    if (!o.max_output)
        o.max_output = TPL_DEFAULT_MAX_OUTPUT;
    if (!o.max_depth)
        o.max_depth = TPL_DEFAULT_MAX_DEPTH;
    if (!o.max_steps)
        o.max_steps = TPL_DEFAULT_MAX_STEPS;
    struct rstate r = {.o = &o,
                       .out = out,
                       .base = out->len,
                       .max = o.max_output,
                       .max_steps = o.max_steps,
                       .em = em,
                       .ctx = &ctx};
    set_fast_end(&r);
    tpl_ctx_init(&ctx);
    ab_buf_init(&r.ind, 0);
    if (data && (e = push_ctx(&r, data)))
        goto out;
    if ((e = render_list(&r, t->root, NULL)))
        goto out;
    /* The buffer must exist even for empty output (callers read data),
     * and put() left its NUL to be written here. */
    if ((e = put_slow(&r, "", 0)))
        goto out;
    if (o.mode == TPL_HEADER)
        header_clean(out, r.base);
out:
    if (e) {
        out->len = r.base;
        if (out->data)
            out->data[r.base] = '\0';
    }
    tpl_ctx_free(&ctx);
    ab_buf_free(&r.ind);
    return e;
}

enum ab_err tpl_render_str(const tpl *t, const json_t *data,
                           const struct tpl_render_opts *opts, char **out,
                           ab_errmsg *em)
{
    ab_buf b;
    ab_buf_init(&b, 0);
    *out = NULL;
    enum ab_err e = tpl_render(t, data, opts, &b, em);
    if (e) {
        ab_buf_free(&b);
        return e;
    }
    if (!(*out = ab_buf_steal(&b)))
        return ab_fail(em, AB_ENOMEM, "out of memory while rendering");
    return AB_OK;
}
