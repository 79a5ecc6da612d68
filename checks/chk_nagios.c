/*
 * chk_nagios.c - reading the output of a Nagios-protocol check program.
 *
 * The Nagios plugin guidelines (monitoring-plugins' doc/guidelines):
 *
 *     TEXT OUTPUT | OPTIONAL PERFDATA
 *     LONG TEXT LINE 1
 *     LONG TEXT LINE 2 | PERFDATA LINE 2
 *     PERFDATA LINE 3
 *
 * The first line's text is the message.  Perfdata is everything after the
 * '|' of the first line, plus everything after the first '|' in the long
 * output (which makes all following lines perfdata too).  A perfdata item
 * is 'label'=value[UOM];[warn];[crit];[min];[max], space-separated; a
 * label with spaces is single-quoted and a quote inside is doubled.
 * Thresholds are ranges ("10", "10:", "~:10", "10:20", "@10:20").
 */
#include "checks/chk_int.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_mem.h"

static char *dup_trim(const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return ab_strndup(s, n);
}

enum ab_err chk_nagios_split(const char *out, char **msg, char **perf)
{
    ab_buf pb;
    ab_buf_init(&pb, 0);
    *msg = *perf = NULL;
    const char *nl = strchr(out, '\n');
    size_t l1 = nl ? (size_t)(nl - out) : strlen(out);
    const char *bar = memchr(out, '|', l1);
    enum ab_err e = AB_OK;
    if (!(*msg = dup_trim(out, bar ? (size_t)(bar - out) : l1)))
        goto oom;
    if (bar && (e = ab_buf_append(&pb, bar + 1, l1 - (size_t)(bar + 1 - out))))
        goto fail;
    if (nl) {
        const char *bar2 = strchr(nl + 1, '|');
        if (bar2) {
            if ((e = ab_buf_putc(&pb, ' ')) || (e = ab_buf_puts(&pb, bar2 + 1)))
                goto fail;
        }
    }
    /* Newlines between perfdata lines are separators like spaces. */
    for (size_t i = 0; i < pb.len; i++)
        if (pb.data[i] == '\n' || pb.data[i] == '\r' || pb.data[i] == '\t')
            pb.data[i] = ' ';
    if (!(*perf = dup_trim(ab_buf_str(&pb), pb.len)))
        goto oom;
    ab_buf_free(&pb);
    return AB_OK;
oom:
    e = AB_ENOMEM;
fail:
    ab_buf_free(&pb);
    ab_free(*msg);
    ab_free(*perf);
    *msg = *perf = NULL;
    return e == AB_ERANGE ? AB_ENOMEM : e;
}

void chk_perf_free(struct chk_perf *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ab_free(items[i].label);
        ab_free(items[i].warn);
        ab_free(items[i].crit);
        ab_free(items[i].raw);
    }
    ab_free(items);
}

/* Field number k (0-based) of the ';'-separated thresholds, or NULL. */
static char *field(const char *p, const char *end, int k)
{
    for (int i = 0; i < k; i++) {
        const char *sc = memchr(p, ';', (size_t)(end - p));
        if (!sc)
            return NULL;
        p = sc + 1;
    }
    const char *sc = memchr(p, ';', (size_t)(end - p));
    size_t n = sc ? (size_t)(sc - p) : (size_t)(end - p);
    return n ? ab_strndup(p, n) : NULL;
}

/* Parse one item at *pp; advances *pp.  0: skipped, 1: parsed, -1: OOM. */
static int parse_item(const char **pp, struct chk_perf *it)
{
    const char *p = *pp, *tok = p;
    ab_buf label;
    ab_buf_init(&label, 1024);
    memset(it, 0, sizeof *it);
    if (*p == '\'') {
        p++;
        while (*p) {
            if (*p == '\'' && p[1] == '\'') {
                if (ab_buf_putc(&label, '\''))
                    goto skip;
                p += 2;
            } else if (*p == '\'') {
                p++;
                break;
            } else {
                if (ab_buf_putc(&label, *p++))
                    goto skip;
            }
        }
    } else {
        while (*p && *p != '=' && !isspace((unsigned char)*p))
            if (ab_buf_putc(&label, *p++))
                goto skip;
    }
    if (*p != '=' || label.len == 0)
        goto skip;
    p++;
    const char *val = p;
    while (*p && !isspace((unsigned char)*p))
        p++;
    const char *end = p;
    *pp = p;
    /* value[UOM] up to the first ';' */
    const char *sc = memchr(val, ';', (size_t)(end - val));
    const char *vend = sc ? sc : end;
    char *num_end;
    char numbuf[64];
    size_t vn = (size_t)(vend - val);
    if (vn >= sizeof numbuf)
        vn = sizeof numbuf - 1;
    memcpy(numbuf, val, vn);
    numbuf[vn] = '\0';
    for (char *c = numbuf; *c; c++) /* some locales print "1,5" */
        if (*c == ',')
            *c = '.';
    double d = strtod(numbuf, &num_end);
    if (num_end != numbuf && isfinite(d)) {
        it->has_value = 1;
        it->value = d;
        size_t un = strlen(num_end);
        if (un >= sizeof it->uom)
            un = sizeof it->uom - 1;
        memcpy(it->uom, num_end, un);
        it->uom[un] = '\0';
    } else if (!(vn == 1 && numbuf[0] == 'U')) {
        ab_buf_free(&label);
        return 0; /* neither a number nor U: not perfdata */
    }
    it->label = ab_buf_steal(&label);
    it->raw = ab_strndup(tok, (size_t)(end - tok));
    if (sc) {
        it->warn = field(sc + 1, end, 0);
        it->crit = field(sc + 1, end, 1);
    }
    ab_buf_free(&label);
    return it->label && it->raw ? 1 : -1;
skip:
    ab_buf_free(&label);
    while (*p && !isspace((unsigned char)*p))
        p++;
    *pp = p;
    return 0;
}

enum ab_err chk_perf_parse(const char *perf, struct chk_perf **items, size_t *n)
{
    struct chk_perf *v = NULL;
    size_t cnt = 0, cap = 0;
    const char *p = perf ? perf : "";
    *items = NULL;
    *n = 0;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 8;
            struct chk_perf *nv = ab_realloc(v, nc * sizeof *nv);
            if (!nv)
                goto oom;
            v = nv;
            cap = nc;
        }
        const char *before = p;
        int r = parse_item(&p, &v[cnt]);
        if (r < 0) {
            cnt++; /* free the partial item too */
            goto oom;
        }
        if (r > 0)
            cnt++;
        if (p == before) /* cannot happen, but never loop for ever */
            p++;
    }
    *items = v;
    *n = cnt;
    return AB_OK;
oom:
    chk_perf_free(v, cnt);
    return AB_ENOMEM;
}

int chk_range_alert(const char *range, double v)
{
    if (!range || !*range)
        return 0;
    const char *p = range;
    int inside = 0;
    if (*p == '@') {
        inside = 1;
        p++;
    }
    double lo = 0, hi = INFINITY;
    const char *colon = strchr(p, ':');
    char *end;
    if (colon) {
        if (*p == '~' && p + 1 == colon) {
            lo = -INFINITY;
        } else if (p != colon) {
            lo = strtod(p, &end);
            if (end != colon)
                return -1;
        }
        if (colon[1]) {
            hi = strtod(colon + 1, &end);
            if (*end)
                return -1;
        }
    } else {
        hi = strtod(p, &end);
        if (end == p || *end)
            return -1;
    }
    if (lo > hi)
        return -1;
    int in = v >= lo && v <= hi;
    return inside ? in : !in;
}
