/*
 * tpl_tags.c - builds the node tree from the tags the scanner finds, and
 * decides every whitespace rule of Mustache once, at compile time, so that
 * the renderer only follows flags:
 *
 *  - A "standalone" tag (section, inverted, close, comment, set-delimiter,
 *    partial, block) is alone on its line apart from blanks: the whole line,
 *    newline included, disappears from the output.
 *  - A standalone partial keeps its leading blanks as indentation for every
 *    line of the partial.  A parent pair {{<p}}...{{/p}} is standalone when
 *    the open tag has only blanks to its left and the close tag only blanks
 *    to its right (what lies between is the parent's argument list, where
 *    text is ignored).
 *  - Blocks carry indentation the other way round (~inheritance "Block
 *    reindentation"): the indentation a block's content has where it is
 *    written is removed from each of its lines here, and the indentation of
 *    the place where it is expanded is added back when rendering.  That is
 *    the "strip prefix" each frame carries; nested blocks strip relative to
 *    their enclosing block.
 *
 * It also keeps the parser's line numbers and makes its error messages
 * ("NAME:LINE: what"), for itself and for the scanner (tpl_parse.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"
#include "templates/tpl_parse.h"

/* ---- where in the source, and errors that say so ------------------------
 * Here rather than in the scanner: both files report errors, and the
 * scanner already calls this file, so this file must not call back. */

unsigned tpl_line_at(struct tpl_parser *p, size_t pos)
{
    while (p->line_pos < pos) {
        if (p->src[p->line_pos++] == '\n')
            p->line_no++;
    }
    while (p->line_pos > pos) {
        if (p->src[--p->line_pos] == '\n')
            p->line_no--;
    }
    return p->line_no;
}

enum ab_err tpl_perr(struct tpl_parser *p, size_t pos, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ab_fail(p->em, AB_ETEMPLATE, "%s:%u: %s", p->t->name,
                   tpl_line_at(p, pos), msg);
}

enum ab_err tpl_oom(struct tpl_parser *p)
{
    return ab_fail(p->em, AB_ENOMEM, "%s: out of memory", p->t->name);
}


/*
 * Only blanks between the start of pos's line and pos?  *ls is that line
 * start when they are.  Scans back only over blanks, so that a long line
 * full of tags costs no more than a short one.
 */
static int left_clear(const struct tpl_parser *p, size_t pos, size_t *ls)
{
    size_t i = pos;
    while (i > 0 && tpl_is_blank(p->src[i - 1]))
        i--;
    *ls = i;
    return i == 0 || p->src[i - 1] == '\n';
}

/* Only blanks from pos to the end of its line?  *rest is just past it. */
static int right_clear(const struct tpl_parser *p, size_t pos, size_t *rest)
{
    size_t i = pos;
    while (i < p->len && tpl_is_blank(p->src[i]))
        i++;
    if (i == p->len) {
        *rest = i;
        return 1;
    }
    if (p->src[i] == '\n') {
        *rest = i + 1;
        return 1;
    }
    if (p->src[i] == '\r' && i + 1 < p->len && p->src[i + 1] == '\n') {
        *rest = i + 2;
        return 1;
    }
    return 0;
}

/* How many leading chars of src[a..b) match the strip prefix. */
static size_t common_prefix(const char *s, size_t n, const char *strip,
                            size_t striplen)
{
    size_t k = 0;
    while (k < n && k < striplen && s[k] == strip[k])
        k++;
    return k;
}

static size_t blanks_at(const struct tpl_parser *p, size_t pos)
{
    size_t i = pos;
    while (i < p->len && tpl_is_blank(p->src[i]))
        i++;
    return i - pos;
}

static struct tpl_node *new_node(struct tpl_parser *p, enum tpl_node_type type,
                                 size_t pos)
{
    struct tpl_node *n = tpl_arena_alloc(p->t, sizeof *n);
    if (n) {
        n->type = type;
        n->line = tpl_line_at(p, pos);
        n->owner = p->t;
    }
    return n;
}

