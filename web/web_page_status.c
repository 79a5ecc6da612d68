/*
 * web_page_status.c - the status page, from the live read model: the
 * headline and the counts of all checks, then the checks a filter keeps
 * (?q= a part of the name or label, any case; ?status= healthy, degraded,
 * failing, offline or unknown), one page of them at a time (?page=,
 * ?per= rows, 100 unless asked), the newest heartbeat cycles, what holds
 * checks, the outbox and the inbox.
 *
 * Why pages: with 10,000 checks one page of every row was 7.6 MB of HTML
 * that took seconds to render and more to lay out; a page of 100 rows
 * and a filter is what a person can use.  The answer is kept for the
 * second and the model's generation (web_cache.c), so a page asked for
 * again and again renders once a second or once per change.
 */
#include "web/web_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"

#define PER_PAGE 100
#define PER_MAX 1000

struct filter {
    const char *q;      /* NULL or "": any */
    const char *status; /* a class of web_status_class, or NULL: any */
    long page, per;     /* page from 1 */
};

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static const char *const classes[] = {"healthy", "degraded", "failing", "offline", "unknown"};
static const char *const words[] = {"Healthy", "Degraded", "Failing", "Offline", "No data"};

/* The filter asked for; 0, or -1 with why in msg (a 400). */
static int parse_filter(const struct web_request *rq, struct filter *f, char *msg, size_t len)
{
    f->q = web_arg(rq, "q");
    f->status = NULL;
    f->page = 1;
    f->per = PER_PAGE;
    const char *st = web_arg(rq, "status"), *pg = web_arg(rq, "page"),
               *per = web_arg(rq, "per");
    if (st && *st) {
        for (size_t i = 0; i < 5 && !f->status; i++)
            if (strcmp(st, classes[i]) == 0)
                f->status = classes[i];
        if (!f->status) {
            snprintf(msg, len, "status= must be healthy, degraded, failing, offline or "
                               "unknown");
            return -1;
        }
    }
    if (pg && *pg && parse_long(pg, 1, 1000000, &f->page) < 0) {
        snprintf(msg, len, "page= must be a page number, 1 or more");
        return -1;
    }
    if (per && *per && parse_long(per, 1, PER_MAX, &f->per) < 0) {
        snprintf(msg, len, "per= must be a number of rows from 1 to %d", PER_MAX);
        return -1;
    }
    return 0;
}

/* Does a part of s equal q, any case (ASCII)? */
static int has_part(const char *s, const char *q)
{
    size_t n = strlen(q);
    for (; s && *s; s++)
        if (strncasecmp(s, q, n) == 0)
            return 1;
    return 0;
}

static int keeps(const struct filter *f, const struct eng_live_check *x)
{
    if (f->status && strcmp(web_status_class(x->status), f->status) != 0)
        return 0;
    if (f->q && *f->q && !has_part(x->k->name, f->q) &&
        !(x->k->label && has_part(x->k->label, f->q)))
        return 0;
    return 1;
}

/* Append s to b as a query value (RFC 3986 unreserved kept, the rest %XX);
 * non-zero when b is full. */
static int put_query(ab_buf *b, const char *s)
{
    int bad = 0;
    for (const unsigned char *p = (const unsigned char *)s; p && *p && !bad; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("-._~", *p))
            bad = ab_buf_putc(b, (char)*p) != AB_OK;
        else
            bad = ab_buf_printf(b, "%%%02X", *p) != AB_OK;
    }
    return bad;
}

/* {"href": "/?q=...&status=...&page=N"}: a link to page (per kept when
 * asked).  A filter too long for a link loses it: the link shows all. */
static json_t *page_href(const struct filter *f, long page)
{
    ab_buf b;
    ab_buf_init(&b, 4096);
    int bad = ab_buf_puts(&b, "/?") != AB_OK;
    if (f->q && *f->q)
        bad |= ab_buf_puts(&b, "q=") != AB_OK || put_query(&b, f->q) ||
               ab_buf_putc(&b, '&') != AB_OK;
    if (f->status)
        bad |= ab_buf_printf(&b, "status=%s&", f->status) != AB_OK;
    if (f->per != PER_PAGE)
        bad |= ab_buf_printf(&b, "per=%ld&", f->per) != AB_OK;
    bad |= ab_buf_printf(&b, "page=%ld", page) != AB_OK;
    json_t *o = json_object();
    json_object_set_new(o, "href", json_string(bad ? "/" : ab_buf_str(&b)));
    ab_buf_free(&b);
    return o;
}

