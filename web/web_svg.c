/*
 * web_svg.c - the small inline chart on a check's page: the first item's
 * value over time as a line with a dot per run, coloured by status, and
 * the execution time of each run as bars below it.  Plain SVG 1.1, no
 * script, sized by its viewBox so it fits a phone and a desktop alike.
 *
 * Everything in it is a number or a time we formatted, and the little
 * text there is goes through esc() anyway: the page inserts this with
 * {{{chart}}}, unescaped.
 */
#include "web/web_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define W 640.0
#define LEFT 58.0
#define RIGHT 14.0
#define V_TOP 18.0    /* value panel */
#define V_BOT 118.0
#define E_TOP 146.0   /* execution time panel */
#define E_BOT 196.0
#define H 222

static const char *colour(enum ab_status s)
{
    switch (s) {
    case AB_HEALTHY: return "#2f9e5b";
    case AB_DEGRADED: return "#d69a00";
    case AB_FAILING: return "#d64545";
    default: return "#6b7080";
    }
}

static enum ab_err esc(ab_buf *b, const char *s)
{
    enum ab_err e = AB_OK;
    for (; *s && !e; s++) {
        switch (*s) {
        case '<': e = ab_buf_puts(b, "&lt;"); break;
        case '>': e = ab_buf_puts(b, "&gt;"); break;
        case '&': e = ab_buf_puts(b, "&amp;"); break;
        case '"': e = ab_buf_puts(b, "&quot;"); break;
        default: e = ab_buf_putc(b, *s);
        }
    }
    return e;
}

/* "12-01 08:00" for the axis: short, and the year is rarely in doubt. */
static void short_time(ab_time t, char *buf, size_t len)
{
    char iso[AB_ISO_LEN];
    ab_time_format(t, iso, sizeof iso);
    snprintf(buf, len, "%.5s %.5s", iso + 5, iso + 11);
}

static void fmt_num(double v, int seconds, char *buf, size_t len)
{
    if (seconds)
        web_fmt_num(1, v, 1, buf, len);
    else
        snprintf(buf, len, "%.4g", v);
}

static double x_of(ab_time t, ab_time t0, ab_time t1)
{
    if (t1 <= t0)
        return LEFT + (W - LEFT - RIGHT) / 2;
    return LEFT + (W - LEFT - RIGHT) * (double)(t - t0) / (double)(t1 - t0);
}

static enum ab_err label(ab_buf *b, double x, double y, const char *anchor, const char *txt)
{
    enum ab_err e = ab_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x,
                                  y, anchor);
    if (!e)
        e = esc(b, txt);
    if (!e)
        e = ab_buf_puts(b, "</text>");
    return e;
}

/* The value panel's frame: the grid, the range's ends and the thresholds. */
static enum ab_err value_axes(ab_buf *b, double lo, double hi,
                              const struct web_chart *how)
{
    const struct web_mark *marks = how->marks;
    char a[32], c[32];
    fmt_num(hi, how->seconds, a, sizeof a);
    fmt_num(lo, how->seconds, c, sizeof c);
    enum ab_err e = ab_buf_printf(
        b,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>",
        LEFT, V_TOP, W - RIGHT, V_TOP, LEFT, V_BOT, W - RIGHT, V_BOT);
    if (!e)
        e = label(b, LEFT - 6, V_TOP + 4, "end", a);
    if (!e)
        e = label(b, LEFT - 6, V_BOT + 4, "end", c);
    if (!e)
        e = label(b, LEFT, V_TOP - 6, "start", "value");
    for (size_t i = 0; i < how->nmarks && !e; i++) {
        if (!isfinite(marks[i].value))
            continue;
        double y = V_BOT - (V_BOT - V_TOP) * (marks[i].value - lo) / (hi - lo);
        char v[48], num[32];
        fmt_num(marks[i].value, how->seconds, num, sizeof num);
        snprintf(v, sizeof v, "%s %s", marks[i].name, num);
        e = ab_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                             "stroke=\"%s\" stroke-dasharray=\"4 3\" stroke-width=\"1\"/>",
                          LEFT, y, W - RIGHT, y, marks[i].crit ? "#d64545" : "#d69a00");
        if (!e)
            e = label(b, W - RIGHT, y - 3, "end", v);
    }
    return e;
}

/* The values: a line, oldest to newest (runs come newest first), and a
 * dot per run in its status's colour with the time and value as title. */
