/*
 * test_web_util.h - the web tests' fixture: a config with a maildir
 * transport (no SMTP), a state database and a server in t_tmpdir(), a
 * settable clock, and requests built in one line.
 */
#ifndef AB_TEST_WEB_UTIL_H
#define AB_TEST_WEB_UTIL_H

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/ab_mem.h"
#include "test_pg_util.h"
#include "config/cfg.h"
#include "web/web.h"

#define TW_TOKEN "tok-0123456789abcdef-web"
#define TW_PING "ping-nightly-0123456789"
#define TW_USER "kim"
#define TW_PASS "correct horse"
/* base64("kim:correct horse") */
#define TW_BASIC "Basic a2ltOmNvcnJlY3QgaG9yc2U="
#define TW_NOW 1796112000 /* 2026-12-01T08:00:00Z */

static ab_time tw_now_value = TW_NOW;
static inline ab_time tw_clock(void *ud)
{
    (void)ud;
    return tw_now_value;
}

static inline const char *tw_path(const char *dir, const char *name)
{
    static char p[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
    return p[i];
}

static inline void tw_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/*
 * A fresh folder under t_tmpdir() with ackbeat.xml: actions enabled by a
 * token and basic auth (auth != 0) or not at all (auth == 0).
 */
static inline const char *tw_setup(const char *name, int auth)
{
    static char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", t_tmpdir(), name);
    mkdir(dir, 0700);
    struct crypt_data cd;
    memset(&cd, 0, sizeof cd);
    char hash[256];
    snprintf(hash, sizeof hash, "%s\n", crypt_r(TW_PASS, "$6$saltsaltsalt$", &cd));
    tw_write(tw_path(dir, "pw.hash"), hash);
    tw_write(tw_path(dir, "token"), TW_TOKEN "\n");
    char xml[6144], state[2048];
    snprintf(state, sizeof state, "%s", t_state_tag(tw_path(dir, "state.db")));
    snprintf(xml, sizeof xml,
             "<ackbeat name=\"Test &amp; Co\" timezone=\"UTC\" tick=\"1m\">\n"
             "  %s\n"
             "  <mail from=\"ackbeat@test.example\" transport=\"maildir:out/Maildir\"/>\n"
             "  <inbox url=\"maildir:in/Maildir\" reply-address=\"heartbeat@test.example\"/>\n"
             "  <web listen=\"127.0.0.1:18031\" base-url=\"https://ackbeat.example.org/\" %s/>\n"
             "  <recipients><person name=\"kim\" email=\"kim@test.example\"/></recipients>\n"
             "  <alerting notify=\"kim\" repeat=\"24h\"/>\n"
             "  <sources><sqlite name=\"shop\" path=\"shop.db\"/></sources>\n"
             "  <checks>\n"
             "    <command name=\"backup\" label=\"Nightly backup\" command=\"/bin/true\"/>\n"
             "    <freshness name=\"orders\" source=\"shop\" table=\"orders\" "
             "column=\"created_at\" max-age=\"1d\"/>\n"
             "    <ping name=\"nightly\" token=\"" TW_PING "\" period=\"1d\" grace=\"1h\"/>\n"
             "    <heartbeat name=\"monthly\" to=\"kim\" grace=\"7d\"/>\n"
             "  </checks>\n"
             "</ackbeat>\n",
             state, auth == 2 ? "token-file=\"token\"" /* a bearer token only */
             : auth    ? "token-file=\"token\" user=\"" TW_USER "\" password-hash-file=\"pw.hash\""
                       : "");
    tw_write(tw_path(dir, "ackbeat.xml"), xml);
    return dir;
}

static inline cfg *tw_config(const char *dir)
{
    cfg *c = NULL;
    ab_buf errs;
    ab_buf_init(&errs, 0);
    if (cfg_load(tw_path(dir, "ackbeat.xml"), &c, &errs) != AB_OK)
        fprintf(stderr, "config: %s\n", ab_buf_str(&errs));
    ab_buf_free(&errs);
    return c;
}

static inline struct web_opts tw_opts(void)
{
    static char tdir[1024], pdir[1024];
    const char *src = getenv("AB_SRCDIR");
    snprintf(tdir, sizeof tdir, "%s/templates/default", src ? src : ".");
    snprintf(pdir, sizeof pdir, "%s/web/pages", src ? src : ".");
    struct web_opts o = {.now = tw_clock, .template_dir = tdir, .pages_dir = pdir,
                         .listen = "127.0.0.1:0"};
    return o;
}

/* The config in dir loaded into *c and a server on it with tw_opts(), or
 * NULL (the caller frees both: web_free, cfg_free). */
static inline web *tw_server(const char *dir, cfg **c)
{
    struct web_opts o = tw_opts();
    web *w = NULL;
    if (!(*c = tw_config(dir)) || web_new(*c, &o, &w, NULL) != AB_OK)
        return NULL;
    return w;
}

/* A request; fields not given are NULL. */
struct tw_req {
    const char *method, *path, *body, *ctype, *auth, *origin, *host, *query_key,
        *query_val, *referer;
};

static inline int tw_do(web *w, struct tw_req r, struct web_response *rs)
{
    struct web_kv kv = {r.query_key, r.query_val};
    struct web_request rq = {
        .method = r.method ? r.method : "GET",
        .path = r.path,
        .args = r.query_key ? &kv : NULL,
        .nargs = r.query_key ? 1 : 0,
        .host = r.host ? r.host : "127.0.0.1:18031",
        .authorization = r.auth,
        .content_type = r.ctype,
        .origin = r.origin,
        .referer = r.referer,
        .body = r.body ? r.body : "",
        .body_len = r.body ? strlen(r.body) : 0,
    };
    web_response_free(rs);
    memset(rs, 0, sizeof *rs);
    if (web_handle(w, &rq, rs) != AB_OK)
        return -1;
    return rs->status;
}

#define GET(w, p, rs) tw_do((w), (struct tw_req){.path = (p)}, (rs))
#define POSTJ(w, p, b, a, rs)                                                         \
    tw_do((w), (struct tw_req){.method = "POST", .path = (p), .body = (b),           \
                               .ctype = "application/json", .auth = (a)},            \
          (rs))

#endif