/*
 * Text src[a..b) as nodes appended at *tail, with the frame's strip prefix
 * removed from each line that starts inside it.  Text directly inside a
 * parent tag is dropped: only the blocks there mean anything.
 */
static enum ab_err text_to(struct tpl_parser *p, const struct tpl_frame *f, size_t a,
                           size_t b, struct tpl_node ***tail)
{
    if (f->kind == F_PARENT)
        return AB_OK;
    while (a < b) {
        size_t end = b;
        if (f->striplen) {
            if (a == 0 || p->src[a - 1] == '\n')
                a += common_prefix(p->src + a, b - a, f->strip, f->striplen);
            const char *nl = memchr(p->src + a, '\n', b - a);
            end = nl ? (size_t)(nl - p->src) + 1 : b;
        }
        if (end > a) {
            struct tpl_node *n = new_node(p, TPL_N_TEXT, a);
            if (!n)
                return tpl_oom(p);
            n->text = p->src + a;
            n->len = end - a;
            **tail = n;
            *tail = &n->next;
        }
        a = end;
    }
    return AB_OK;
}

static enum ab_err text(struct tpl_parser *p, size_t a, size_t b)
{
    struct tpl_frame *f = &p->fr[p->nfr - 1];
    return text_to(p, f, a, b, &f->tail);
}

/* Split a tag's name into parts; "." is the current item. */
static enum ab_err make_name(struct tpl_parser *p, size_t pos, const char *s,
                             size_t n, int dotted, struct tpl_name *out)
{
    if (n == 0)
        return tpl_perr(p, pos, "empty tag");
    for (size_t i = 0; i < n; i++)
        if (tpl_is_space(s[i])) {
            char tmp[128];
            snprintf(tmp, sizeof tmp, "%.*s", (int)(n < 100 ? n : 100), s);
            return tpl_perr(p, pos, "blank inside tag name '%s'", tmp);
        }
    char *full = tpl_arena_strndup(p->t, s, n);
    if (!full)
        return tpl_oom(p);
    out->full = full;
    out->parts = NULL;
    out->nparts = 0;
    if (!dotted || (n == 1 && s[0] == '.'))
        return AB_OK;
    size_t np = 1;
    for (size_t i = 0; i < n; i++)
        np += s[i] == '.';
    struct tpl_part *parts = tpl_arena_alloc(p->t, np * sizeof *parts);
    char *copy = tpl_arena_strndup(p->t, s, n);
    if (!parts || !copy)
        return tpl_oom(p);
    size_t k = 0;
    char *c = copy;
    for (;;) {
        char *dot = strchr(c, '.');
        if (dot)
            *dot = '\0';
        if (!*c)
            return tpl_perr(p, pos, "empty part in dotted name '%s'", full);
        parts[k].s = c;
        parts[k].len = strlen(c);
        parts[k].hash = tpl_part_hash(c, parts[k].len);
        memcpy(parts[k].head, c, parts[k].len < 16 ? parts[k].len : 16);
        k++;
        if (!dot)
            break;
        c = dot + 1;
    }
    out->parts = parts;
    out->nparts = k;
    return AB_OK;
}

static enum ab_err push(struct tpl_parser *p, enum tpl_frame_kind kind,
                        struct tpl_node *n)
{
    if (p->nfr > TPL_MAX_NESTING)
        return tpl_perr(p, p->pos, "sections nested more than %d deep",
                        TPL_MAX_NESTING);
    if (p->nfr == p->capfr) {
        size_t cap = p->capfr ? p->capfr * 2 : 8;
        struct tpl_frame *fr = ab_realloc(p->fr, cap * sizeof *fr);
        if (!fr)
            return tpl_oom(p);
        p->fr = fr;
        p->capfr = cap;
    }
    struct tpl_frame *up = p->nfr ? &p->fr[p->nfr - 1] : NULL;
    struct tpl_frame *f = &p->fr[p->nfr++];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->node = n;
    if (n)
        f->tail = &n->kids;
    if (up) {
        f->strip = up->strip;
        f->striplen = up->striplen;
    }
    return AB_OK;
}