/* The rows of the page asked for, and the filter and pager around them. */
static json_t *rows(const struct eng_live_view *v, struct filter *f, json_t *d, ab_time now)
{
    json_t *checks = json_array();
    size_t kept = 0, first = (size_t)(f->page - 1) * (size_t)f->per;
    for (size_t i = 0; i < v->nchecks; i++) {
        if (!keeps(f, &v->checks[i]))
            continue;
        if (kept >= first && kept < first + (size_t)f->per)
            json_array_append_new(checks, web_check_row(&v->checks[i], now));
        kept++;
    }
    long pages = kept ? (long)((kept + (size_t)f->per - 1) / (size_t)f->per) : 1;
    json_t *fo = json_object();
    json_object_set_new(fo, "q", web_jstr(f->q ? f->q : ""));
    json_t *opts = json_array();
    for (size_t i = 0; i < 5; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "value", json_string(classes[i]));
        json_object_set_new(o, "word", json_string(words[i]));
        if (f->status == classes[i])
            json_object_set_new(o, "on", json_true());
        json_array_append_new(opts, o);
    }
    json_object_set_new(fo, "statuses", opts);
    int filtered = f->status || (f->q && *f->q);
    if (filtered)
        json_object_set_new(fo, "active", json_true());
    char shown[160];
    snprintf(shown, sizeof shown, "%zu of %zu checks", kept, v->nchecks);
    json_object_set_new(fo, "shown", json_string(shown));
    if (filtered && kept == 0)
        json_object_set_new(fo, "none", json_true());
    else if (kept && json_array_size(checks) == 0)
        json_object_set_new(fo, "past", json_true()); /* page= beyond the last */
    json_object_set_new(d, "filter", fo);
    if (pages > 1) {
        json_t *p = json_object();
        json_object_set_new(p, "page", json_integer(f->page));
        json_object_set_new(p, "pages", json_integer(pages));
        if (f->page > 1)
            json_object_set_new(p, "prev", page_href(f, f->page - 1 > pages ? pages
                                                                             : f->page - 1));
        if (f->page < pages)
            json_object_set_new(p, "next", page_href(f, f->page + 1));
        json_object_set_new(d, "pager", p);
    }
    return checks;
}

/* The headline and the counts of every check, whatever the filter. */
static void summary(const struct eng_live_view *v, json_t *d)
{
    int count[5] = {0}; /* unknown, healthy, degraded, failing, offline */
    for (size_t i = 0; i < v->nchecks; i++)
        count[v->checks[i].status + 1]++;
    json_t *sum = json_array();
    for (int i = 1; i <= 5; i++) {
        int s = i % 5; /* healthy .. offline, then no data */
        if (s == 0 && !count[0])
            break;
        json_t *x = json_object();
        json_object_set_new(x, "n", json_integer(count[s]));
        json_object_set_new(x, "word", json_string(words[(s + 4) % 5]));
        json_object_set_new(x, "cls", json_string(classes[(s + 4) % 5]));
        json_array_append_new(sum, x);
    }
    json_object_set_new(d, "summary", sum);
    int bad = count[3] + count[4] + count[2];
    json_object_set_new(d, "headline", json_string(bad == 0 && count[1] > 0
                                                       ? "All checks healthy"
                                                   : bad == 0 ? "Waiting for first results"
                                                   : bad == 1 ? "1 check needs attention"
                                                              : "Checks need attention"));
    json_object_set_new(d, "headline_cls",
                        json_string(bad ? (count[3] + count[4] ? "failing" : "degraded")
                                        : "healthy"));
}

static void outbox_inbox(web *w, const struct eng_live_view *v, json_t *d, ab_time now)
{
    if (v->have_outbox) {
        json_t *o = json_object();
        json_object_set_new(o, "queued", json_integer(v->outbox.queued));
        json_object_set_new(o, "sent", json_integer(v->outbox.sent));
        json_object_set_new(o, "failed", json_integer(v->outbox.failed));
        if (v->outbox.queued)
            web_set_time(o, "oldest", v->outbox.oldest_queued, now);
        json_object_set_new(d, "outbox", o);
    }
    if (!cfg_global(w->c)->inbox.enabled)
        return;
    json_t *o = json_object();
    if (v->have_inbox) {
        web_set_time(o, "last_ok", v->inbox.last_ok, now);
        if (v->inbox.last_error)
            json_object_set_new(o, "error", web_jstr(v->inbox.last_error));
    }
    json_object_set_new(d, "inbox", o);
}

/* The cache's key: the page and every argument that changes it; non-zero
 * when it does not fit (then the page is not kept). */
static int cache_key(const struct web_request *rq, const struct filter *f, ab_buf *k)
{
    const char *held = web_arg(rq, "held");
    return ab_buf_printf(k, "status\n%s\n%s\n%ld\n%ld\n%s", f->q ? f->q : "",
                         f->status ? f->status : "", f->page, f->per,
                         held ? held : "") != AB_OK;
}

enum ab_err web_page_status(web *w, const struct web_request *rq,
                            struct web_response *rs, ab_time now)
{
    struct filter f;
    char msg[160];
    if (parse_filter(rq, &f, msg, sizeof msg) < 0)
        return web_reply_error(w, rq, rs, 400, msg, now);
    const struct eng_live_view *v = web_live(w, now);
    ab_buf key;
    ab_buf_init(&key, 8192);
    int keep = cache_key(rq, &f, &key) == 0;
    if (keep && web_cache_answer(w, ab_buf_str(&key), v->gen, now, rs)) {
        ab_buf_free(&key);
        return AB_OK;
    }
    json_t *d = json_object();
    json_object_set_new(d, "title", json_string("Status"));
    json_object_set_new(d, "checks", rows(v, &f, d, now));
    summary(v, d);
    json_t *cycles = json_array();
    for (size_t i = 0; i < v->nrecent; i++)
        json_array_append_new(cycles, web_cycle_obj(v->recent[i].c, v->recent[i].words, now));
    json_object_set_new(d, "cycles", cycles);
    outbox_inbox(w, v, d, now);
    web_nodes_data(w, d, now); /* issue 16 (web_page_nodes.c) */
    web_silence_data(w, rq, d, NULL, now);
    enum ab_err e = web_reply_page(w, rs, 200, "status", d, now);
    if (!e && keep)
        web_cache_keep(w, ab_buf_str(&key), v->gen, now, rs);
    ab_buf_free(&key);
    return e;
}
