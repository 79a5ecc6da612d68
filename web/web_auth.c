/*
 * web_auth.c - who may act: bearer tokens and HTTP basic auth (RFC 6750,
 * RFC 7617) against a crypt(3) hash, CSRF tokens for the HTML form, and
 * the Origin/Referer check that keeps other sites' pages from posting
 * with a browser's cached credentials.
 *
 * Secrets are compared in constant time: both sides are first run
 * through HMAC-SHA256 under the per-process key and the digests compared
 * with an OR of XORs, so neither the content nor the length of a guess
 * shows in the timing.
 */
#include "web/web_int.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/ab_dl_gmime.h"
#include "common/ab_mem.h"

#define DIGEST_LEN WEB_DIGEST_LEN

void web_hmac(const web *w, const char *data, size_t len, unsigned char *out)
{
    GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, w->key, sizeof w->key);
    gsize olen = DIGEST_LEN;
    g_hmac_update(h, (const guchar *)data, (gssize)len);
    g_hmac_get_digest(h, out, &olen);
    g_hmac_unref(h);
}

int web_ct_equal(const web *w, const char *a, size_t alen, const char *b,
                 size_t blen)
{
    unsigned char da[DIGEST_LEN], db[DIGEST_LEN];
    web_hmac(w, a, alen, da);
    web_hmac(w, b, blen, db);
    unsigned char diff = 0;
    for (size_t i = 0; i < DIGEST_LEN; i++)
        diff |= (unsigned char)(da[i] ^ db[i]);
    return diff == 0;
}

int web_auth_configured(const web *w)
{
    return w->token || (w->pw_hash && cfg_global(w->c)->web.user);
}

static int check_bearer(web *w, const char *cred)
{
    if (!w->token)
        return 0;
    while (*cred == ' ')
        cred++;
    return web_ct_equal(w, cred, strlen(cred), w->token, strlen(w->token));
}

static int check_basic(web *w, const char *cred)
{
    const char *user = cfg_global(w->c)->web.user;
    if (!w->pw_hash || !user)
        return 0;
    while (*cred == ' ')
        cred++;
    gsize n = 0;
    guchar *raw = g_base64_decode(cred, &n);
    if (!raw)
        return 0;
    int ok = 0;
    char *dec = ab_strndup((const char *)raw, n);
    g_free(raw);
    struct crypt_data *cd = ab_calloc(1, sizeof *cd);
    char *colon = dec ? strchr(dec, ':') : NULL;
    if (colon && cd && strlen(dec) == n) {
        *colon = '\0';
        int user_ok = web_ct_equal(w, dec, strlen(dec), user, strlen(user));
        /* Hash even for a wrong user name, so timing does not tell
         * which of the two was wrong. */
        const char *h = crypt_r(colon + 1, w->pw_hash, cd);
        int pw_ok = h && h[0] != '*' &&
                    web_ct_equal(w, h, strlen(h), w->pw_hash, strlen(w->pw_hash));
        ok = user_ok && pw_ok;
    }
    if (dec)
        explicit_bzero(dec, n);
    ab_free(dec);
    if (cd)
        explicit_bzero(cd, sizeof *cd);
    ab_free(cd);
    return ok;
}

int web_authorized(web *w, const struct web_request *rq)
{
    const char *a = rq->authorization;
    if (!a)
        return 0;
    if (strncasecmp(a, "Bearer ", 7) == 0)
        return check_bearer(w, a + 7);
    if (strncasecmp(a, "Basic ", 6) == 0)
        return check_basic(w, a + 6);
    return 0;
}

/* The authority of an http(s) URL: "host:port" of "http://host:port/x". */
static int authority_of(const char *url, const char **start, size_t *len)
{
    const char *p = strstr(url, "://");
    if (!p)
        return -1;
    p += 3;
    size_t n = strcspn(p, "/?#");
    if (n == 0)
        return -1;
    *start = p;
    *len = n;
    return 0;
}

static int same_host(const char *url, const char *host, size_t hlen)
{
    const char *a;
    size_t n;
    if (!host || authority_of(url, &a, &n) < 0)
        return 0;
    return hlen == n && strncasecmp(a, host, n) == 0;
}

/* Does url name the Host the request was sent to, or the public address
 * of <web base-url> (behind a proxy that rewrites Host)? */
static int ours(const web *w, const char *url, const char *host)
{
    if (host && same_host(url, host, strlen(host)))
        return 1;
    const char *base = cfg_global(w->c)->web.base_url, *a;
    size_t n;
    return base && authority_of(base, &a, &n) == 0 && same_host(url, a, n);
}

int web_same_origin(const web *w, const struct web_request *rq)
{
    /* A browser sends Origin with every POST (and "null" from sandboxed
     * or privacy-sensitive contexts, which we refuse); older ones only a
     * Referer.  A request with neither did not come from a web page. */
    if (rq->origin)
        return ours(w, rq->origin, rq->host);
    if (rq->referer)
        return ours(w, rq->referer, rq->host);
    return 1;
}

char *web_csrf_token(web *w, ab_time now)
{
    char msg[64], out[128];
    unsigned char d[DIGEST_LEN];
    int n = snprintf(msg, sizeof msg, "csrf:%lld", (long long)now);
    web_hmac(w, msg, (size_t)n, d);
    int o = snprintf(out, sizeof out, "%lld.", (long long)now);
    for (size_t i = 0; i < 20; i++)
        o += snprintf(out + o, sizeof out - (size_t)o, "%02x", d[i]);
    return ab_strdup(out);
}

int web_csrf_valid(web *w, const char *tok, ab_time now)
{
    if (!tok)
        return 0;
    char *end;
    long long t = strtoll(tok, &end, 10);
    if (end == tok || *end != '.')
        return 0;
    /* Issued in the last day; a little slack for a clock step. */
    if (t > now + 300 || now - t > WEB_CSRF_TTL)
        return 0;
    char *want = web_csrf_token(w, (ab_time)t);
    if (!want)
        return 0;
    int ok = web_ct_equal(w, tok, strlen(tok), want, strlen(want));
    ab_free(want);
    return ok;
}

int web_action_allowed(web *w, const struct web_request *rq,
                       struct web_response *rs, ab_time now)
{
    if (!web_same_origin(w, rq)) {
        web_reply_error(w, rq, rs, 403, "this request came from another site's page", now);
        return 0;
    }
    if (!web_auth_configured(w)) {
        web_reply_error(w, rq, rs, 403,
                        "actions are disabled: configure <web token-file=...> or "
                        "<web user=... password-hash-file=...>", now);
        return 0;
    }
    if (!web_authorized(w, rq)) {
        web_reply_error(w, rq, rs, 401, "authorization required", now);
        /* Offer basic auth when it is configured, so a person's browser
         * asks for the password and re-sends the form. */
        rs->www_authenticate = w->pw_hash && cfg_global(w->c)->web.user
                                   ? "Basic realm=\"ackbeat\", charset=\"UTF-8\""
                                   : "Bearer realm=\"ackbeat\"";
        return 0;
    }
    return 1;
}