static void append(struct tpl_parser *p, struct tpl_node *n)
{
    struct tpl_frame *f = &p->fr[p->nfr - 1];
    *f->tail = n;
    f->tail = &n->next;
}

/*
 * A block's content: blanks that start its first line (at pos) become the
 * frame's strip prefix, relative to the enclosing one.  Returns the part
 * beyond the enclosing prefix, which is the block's own indentation.
 */
static void block_indent(struct tpl_parser *p, struct tpl_frame *f, size_t pos,
                         size_t nblank, struct tpl_node *n)
{
    const char *ws = p->src + pos;
    size_t k = common_prefix(ws, nblank, f->strip, f->striplen);
    if (k == f->striplen) {
        n->indent = ws + k;
        n->indent_len = nblank - k;
        f->strip = ws;
        f->striplen = nblank;
    } else {
        n->indent = "";
        n->indent_len = 0;
    }
}

static void rel_indent(const struct tpl_frame *f, const char *ws, size_t n,
                       struct tpl_node *node)
{
    size_t k = common_prefix(ws, n, f->strip, f->striplen);
    node->indent = ws + k;
    node->indent_len = n - k;
}

static const char *kind_word(const struct tpl_node *n)
{
    switch (n->type) {
    case TPL_N_INVERTED: return "unclosed inverted section";
    case TPL_N_PARENT: return "unclosed parent";
    case TPL_N_BLOCK: return "unclosed block";
    default: return "unclosed section";
    }
}


/* "{{=<% %>=}}": content is what lies between the two '=' signs. */
static enum ab_err set_delims(struct tpl_parser *p, size_t at, const char *s,
                              size_t n)
{
    size_t i = 0;
    while (i < n && tpl_is_space(s[i]))
        i++;
    size_t a = i;
    while (i < n && !tpl_is_space(s[i]))
        i++;
    size_t alen = i - a;
    while (i < n && tpl_is_space(s[i]))
        i++;
    size_t b = i;
    while (i < n && !tpl_is_space(s[i]))
        i++;
    size_t blen = i - b;
    while (i < n && tpl_is_space(s[i]))
        i++;
    if (!alen || !blen || i != n || memchr(s + a, '=', alen) ||
        memchr(s + b, '=', blen))
        return tpl_perr(p, at, "bad set-delimiters tag (want {{=OPEN CLOSE=}})");
    p->otag = s + a;
    p->olen = alen;
    p->ctag = s + b;
    p->clen = blen;
    return AB_OK;
}

/* Emit the text before a tag: up to its line start when it stands alone. */
static enum ab_err before(struct tpl_parser *p, int standalone, size_t ls,
                          size_t at)
{
    if (standalone)
        return text(p, p->pos, ls > p->pos ? ls : p->pos);
    return text(p, p->pos, at);
}

