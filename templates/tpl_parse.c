/*
 * tpl_parse.c - compiles Mustache source into a node tree (see tpl_int.h):
 * the scanner, which finds tags under the current delimiters.  What each
 * tag means, and the whitespace rules, live in tpl_tags.c, which this file
 * calls and which never calls back (its line numbers and error messages
 * are its own, so the two files do not form a loop).
 */
#include <string.h>

#include "common/ab_mem.h"
#include "templates/tpl_parse.h"

static const void *find(const char *hay, size_t hlen, const char *nd,
                        size_t nlen)
{
    return memmem(hay, hlen, nd, nlen);
}

/* Find the close delimiter that follows the char want ('}' or '='). */
static int find_close_after(const struct tpl_parser *p, size_t from, char want,
                            size_t *cpos)
{
    size_t min = from;
    for (;;) {
        const char *c = find(p->src + from, p->len - from, p->ctag, p->clen);
        if (!c)
            return 0;
        size_t at = (size_t)(c - p->src);
        if (at > min && p->src[at - 1] == want) {
            *cpos = at;
            return 1;
        }
        from = at + 1;
    }
}

static enum ab_err parse(struct tpl_parser *p)
{
    enum ab_err e;
    while (p->pos < p->len) {
        const char *o = find(p->src + p->pos, p->len - p->pos, p->otag, p->olen);
        if (!o)
            break;
        size_t at = (size_t)(o - p->src), q = at + p->olen, cpos, end;
        char sig = q < p->len ? p->src[q] : 0;
        const char *c;
        size_t n;
        if (sig == '{' || sig == '=') {
            if (!find_close_after(p, q + 1, sig == '{' ? '}' : '=', &cpos))
                return tpl_perr(p, at, sig == '{' ? "unclosed tag (want '}' "
                                "and the closing delimiter)"
                                          : "unclosed set-delimiters tag");
            c = p->src + q + 1;
            n = cpos - 1 - (q + 1);
            end = cpos + p->clen;
        } else {
            const char *cl = find(p->src + q, p->len - q, p->ctag, p->clen);
            if (!cl)
                return tpl_perr(p, at, "unclosed tag");
            c = p->src + q;
            n = (size_t)(cl - c);
            end = (size_t)(cl - p->src) + p->clen;
            tpl_trim(&c, &n);
            sig = n ? *c : 0;
            if (sig && strchr("#^/>!<$&", sig)) {
                c++;
                n--;
            } else {
                sig = 0;
            }
        }
        if (sig != '!' && sig != '=')
            tpl_trim(&c, &n);
        if ((e = tpl_tag(p, at, end, sig, c, n)))
            return e;
    }
    return tpl_tags_end(p);
}

enum ab_err tpl_compile(const char *name, const char *src, size_t len,
                        tpl **out, ab_errmsg *em)
{
    struct tpl_parser p;
    enum ab_err e = AB_OK;
    *out = NULL;
    if (!name)
        name = "(template)";
    struct tpl *t = ab_calloc(1, sizeof *t);
    if (!t)
        return ab_fail(em, AB_ENOMEM, "%s: out of memory", name);
    char *copy = NULL;
    if (!(t->name = tpl_arena_strndup(t, name, strlen(name))) ||
        !(copy = tpl_arena_alloc(t, len + 1))) {
        tpl_free(t);
        return ab_fail(em, AB_ENOMEM, "%s: out of memory", name);
    }
    if (len)
        memcpy(copy, src, len);
    memset(&p, 0, sizeof p);
    p.t = t;
    p.src = copy;
    p.len = len;
    p.otag = "{{";
    p.ctag = "}}";
    p.olen = p.clen = 2;
    p.line_no = 1;
    p.em = em;
    if (!(e = tpl_tags_begin(&p)))
        e = parse(&p);
    ab_free(p.fr);
    if (e) {
        tpl_free(t);
        return e;
    }
    *out = t;
    return AB_OK;
}
