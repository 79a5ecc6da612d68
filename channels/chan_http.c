/*
 * chan_http.c - one HTTP request with libcurl for the channels that speak
 * HTTP (webhook, ntfy, slack, matrix), and what its outcome means for a
 * retry: a 2xx is done; 408, 429, a 5xx, or no answer at all is worth
 * trying again; any other status will not change by retrying.
 *
 * Redirects are not followed: a signed POST should not be replayed to
 * wherever a Location points.  The URL in messages loses its query,
 * where some services put tokens.
 */
#include "channels/chan_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_dl_curl.h"

/* The response body is not needed; its first bytes help say why. */
struct sink {
    char text[200];
    size_t len;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct sink *s = ud;
    size_t total = size * n;
    size_t room = sizeof s->text - 1 - s->len;
    size_t take = total < room ? total : room;
    for (size_t i = 0; i < take; i++)
        s->text[s->len++] = p[i] == '\n' || p[i] == '\r' ? ' ' : p[i];
    s->text[s->len] = '\0';
    return total;
}

static void url_for_humans(const char *url, char *buf, size_t len)
{
    snprintf(buf, len, "%.*s", (int)strcspn(url, "?#"), url);
}

enum ab_err chan_http(const struct chan_http_req *r, ab_errmsg *em)
{
    char where[512];
    url_for_humans(r->url, where, sizeof where);
    CURL *c = curl_easy_init();
    if (!c)
        return ab_fail(em, AB_ETEMPFAIL, "%s: cannot start libcurl", where);
    struct curl_slist *h = NULL;
    enum ab_err e = AB_OK;
    for (size_t i = 0; i < r->nheaders; i++) {
        struct curl_slist *nh = curl_slist_append(h, r->headers[i]);
        if (!nh) {
            e = ab_fail(em, AB_ETEMPFAIL, "out of memory");
            goto out;
        }
        h = nh;
    }
    /* No "Expect: 100-continue" round trip for small bodies. */
    struct curl_slist *nh = curl_slist_append(h, "Expect:");
    if (nh)
        h = nh;
    struct sink sink = {.len = 0};
    sink.text[0] = '\0';
    long timeout = r->timeout > 0 ? (long)r->timeout : 10;
    curl_easy_setopt(c, CURLOPT_URL, r->url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body ? r->body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "ackbeat/" AB_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        e = ab_fail(em, AB_ETEMPFAIL, "%s: %s", where, curl_easy_strerror(rc));
        goto out;
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300)
        goto out;
    e = status == 408 || status == 429 || status >= 500 ? AB_ETEMPFAIL : AB_EPERMFAIL;
    ab_fail(em, e, "%s: HTTP %ld%s%s", where, status, sink.len ? ": " : "", sink.text);
out:
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return e;
}