static enum ab_err close_tag(struct tpl_parser *p, size_t at, size_t end,
                             const char *nm, size_t nlen)
{
    size_t ls, rest;
    int lc = left_clear(p, at, &ls), rc = right_clear(p, end, &rest);
    enum ab_err e;
    if (p->nfr == 1)
        return tpl_perr(p, at, "closing tag '%.*s' closes nothing", (int)nlen, nm);
    struct tpl_frame *f = &p->fr[p->nfr - 1];
    struct tpl_node *n = f->node;
    if (strlen(n->name.full) != nlen || memcmp(n->name.full, nm, nlen) != 0)
        return tpl_perr(p, at, "closing tag '%.*s' does not match '%s' opened on "
                     "line %u", (int)nlen, nm, n->name.full, n->line);
    if (f->kind == F_BLOCK && f->override) {
        /* The line end after it belongs to the parent's argument list,
         * which is ignored; only blanks before it are the tag's. */
        if ((e = before(p, lc, ls, at)))
            return e;
        p->pos = end;
    } else if (f->kind == F_PARENT) {
        if (f->left_clear && rc) {
            n->at_bol = 1;
            rel_indent(f, p->src + f->ws_a, f->ws_b - f->ws_a, n);
            p->pos = rest;
        } else {
            if (f->left_clear && f->ws_b > f->ws_a) {
                /* Not standalone after all: the blanks held back at the
                 * open tag are literal text, in front of the parent. */
                struct tpl_node *head = NULL, **t = &head;
                if ((e = text_to(p, &p->fr[p->nfr - 2], f->ws_a, f->ws_b, &t)))
                    return e;
                if (head) {
                    *t = *f->link;
                    *f->link = head;
                }
            }
            p->pos = end;
        }
    } else {
        if ((e = before(p, lc && rc, ls, at)))
            return e;
        p->pos = lc && rc ? rest : end;
    }
    p->nfr--;
    return AB_OK;
}

/* Where a standalone block's content starts, its first non-blank line. */
static size_t first_content_line(const struct tpl_parser *p, size_t pos)
{
    for (;;) {
        size_t b = blanks_at(p, pos), i = pos + b;
        if (i < p->len && p->src[i] == '\n')
            pos = i + 1;
        else if (i + 1 < p->len && p->src[i] == '\r' && p->src[i + 1] == '\n')
            pos = i + 2;
        else
            return pos;
    }
}

static enum ab_err open_block(struct tpl_parser *p, struct tpl_node *n, size_t at,
                              size_t end)
{
    size_t ls, rest;
    int lc = left_clear(p, at, &ls), rc = right_clear(p, end, &rest);
    int in_parent = p->fr[p->nfr - 1].kind == F_PARENT;
    enum ab_err e;
    if (!in_parent && (e = before(p, lc && rc, ls, at)))
        return e;
    append(p, n);
    if ((e = push(p, F_BLOCK, n)))
        return e;
    struct tpl_frame *f = &p->fr[p->nfr - 1];
    f->override = in_parent;
    n->indent = "";
    if (rc && (lc || in_parent)) {
        /* Standalone: content starts on the next line, and its own
         * indentation is what each of its lines loses. */
        n->at_bol = 1;
        p->pos = rest;
        size_t fl = first_content_line(p, rest);
        block_indent(p, f, fl, blanks_at(p, fl), n);
    } else if (lc && !in_parent) {
        /* Inline, but only blanks to its left: those blanks stay as text,
         * and are the indentation of the content's further lines. */
        block_indent(p, f, ls, at - ls, n);
        p->pos = end;
    } else {
        p->pos = end;
    }
    return AB_OK;
}

/* {{>name}} or {{>*name}}; a standalone one indents what it expands to
 * by the blanks left of it (ls..at). */
static enum ab_err partial_tag(struct tpl_parser *p, size_t at, size_t end,
                               int standalone, size_t ls, size_t rest, const char *c,
                               size_t n)
{
    struct tpl_frame *f = &p->fr[p->nfr - 1];
    struct tpl_node *node = new_node(p, TPL_N_PARTIAL, at);
    enum ab_err e;
    if (!node)
        return tpl_oom(p);
    if (n && c[0] == '*') {
        node->dynamic = 1;
        c++;
        n--;
        tpl_trim(&c, &n);
    }
    if ((e = make_name(p, at, c, n, node->dynamic, &node->name)) ||
        (e = before(p, standalone, ls, at)))
        return e;
    node->indent = "";
    if (standalone) {
        node->at_bol = 1;
        rel_indent(f, p->src + ls, at - ls, node);
    }
    p->pos = standalone ? rest : end;
    if (f->kind != F_PARENT)
        append(p, node);
    return AB_OK;
}

