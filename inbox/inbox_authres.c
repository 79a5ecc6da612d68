/*
 * inbox_authres.c - what our own MX said about a message's sender, read from
 * its Authentication-Results header (RFC 8601).
 *
 * A From: header proves nothing: anyone can write any address in it.
 * What can be trusted is the verdict of the border MTA we run, which
 * checked SPF (RFC 7208), DKIM (RFC 6376) and DMARC (RFC 7489) and wrote
 * the outcome in an Authentication-Results header naming itself by its
 * authserv-id.  So only headers with the configured authserv-id count;
 * any other (a sender's own, a relay's on the way) is ignored, because
 * anyone can write those too.  Of several with our id the topmost is the
 * one our MX prepended last (RFC 8601 5 asks the MX to remove look-alikes
 * that arrive with the message; taking the topmost is safe either way).
 *
 * The verdict, in order:
 *   dmarc=pass                                  -> pass
 *   dmarc=fail                                  -> fail
 *   otherwise (no DMARC result, none, temperror...):
 *     an SPF pass or a DKIM pass aligned with the From: domain -> pass
 *     else (both fail or are absent)            -> fail
 * Alignment is relaxed (RFC 7489 3.1): the same organisational domain,
 * approximated as one domain being the other or a subdomain of it.
 */
#include "inbox/inbox_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Skip white space and (nested) comments. */
static const char *skip_cfws(const char *p)
{
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p != '(')
            return p;
        int depth = 0;
        for (; *p; p++) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '(')
                depth++;
            else if (*p == ')' && --depth == 0) {
                p++;
                break;
            }
        }
    }
}

/* Copy a token (up to white space, ';', '=', '(' ) into out. */
static const char *word(const char *p, char *out, size_t len, const char *stops)
{
    size_t n = 0;
    if (*p == '"') { /* quoted-string value */
        p++;
        while (*p && *p != '"') {
            if (*p == '\\' && p[1])
                p++;
            if (n + 1 < len)
                out[n++] = *p;
            p++;
        }
        if (*p == '"')
            p++;
    } else {
        while (*p && !strchr(stops, *p) && !isspace((unsigned char)*p)) {
            if (n + 1 < len)
                out[n++] = *p;
            p++;
        }
    }
    out[n] = '\0';
    return p;
}

/* Is d the domain a or a subdomain of it (either way round)? */
static int aligned(const char *d, const char *from_domain)
{
    if (!d || !*d || !from_domain || !*from_domain)
        return 0;
    size_t dl = strlen(d), fl = strlen(from_domain);
    if (dl == fl)
        return strcasecmp(d, from_domain) == 0;
    const char *lng = dl > fl ? d : from_domain, *sht = dl > fl ? from_domain : d;
    size_t ll = dl > fl ? dl : fl, sl = dl > fl ? fl : dl;
    return lng[ll - sl - 1] == '.' && strcasecmp(lng + ll - sl, sht) == 0 &&
           strchr(sht, '.') != NULL; /* never align on a bare TLD */
}

struct resinfo {
    char method[32];
    char result[32];
    char domain[256]; /* header.d / header.i / smtp.mailfrom's domain */
};

/* Parse one resinfo "method=result (c) reason=x ptype.prop=value ...";
 * returns where it ended (at ';' or the end). */
