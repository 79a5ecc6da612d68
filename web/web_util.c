/*
 * web_util.c - small helpers of web/: query arguments, urlencoded forms
 * (the dismiss form, WHATWG application/x-www-form-urlencoded), times and
 * spans as people read them, status words for CSS classes.
 */
#include "web/web_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"

const char *web_arg(const struct web_request *rq, const char *key)
{
    for (size_t i = 0; i < rq->nargs; i++)
        if (rq->args[i].key && strcmp(rq->args[i].key, key) == 0)
            return rq->args[i].value ? rq->args[i].value : "";
    return NULL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode one name or value in place ('+' is a space, %XX a byte). */
static int decode(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '+') {
            *o++ = ' ';
        } else if (*p == '%') {
            int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
            if (hi < 0 || lo < 0)
                return -1;
            /* A NUL byte would cut the value short where the checks
             * looked at it whole: refuse it. */
            if (hi == 0 && lo == 0)
                return -1;
            *o++ = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return 0;
}

enum ab_err web_form_parse(const char *body, size_t len, struct web_kv *kv,
                           size_t max, size_t *n, char **storage)
{
    *n = 0;
    *storage = NULL;
    if (memchr(body, '\0', len))
        return AB_EPARSE;
    char *buf = ab_strndup(body, len);
    if (!buf)
        return AB_ENOMEM;
    char *p = buf;
    while (*p) {
        char *amp = strchr(p, '&');
        if (amp)
            *amp = '\0';
        if (*p) {
            if (*n == max) {
                ab_free(buf);
                return AB_EPARSE;
            }
            char *eq = strchr(p, '=');
            char *val = p + strlen(p); /* "c" alone: an empty value */
            if (eq) {
                *eq = '\0';
                val = eq + 1;
            }
            if (decode(p) < 0 || decode(val) < 0) {
                ab_free(buf);
                return AB_EPARSE;
            }
            kv[*n].key = p;
            kv[*n].value = val;
            (*n)++;
        }
        if (!amp)
            break;
        p = amp + 1;
    }
    *storage = buf;
    return AB_OK;
}

const char *web_form_get(const struct web_kv *kv, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0)
            return kv[i].value;
    return NULL;
}

json_t *web_jstr(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    /* Not UTF-8: keep the ASCII and mark each other byte. */
    ab_buf b;
    ab_buf_init(&b, 0);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (ab_buf_puts(&b, *p < 0x80 ? (char[]){(char)*p, 0} : "\xef\xbf\xbd"))
            break;
    j = json_string(ab_buf_str(&b));
    ab_buf_free(&b);
    return j ? j : json_string("");
}

json_t *web_jtime(ab_time t)
{
    char buf[AB_ISO_LEN];
    return t == AB_TIME_NONE ? json_null() : json_string(ab_time_format(t, buf, sizeof buf));
}

void web_set_time(json_t *o, const char *key, ab_time t, ab_time now)
{
    if (t == AB_TIME_NONE)
        return;
    char iso[AB_ISO_LEN], rel[48];
    web_fmt_rel(t, now, rel, sizeof rel);
    json_t *j = json_object();
    json_object_set_new(j, "iso", json_string(ab_time_format(t, iso, sizeof iso)));
    json_object_set_new(j, "rel", json_string(rel));
    json_object_set_new(o, key, j);
}

void web_fmt_span(int64_t secs, char *buf, size_t len)
{
    if (secs < 0)
        secs = 0;
    /* Two units at most: "3d 4h" reads at a glance, "3d 4h 12m 9s" not. */
    static const struct {
        int64_t s;
        const char *u;
    } units[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
    for (size_t i = 0; i < 4; i++) {
        if (secs >= units[i].s || i == 3) {
            int64_t a = secs / units[i].s, rest = secs % units[i].s;
            if (i < 3 && rest >= units[i + 1].s && a < 10)
                snprintf(buf, len, "%lld%s %lld%s", (long long)a, units[i].u,
                         (long long)(rest / units[i + 1].s), units[i + 1].u);
            else
                snprintf(buf, len, "%lld%s", (long long)a, units[i].u);
            return;
        }
    }
}

void web_fmt_rel(ab_time t, ab_time now, char *buf, size_t len)
{
    char span[32];
    if (t == AB_TIME_NONE) {
        snprintf(buf, len, "%s", "");
        return;
    }
    int64_t d = now - t;
    if (d >= -5 && d <= 5) {
        snprintf(buf, len, "just now");
        return;
    }
    web_fmt_span(d < 0 ? -d : d, span, sizeof span);
    if (d > 0)
        snprintf(buf, len, "%s ago", span);
    else
        snprintf(buf, len, "in %s", span);
}


const char *web_status_class(int status)
{
    static const char *const names[] = {"healthy", "degraded", "failing", "offline"};
    return status >= 0 && status < 4 ? names[status] : "unknown";
}

void web_fmt_num(int has, double v, int seconds, char *buf, size_t len)
{
    if (!has)
        snprintf(buf, len, "-");
    else if (seconds && v >= 0 && v < 1e15)
        web_fmt_span((int64_t)v, buf, len);
    else
        snprintf(buf, len, "%.6g", v);
}

int web_parse_until(const char *s, ab_time now, ab_time *until)
{
    *until = AB_TIME_NONE;
    if (!s || !*s || strcasecmp(s, "resolved") == 0)
        return 0;
    int64_t d;
    if (ab_duration_parse(s, &d) == AB_OK) {
        if (d <= 0)
            return -1;
        *until = now + d;
        return 0;
    }
    ab_time t;
    if (ab_time_parse(s, &t) == AB_OK && t > now) {
        *until = t;
        return 0;
    }
    return -1;
}