/* {{<name}}: whether it stands alone is known only at its close tag, so
 * the frame keeps the blanks to its left and where the node is linked. */
static enum ab_err parent_tag(struct tpl_parser *p, size_t at, size_t end, const char *c,
                              size_t n)
{
    struct tpl_frame *f = &p->fr[p->nfr - 1];
    struct tpl_node *node = new_node(p, TPL_N_PARENT, at);
    size_t ls;
    enum ab_err e;
    if (!node)
        return tpl_oom(p);
    int lc = left_clear(p, at, &ls);
    if ((e = make_name(p, at, c, n, 0, &node->name)) || (e = before(p, lc, ls, at)))
        return e;
    node->indent = "";
    struct tpl_node **link = f->tail;
    append(p, node);
    if ((e = push(p, F_PARENT, node)))
        return e;
    f = &p->fr[p->nfr - 1];
    f->left_clear = lc;
    f->ws_a = ls;
    f->ws_b = at;
    f->link = link;
    p->pos = end;
    return AB_OK;
}

enum ab_err tpl_tag(struct tpl_parser *p, size_t at, size_t end, char sig,
                       const char *c, size_t n)
{
    size_t ls = 0, rest = 0;
    int standalone = 0;
    struct tpl_frame *f = &p->fr[p->nfr - 1];
    struct tpl_node *node;
    enum ab_err e;

    if (sig == '#' || sig == '^' || sig == '!' || sig == '=' || sig == '>') {
        int lc = left_clear(p, at, &ls);
        int rc = right_clear(p, end, &rest);
        standalone = lc && rc;
    }
    switch (sig) {
    case '!':
    case '=':
        if ((e = before(p, standalone, ls, at)))
            return e;
        p->pos = standalone ? rest : end;
        return sig == '=' ? set_delims(p, at, c, n) : AB_OK;
    case '/':
        return close_tag(p, at, end, c, n);
    case '#':
    case '^':
        if (!(node = new_node(p, sig == '#' ? TPL_N_SECTION : TPL_N_INVERTED,
                              at)))
            return tpl_oom(p);
        if ((e = make_name(p, at, c, n, 1, &node->name)) ||
            (e = before(p, standalone, ls, at)))
            return e;
        p->pos = standalone ? rest : end;
        append(p, node);
        return push(p, F_SECTION, node);
    case '>': return partial_tag(p, at, end, standalone, ls, rest, c, n);
    case '<': return parent_tag(p, at, end, c, n);
    case '$':
        if (!(node = new_node(p, TPL_N_BLOCK, at)))
            return tpl_oom(p);
        if ((e = make_name(p, at, c, n, 0, &node->name)))
            return e;
        return open_block(p, node, at, end);
    default: /* '&', '{' and plain variables */
        if (!(node = new_node(p, TPL_N_VAR, at)))
            return tpl_oom(p);
        node->raw = sig != 0;
        if ((e = make_name(p, at, c, n, 1, &node->name)) ||
            (e = text(p, p->pos, at)))
            return e;
        p->pos = end;
        if (f->kind != F_PARENT)
            append(p, node);
        return AB_OK;
    }
}


enum ab_err tpl_tags_begin(struct tpl_parser *p)
{
    enum ab_err e = push(p, F_ROOT, NULL);
    if (!e)
        p->fr[0].tail = &p->t->root;
    return e;
}

enum ab_err tpl_tags_end(struct tpl_parser *p)
{
    enum ab_err e = text(p, p->pos, p->len);
    if (e)
        return e;
    p->pos = p->len;
    if (p->nfr > 1) {
        struct tpl_node *n = p->fr[p->nfr - 1].node;
        return ab_fail(p->em, AB_ETEMPLATE, "%s:%u: %s '%s'", p->t->name,
                       n->line, kind_word(n), n->name.full);
    }
    return AB_OK;
}