static const char *resinfo(const char *p, struct resinfo *ri)
{
    memset(ri, 0, sizeof *ri);
    p = word(skip_cfws(p), ri->method, sizeof ri->method, ";=/(");
    if (*p == '/') { /* method/version */
        char ver[16];
        p = word(p + 1, ver, sizeof ver, ";=(");
    }
    p = skip_cfws(p);
    if (*p == '=')
        p = word(skip_cfws(p + 1), ri->result, sizeof ri->result, ";(");
    for (;;) {
        p = skip_cfws(p);
        if (!*p || *p == ';')
            return p;
        char name[64], val[256];
        p = word(p, name, sizeof name, ";=(");
        p = skip_cfws(p);
        if (*p != '=') {
            if (!*name)
                p++; /* stray character: move on */
            continue;
        }
        p = word(skip_cfws(p + 1), val, sizeof val, ";(");
        const char *dom = NULL;
        if (strcasecmp(name, "header.d") == 0 || strcasecmp(name, "smtp.helo") == 0)
            dom = val;
        else if (strcasecmp(name, "header.i") == 0 || strcasecmp(name, "smtp.mailfrom") == 0 ||
                 strcasecmp(name, "header.from") == 0)
            dom = strrchr(val, '@') ? strrchr(val, '@') + 1 : val;
        /* header.d beats header.i; smtp.mailfrom beats smtp.helo */
        if (dom && (!ri->domain[0] || strcasecmp(name, "header.d") == 0 ||
                    strcasecmp(name, "smtp.mailfrom") == 0))
            snprintf(ri->domain, sizeof ri->domain, "%s", dom);
    }
}

int inbox_authres(const struct inbox_msg *m, const char *authserv_id, char *why,
                  size_t whylen)
{
    if (!authserv_id || !*authserv_id) {
        snprintf(why, whylen, "no authserv-id configured");
        return 0;
    }
    const char *v = NULL;
    for (size_t i = 0; i < m->nheaders && !v; i++) {
        if (strcasecmp(m->headers[i].name, "Authentication-Results") != 0)
            continue;
        char id[256];
        const char *p = word(skip_cfws(m->headers[i].value), id, sizeof id, ";(");
        if (strcasecmp(id, authserv_id) == 0)
            v = p;
    }
    if (!v) {
        snprintf(why, whylen, "no Authentication-Results from %s", authserv_id);
        return 0;
    }
    const char *from_domain = m->from_addr && strrchr(m->from_addr, '@')
                                  ? strrchr(m->from_addr, '@') + 1
                                  : "";
    char dmarc[32] = "", spf[32] = "", dkim[32] = "";
    int spf_ok = 0, dkim_ok = 0;
    const char *p = v;
    while (*p) {
        p = skip_cfws(p);
        if (*p == ';')
            p++;
        /* a version number after the authserv-id, or "none" */
        struct resinfo ri;
        p = resinfo(p, &ri);
        if (!ri.result[0])
            continue;
        if (strcasecmp(ri.method, "dmarc") == 0 && !dmarc[0])
            snprintf(dmarc, sizeof dmarc, "%s", ri.result);
        else if (strcasecmp(ri.method, "spf") == 0) {
            if (!spf[0] || strcasecmp(ri.result, "pass") == 0)
                snprintf(spf, sizeof spf, "%s", ri.result);
            if (strcasecmp(ri.result, "pass") == 0 &&
                (!ri.domain[0] || aligned(ri.domain, from_domain)))
                spf_ok = 1;
        } else if (strcasecmp(ri.method, "dkim") == 0) {
            if (!dkim[0] || strcasecmp(ri.result, "pass") == 0)
                snprintf(dkim, sizeof dkim, "%s", ri.result);
            if (strcasecmp(ri.result, "pass") == 0 &&
                (!ri.domain[0] || aligned(ri.domain, from_domain)))
                dkim_ok = 1;
        }
    }
    if (strcasecmp(dmarc, "pass") == 0) {
        snprintf(why, whylen, "dmarc=pass by %s", authserv_id);
        return 1;
    }
    if (strcasecmp(dmarc, "fail") == 0) {
        snprintf(why, whylen, "dmarc=fail by %s", authserv_id);
        return -1;
    }
    if (spf_ok || dkim_ok) {
        snprintf(why, whylen, "%s=pass by %s", spf_ok ? "spf" : "dkim", authserv_id);
        return 1;
    }
    snprintf(why, whylen, "no DMARC result, spf=%s and dkim=%s by %s",
             spf[0] ? spf : "none", dkim[0] ? dkim : "none", authserv_id);
    return -1;
}
