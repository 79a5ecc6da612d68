/*
 * web_host.c - which Host a page or the API answers (DNS rebinding), and
 * the address the server listens on, which that rule accepts.
 *
 * A web site can point its own name at 127.0.0.1 and then read our
 * status and alerts from the victim's browser: same origin, as far as
 * the browser knows.  The Host header gives it away.  Pages, the API and
 * the metrics answer only: the host of <web base-url>, the host of
 * listen=, the names in allowed-hosts=, "localhost", and any IP literal
 * (a browser sends a literal only when it was told the address itself,
 * which no rebinding can do).  Others get 421 Misdirected Request.  Pings
 * and /healthz answer any Host: jobs and monitors reach them through
 * names of their own, and they show nothing.  A request without Host
 * (HTTP/1.0) is let through: browsers always send one.
 */
#include "web/web_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

/* The host part of "host", "host:port", "[v6]:port" into out ("" if it
 * does not fit). */
static void host_only(const char *s, size_t n, char *out, size_t len)
{
    out[0] = '\0';
    if (n && s[0] == '[') {
        const char *e = memchr(s, ']', n);
        if (!e)
            return;
        s++;
        n = (size_t)(e - s);
    } else {
        const char *c = memchr(s, ':', n);
        if (c && !memchr(c + 1, ':', n - (size_t)(c + 1 - s)))
            n = (size_t)(c - s); /* one colon: a port; more: a bare IPv6 */
    }
    if (n >= len)
        return;
    memcpy(out, s, n);
    out[n] = '\0';
    while (n && out[n - 1] == '.')
        out[--n] = '\0'; /* "example.org." is example.org */
}

static int is_ip_literal(const char *h)
{
    unsigned char a[16];
    return inet_pton(AF_INET, h, a) == 1 || inet_pton(AF_INET6, h, a) == 1;
}

/* The host of a URL "scheme://[user@]host[:port]/..." into out. */
static void url_host(const char *url, char *out, size_t len)
{
    out[0] = '\0';
    const char *p = url ? strstr(url, "://") : NULL;
    if (!p)
        return;
    p += 3;
    size_t n = strcspn(p, "/?#");
    const char *at = memchr(p, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    host_only(p, n, out, len);
}

/* Here and not in web_server.c, which listens on it: the Host rule needs
 * it too, and web_server.c calls the router, which calls the rule (a
 * call loop among the three files otherwise). */
const char *web_listen_addr(const web *w)
{
    if (w->o.listen)
        return w->o.listen;
    const char *l = cfg_global(w->c)->web.listen;
    return l ? l : "127.0.0.1:8025";
}

int web_host_allowed(const web *w, const char *host_header)
{
    if (!host_header)
        return 1;
    char h[256], x[256];
    host_only(host_header, strlen(host_header), h, sizeof h);
    if (!h[0])
        return 0;
    if (is_ip_literal(h) || !strcasecmp(h, "localhost"))
        return 1;
    const struct cfg_web *cw = &cfg_global(w->c)->web;
    url_host(cw->base_url, x, sizeof x);
    if (x[0] && !strcasecmp(x, h))
        return 1;
    const char *l = web_listen_addr(w);
    host_only(l, strlen(l), x, sizeof x);
    if (x[0] && !strcasecmp(x, h))
        return 1;
    for (size_t i = 0; i < cw->nallowed_hosts; i++)
        if (!strcasecmp(cw->allowed_hosts[i], h))
            return 1;
    return 0;
}
