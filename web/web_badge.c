/*
 * web_badge.c - SVG status badges, shields.io style, for READMEs and wikis:
 *
 *   GET /badge/CHECK.svg      one check: up, degraded, failing, offline,
 *                             paused, or no data
 *   GET /badge/tag/TAG.svg    the worst of the checks tagged TAG
 *
 * A flat two-part badge: the name on grey, the state on its colour.  The
 * text width is estimated (Verdana 11px averages about 7px a character),
 * as shields.io does without a font file.  Cached for a minute: readers'
 * caches (and GitHub's camo) should not hold a state for long.
 */
#include "web/web_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"

struct state {
    const char *word, *colour;
    int rank; /* worse is higher */
};

static const struct state S_NODATA = {"no data", "#9f9f9f", 0};
static const struct state S_PAUSED = {"paused", "#9f9f9f", 1};
static const struct state S_UP = {"up", "#4c1", 2};
static const struct state S_DEGRADED = {"degraded", "#dfb317", 3};
static const struct state S_FAILING = {"failing", "#e05d44", 4};
static const struct state S_OFFLINE = {"offline", "#555", 5};

static struct state check_state(web *w, const struct cfg_check *k, ab_time now)
{
    const struct eng_live_view *v = web_live(w, now);
    if (eng_live_paused(v, k->name, now, NULL))
        return S_PAUSED;
    const struct eng_live_check *x = eng_live_find(v, k->name);
    switch (x ? x->status : -1) {
    case AB_HEALTHY: return S_UP;
    case AB_DEGRADED: return S_DEGRADED;
    case AB_FAILING: return S_FAILING;
    case AB_OFFLINE: return S_OFFLINE;
    default: return S_NODATA;
    }
}

static int text_width(const char *s)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xc0) != 0x80) /* one per UTF-8 character */
            w += strchr("il.:|!' ", *p) ? 4 : strchr("mwMW", *p) ? 10 : 7;
    return w;
}

static enum ab_err esc(ab_buf *b, const char *s)
{
    enum ab_err e = AB_OK;
    for (; *s && !e; s++) {
        switch (*s) {
        case '&': e = ab_buf_puts(b, "&amp;"); break;
        case '<': e = ab_buf_puts(b, "&lt;"); break;
        case '>': e = ab_buf_puts(b, "&gt;"); break;
        case '"': e = ab_buf_puts(b, "&quot;"); break;
        default: e = ab_buf_putc(b, *s); break;
        }
    }
    return e;
}

/* The SVG of a badge "label | value" in colour. */
static enum ab_err badge_svg(ab_buf *b, const char *label, const char *value, const char *colour)
{
    int lw = text_width(label) + 10, vw = text_width(value) + 10, tw = lw + vw;
    enum ab_err e = ab_buf_printf(
        b,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"20\" role=\"img\" "
        "aria-label=\"",
        tw);
    if (!e)
        e = esc(b, label);
    if (!e)
        e = ab_buf_puts(b, ": ");
    if (!e)
        e = esc(b, value);
    if (!e)
        e = ab_buf_puts(b, "\"><title>");
    if (!e)
        e = esc(b, label);
    if (!e)
        e = ab_buf_puts(b, ": ");
    if (!e)
        e = esc(b, value);
    if (!e)
        e = ab_buf_printf(
            b,
            "</title><linearGradient id=\"s\" x2=\"0\" y2=\"100%%\"><stop offset=\"0\" "
            "stop-color=\"#bbb\" stop-opacity=\".1\"/><stop offset=\"1\" "
            "stop-opacity=\".1\"/></linearGradient><clipPath id=\"r\"><rect width=\"%d\" "
            "height=\"20\" rx=\"3\" fill=\"#fff\"/></clipPath><g clip-path=\"url(#r)\">"
            "<rect width=\"%d\" height=\"20\" fill=\"#555\"/><rect x=\"%d\" width=\"%d\" "
            "height=\"20\" fill=\"%s\"/><rect width=\"%d\" height=\"20\" fill=\"url(#s)\"/>"
            "</g><g fill=\"#fff\" text-anchor=\"middle\" font-family=\"Verdana,Geneva,"
            "DejaVu Sans,sans-serif\" font-size=\"11\"><text x=\"%d\" y=\"14\">",
            tw, lw, lw, vw, colour, tw, lw / 2);
    if (!e)
        e = esc(b, label);
    if (!e)
        e = ab_buf_printf(b, "</text><text x=\"%d\" y=\"14\">", lw + vw / 2);
    if (!e)
        e = esc(b, value);
    if (!e)
        e = ab_buf_puts(b, "</text></g></svg>\n");
    return e;
}

/* "NAME.svg" -> NAME, or 0 when it does not end so. */
static int strip_svg(const char *seg, char *out, size_t len)
{
    size_t n = strlen(seg);
    if (n <= 4 || strcmp(seg + n - 4, ".svg") != 0 || n - 4 >= len)
        return 0;
    memcpy(out, seg, n - 4);
    out[n - 4] = '\0';
    return 1;
}

enum ab_err web_badge(web *w, const struct web_request *rq, struct web_response *rs,
                      char **seg, size_t n, ab_time now)
{
    if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
        rs->allow = "GET, HEAD";
        return web_reply_text(rs, 405, "use GET\n");
    }
    char name[256];
    struct state st = S_NODATA;
    if (n == 1 && strip_svg(seg[0], name, sizeof name)) {
        const struct cfg_check *k = cfg_check_find(w->c, name);
        if (!k)
            return web_reply_text(rs, 404, "no such check\n");
        st = check_state(w, k, now);
    } else if (n == 2 && !strcmp(seg[0], "tag") && strip_svg(seg[1], name, sizeof name)) {
        size_t found = 0;
        for (size_t i = 0; i < cfg_check_count(w->c); i++) {
            const struct cfg_check *k = cfg_check_at(w->c, i);
            for (size_t t = 0; t < k->ntags; t++)
                if (!strcmp(k->tags[t], name)) {
                    struct state one = check_state(w, k, now);
                    if (!found++ || one.rank > st.rank)
                        st = one;
                    break;
                }
        }
        if (!found)
            return web_reply_text(rs, 404, "no check has that tag\n");
    } else {
        return web_reply_text(rs, 404, "no such badge\n");
    }
    ab_buf b;
    ab_buf_init(&b, 1 << 16);
    enum ab_err e = badge_svg(&b, name, st.word, st.colour);
    if (e) {
        ab_buf_free(&b);
        return web_reply_text(rs, 500, "badge too large\n");
    }
    rs->status = 200;
    rs->content_type = "image/svg+xml";
    rs->len = b.len;
    rs->body = ab_buf_steal(&b);
    rs->cache_control = "max-age=60, public";
    return rs->body ? AB_OK : AB_ENOMEM;
}