static enum ab_err value_points(ab_buf *b, struct store_run *const *runs, size_t n,
                                ab_time t0, ab_time t1, double lo, double hi,
                                const struct web_chart *how)
{
    enum ab_err e = ab_buf_puts(b, "<polyline class=\"line\" points=\"");
    for (size_t i = n; i-- > 0 && !e;) {
        const struct store_run *r = runs[i];
        if (!r->nresults || !r->results[0].has_value || !isfinite(r->results[0].value))
            continue;
        double y = V_BOT - (V_BOT - V_TOP) * (r->results[0].value - lo) / (hi - lo);
        e = ab_buf_printf(b, "%.1f,%.1f ", x_of(r->started, t0, t1), y);
    }
    if (!e)
        e = ab_buf_puts(b, "\"/>");
    for (size_t i = n; i-- > 0 && !e;) {
        const struct store_run *r = runs[i];
        if (!r->nresults || !r->results[0].has_value || !isfinite(r->results[0].value))
            continue;
        double y = V_BOT - (V_BOT - V_TOP) * (r->results[0].value - lo) / (hi - lo);
        char when[32], v[32];
        short_time(r->started, when, sizeof when);
        fmt_num(r->results[0].value, how->seconds, v, sizeof v);
        e = ab_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>",
                          x_of(r->started, t0, t1), y, colour(r->results[0].status));
        if (!e)
            e = esc(b, when);
        if (!e)
            e = ab_buf_printf(b, " %s: ", eng_status_name(r->results[0].status));
        if (!e)
            e = esc(b, v);
        if (!e)
            e = ab_buf_puts(b, "</title></circle>");
    }
    return e;
}

static enum ab_err value_panel(ab_buf *b, struct store_run *const *runs, size_t n,
                               ab_time t0, ab_time t1, const struct web_chart *how)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (runs[i]->nresults && runs[i]->results[0].has_value &&
            isfinite(runs[i]->results[0].value)) {
            double v = runs[i]->results[0].value;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    if (lo > hi) /* no values: say so instead of an empty frame */
        return label(b, W / 2, (V_TOP + V_BOT) / 2, "middle", "no values recorded");
    /* Thresholds belong in view: a value far from them is the point. */
    for (size_t i = 0; i < how->nmarks; i++)
        if (isfinite(how->marks[i].value)) {
            lo = how->marks[i].value < lo ? how->marks[i].value : lo;
            hi = how->marks[i].value > hi ? how->marks[i].value : hi;
        }
    if (hi - lo < 1e-9) {
        hi += 1;
        lo -= 1;
    }
    enum ab_err e = value_axes(b, lo, hi, how);
    return e ? e : value_points(b, runs, n, t0, t1, lo, hi, how);
}

static enum ab_err exec_panel(ab_buf *b, struct store_run *const *runs, size_t n,
                              ab_time t0, ab_time t1)
{
    int64_t max = 0;
    for (size_t i = 0; i < n; i++)
        if (runs[i]->execution_ms > max)
            max = runs[i]->execution_ms;
    char a[32];
    snprintf(a, sizeof a, "%lld ms", (long long)max);
    enum ab_err e = ab_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                                     "class=\"grid\"/>",
                                  LEFT, E_BOT, W - RIGHT, E_BOT);
    if (!e)
        e = label(b, LEFT - 6, E_TOP + 4, "end", a);
    if (!e)
        e = label(b, LEFT - 6, E_BOT + 4, "end", "0");
    if (!e)
        e = label(b, LEFT, E_TOP - 6, "start", "execution time");
    double bw = (W - LEFT - RIGHT) / (double)(n ? n : 1) * 0.6;
    bw = bw < 2 ? 2 : bw > 14 ? 14 : bw;
    for (size_t i = n; i-- > 0 && !e;) {
        const struct store_run *r = runs[i];
        double h = max ? (E_BOT - E_TOP) * (double)r->execution_ms / (double)max : 0;
        if (h < 1)
            h = 1; /* a 0 ms run is still a run: show a sliver */
        enum ab_status s = r->nresults ? r->results[0].status : AB_OFFLINE;
        e = ab_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                             "fill=\"%s\" opacity=\"0.75\"><title>%lld ms</title></rect>",
                          x_of(r->started, t0, t1) - bw / 2, E_BOT - h, bw, h, colour(s),
                          (long long)r->execution_ms);
    }
    return e;
}

enum ab_err web_svg_chart(ab_buf *out, struct store_run *const *runs, size_t n,
                          const struct web_chart *how)
{
    if (n == 0)
        return AB_OK;
    ab_time t0 = runs[n - 1]->started, t1 = runs[0]->started;
    char from[32], to[32];
    short_time(t0, from, sizeof from);
    short_time(t1, to, sizeof to);
    enum ab_err e = ab_buf_printf(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
        "xmlns=\"http://www.w3.org/2000/svg\" aria-label=\"values and execution times "
        "of the last %zu runs\">",
        (int)W, H, n);
    if (!e)
        e = value_panel(out, runs, n, t0, t1, how);
    if (!e)
        e = exec_panel(out, runs, n, t0, t1);
    if (!e)
        e = label(out, LEFT, H - 6, "start", from);
    if (!e && n > 1)
        e = label(out, W - RIGHT, H - 6, "end", to);
    if (!e)
        e = ab_buf_puts(out, "</svg>");
    return e;
}
