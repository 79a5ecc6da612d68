/*
 * inbox_imap.c - the IMAP and IMAPS readers (RFC 3501, RFC 6851 MOVE).
 *
 * libcurl does what it is good at: TCP, implicit TLS or STARTTLS,
 * certificate checks against ca_file, and the login (CURLOPT_CONNECT_ONLY
 * stops right after it).  We then speak the few commands we need over
 * that connection with curl_easy_send/curl_easy_recv, on ONE connection
 * per poll:
 *   CAPABILITY                     does the server have MOVE?
 *   SELECT "folder"                UIDVALIDITY from "* OK [UIDVALIDITY n]"
 *   UID SEARCH UID n:*             what is newer than the last UID stored
 *   UID FETCH set (UID INTERNALDATE BODY.PEEK[])   a batch, streamed
 *   UID STORE set +FLAGS.SILENT (\Seen)            after the store commit
 *   UID MOVE / UID COPY set "move_to"              optional, never EXPUNGE
 * Why not CURLOPT_CUSTOMREQUEST: libcurl hands a custom command's
 * untagged lines to the write callback but the literal bytes (the
 * message) only to the header callback, one line at a time, through a
 * line reader that cuts overlong lines and that would take a message line
 * starting with the command's tag for the end of the response.  Reading
 * the literal ourselves by its byte count (inbox_imapresp.c) has neither
 * problem.  BODY.PEEK[] leaves \Seen alone: progress is the stored UID.
 *
 * Folder names are configured in UTF-8 ("Bestätigt"; in the URL as
 * percent-encoded UTF-8, RFC 5092) but IMAP4rev1 names are 7-bit, so the
 * folder and move_to go on the wire in modified UTF-7 (inbox_utf7.c).  What a
 * person reads (our messages, the server's NO/BAD text) names folders in
 * UTF-8.
 */
#include "inbox/inbox_int.h"

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/ab_dl_curl.h"
#include "common/ab_log.h"
#include "common/ab_mem.h"
#include "config/cfg.h"

enum kind { K_OTHER, K_SELECT, K_SEARCH, K_FETCH, K_CAPA };

struct imap {
    CURL *curl;
    curl_socket_t sock;
    int timeout_ms;
    unsigned tagno;
    char tag[16];
    char *folder; /* UTF-8, for messages */
    char *wire;   /* the same in modified UTF-7, as the server knows it */
    int has_move;
    int broken; /* a command failed half-way: the stream is out of step */
    struct inbox_imap_scan scan;
    /* the command in flight */
    enum kind kind;
    int done, status; /* status: 0 OK, 1 NO, 2 BAD */
    int trycreate;
    char status_text[256];
    int64_t uidvalidity;
    uint64_t *uids;
    size_t nuids, cap;
    uint64_t after;
    inbox_fetch_fn fn;
    void *ud;
    enum ab_err cb_err;
};

static const char *skip_ws(const char *p)
{
    while (*p == ' ')
        p++;
    return p;
}

static enum ab_err on_fetch(struct imap *im, const struct inbox_imap_resp *r,
                            ab_errmsg *em)
{
    const char *u = strstr(r->text, "UID ");
    if (!u || !r->lit)
        return AB_OK; /* a FETCH without a body: flags changed meanwhile */
    struct inbox_fetched f = {
        .uid = strtoull(u + 4, NULL, 10),
        .data = r->lit,
        .len = r->lit_len,
        .full_len = r->lit_total,
        .received = AB_TIME_NONE,
    };
    const char *d = strstr(r->text, "INTERNALDATE ");
    if (d)
        f.received = inbox_imap_date(d + 13);
    return im->fn(im->ud, &f, em);
}

static enum ab_err on_resp(void *ud, const struct inbox_imap_resp *r, ab_errmsg *em)
{
    struct imap *im = ud;
    const char *t = r->text;
    size_t tl = strlen(im->tag);
    if (strncmp(t, im->tag, tl) == 0 && t[tl] == ' ') {
        const char *s = skip_ws(t + tl);
        im->done = 1;
        im->status = strncasecmp(s, "OK", 2) == 0 ? 0 : strncasecmp(s, "NO", 2) == 0 ? 1 : 2;
        im->trycreate = strstr(s, "[TRYCREATE]") != NULL;
        snprintf(im->status_text, sizeof im->status_text, "%s", s);
        return AB_OK;
    }
    if (strncmp(t, "* ", 2) != 0)
        return AB_OK; /* continuation requests: we send no literals */
    t += 2;
    if (strncasecmp(t, "BYE", 3) == 0 && im->kind != K_OTHER)
        return ab_fail(em, AB_EIMAP, "server closed the connection: %.200s", t);
    if (im->kind == K_SELECT && strncasecmp(t, "OK [UIDVALIDITY ", 16) == 0) {
        im->uidvalidity = (int64_t)strtoull(t + 16, NULL, 10);
    } else if (im->kind == K_CAPA && strncasecmp(t, "CAPABILITY ", 11) == 0) {
        /* " MOVE" as a whole word */
        const char *p = t;
        while ((p = strstr(p, " MOVE"))) {
            if (p[5] == '\0' || p[5] == ' ')
                im->has_move = 1;
            p += 5;
        }
    } else if (im->kind == K_SEARCH && strncasecmp(t, "SEARCH", 6) == 0) {
        const char *p = t + 6;
        while (*(p = skip_ws(p))) {
            char *end;
            uint64_t v = strtoull(p, &end, 10);
            if (end == p)
                break;
            p = end;
            if (v <= im->after)
                continue; /* "n:*" always includes the newest message */
            if (im->nuids == im->cap) {
                size_t nc = im->cap ? im->cap * 2 : 256;
                uint64_t *nv = ab_realloc(im->uids, nc * sizeof *nv);
                if (!nv)
                    return ab_fail(em, AB_ENOMEM, "out of memory");
                im->uids = nv;
                im->cap = nc;
            }
            im->uids[im->nuids++] = v;
        }
    } else if (im->kind == K_FETCH && strstr(t, " FETCH (")) {
        return on_fetch(im, r, em);
    }
    return AB_OK;
}

static enum ab_err wait_sock(struct imap *im, short events, ab_errmsg *em)
{
    struct pollfd p = {.fd = (int)im->sock, .events = events};
    int r = poll(&p, 1, im->timeout_ms);
    if (r == 0)
        return ab_fail(em, AB_ETIMEOUT, "IMAP server did not answer within %d s",
                       im->timeout_ms / 1000);
    if (r < 0)
        return ab_fail(em, AB_EIO, "poll on the IMAP connection failed");
    return AB_OK;
}

/* Send one tagged command and read until its tagged response. */
static enum ab_err cmd(struct imap *im, enum kind kind, ab_errmsg *em,
                       const char *fmt, ...) AB_PRINTF(4, 5);
static enum ab_err cmd(struct imap *im, enum kind kind, ab_errmsg *em,
                       const char *fmt, ...)
{
    enum ab_err e = AB_OK;
    ab_buf line;
    ab_buf_init(&line, 0);
    snprintf(im->tag, sizeof im->tag, "ab%u", ++im->tagno);
    va_list ap;
    va_start(ap, fmt);
    if ((e = ab_buf_printf(&line, "%s ", im->tag)) ||
        (e = ab_buf_vprintf(&line, fmt, ap)) || (e = ab_buf_puts(&line, "\r\n"))) {
        va_end(ap);
        goto out;
    }
    va_end(ap);
    im->kind = kind;
    im->done = 0;
    im->status = 2;
    im->trycreate = 0;
    size_t off = 0;
    while (off < line.len) {
        size_t n = 0;
        CURLcode rc = curl_easy_send(im->curl, line.data + off, line.len - off, &n);
        if (rc == CURLE_AGAIN) {
            if ((e = wait_sock(im, POLLOUT, em)))
                goto out;
            continue;
        }
        if (rc != CURLE_OK) {
            e = ab_fail(em, AB_EIMAP, "IMAP send failed: %s", curl_easy_strerror(rc));
            goto out;
        }
        off += n;
    }
    char buf[65536];
    while (!im->done) {
        size_t n = 0;
        CURLcode rc = curl_easy_recv(im->curl, buf, sizeof buf, &n);
        if (rc == CURLE_AGAIN) {
            if ((e = wait_sock(im, POLLIN, em)))
                goto out;
            continue;
        }
        if (rc != CURLE_OK || n == 0) {
            e = ab_fail(em, AB_EIMAP, "IMAP connection lost: %s",
                        rc ? curl_easy_strerror(rc) : "closed by the server");
            goto out;
        }
        if ((e = inbox_imap_scan_feed(&im->scan, buf, n, em)))
            goto out;
    }
out:
    if (e)
        im->broken = 1;
    ab_buf_free(&line);
    return e;
}

/* Quote a mailbox name as an IMAP quoted string. */
static char *quoted(const char *s)
{
    ab_buf b;
    ab_buf_init(&b, 4096);
    int bad = ab_buf_putc(&b, '"') != AB_OK;
    for (; *s && !bad; s++)
        bad = ((*s == '"' || *s == '\\') && ab_buf_putc(&b, '\\') != AB_OK) ||
              ab_buf_putc(&b, *s) != AB_OK;
    bad = bad || ab_buf_putc(&b, '"') != AB_OK;
    char *r = bad ? NULL : ab_buf_steal(&b);
    ab_buf_free(&b);
    return r;
}

static void imap_close(void *h)
{
    struct imap *im = h;
    if (!im)
        return;
    if (im->curl && im->sock != CURL_SOCKET_BAD && !im->broken) {
        ab_errmsg em;
        (void)cmd(im, K_OTHER, &em, "LOGOUT");
    }
    if (im->curl)
        curl_easy_cleanup(im->curl);
    inbox_imap_scan_free(&im->scan);
    ab_free(im->folder);
    ab_free(im->wire);
    ab_free(im->uids);
    ab_free(im);
}

/* curl connects and logs in (CONNECT_ONLY): the commands after that are
 * ours, sent on its socket. */
static void set_options(CURL *c, const struct cfg_inbox *ib, const char *password,
                        const char *base, int timeout_ms)
{
    curl_easy_setopt(c, CURLOPT_URL, base);
    curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    if (ib->username)
        curl_easy_setopt(c, CURLOPT_USERNAME, ib->username);
    if (password)
        curl_easy_setopt(c, CURLOPT_PASSWORD, password);
    if (ib->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, ib->ca_file);
    if (ib->insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    long ssl = ib->tls == CFG_TLS_REQUIRED ? CURLUSESSL_ALL
               : ib->tls == CFG_TLS_NONE   ? CURLUSESSL_NONE
                                           : CURLUSESSL_TRY;
    curl_easy_setopt(c, CURLOPT_USE_SSL, ssl);
}

static enum ab_err imap_open(const struct cfg_inbox *ib, const char *password,
                             void **h, ab_errmsg *em)
{
    enum ab_err e = AB_OK;
    *h = NULL;
    struct imap *im = ab_calloc(1, sizeof *im);
    if (!im)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    im->sock = CURL_SOCKET_BAD;
    im->timeout_ms = (int)((ib->timeout > 0 && ib->timeout < 3600 ? ib->timeout : 60) * 1000);
    inbox_imap_scan_init(&im->scan, INBOX_MAX_MESSAGE, on_resp, im);
    /* imap://host:port/FOLDER -> the server part for curl, the folder for us */
    const char *url = ib->url;
    const char *hostp = strstr(url, "://");
    const char *slash = hostp ? strchr(hostp + 3, '/') : NULL;
    char base[1024];
    size_t bl = slash ? (size_t)(slash - url) : strlen(url);
    if (!hostp || bl + 2 > sizeof base) {
        e = ab_fail(em, AB_ECONFIG, "bad inbox URL %s", url);
        goto out;
    }
    memcpy(base, url, bl);
    base[bl] = '/';
    base[bl + 1] = '\0';
    const char *fpath = slash && slash[1] ? slash + 1 : "INBOX";
    if (!(im->curl = curl_easy_init())) {
        e = ab_fail(em, AB_ENOMEM, "curl_easy_init failed");
        goto out;
    }
    int flen = 0;
    char *f = curl_easy_unescape(im->curl, fpath, 0, &flen);
    im->folder = f ? ab_strndup(f, (size_t)flen) : NULL;
    curl_free(f);
    if (!im->folder) {
        e = ab_fail(em, AB_ENOMEM, "out of memory");
        goto out;
    }
    /* Before connecting: a name that cannot be sent is a config error. */
    if ((e = inbox_utf7_encode(im->folder, &im->wire, em))) {
        if (e == AB_EINVAL)
            e = ab_failctx(em, AB_ECONFIG, "inbox URL");
        goto out;
    }
    CURL *c = im->curl;
    set_options(c, ib, password, base, im->timeout_ms);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        e = ab_fail(em, rc == CURLE_OPERATION_TIMEDOUT ? AB_ETIMEOUT : AB_EIMAP,
                    "%s: %s", base, curl_easy_strerror(rc));
        goto out;
    }
    curl_socket_t s;
    if (curl_easy_getinfo(c, CURLINFO_ACTIVESOCKET, &s) != CURLE_OK ||
        s == CURL_SOCKET_BAD) {
        e = ab_fail(em, AB_EIMAP, "%s: no connection after login", base);
        goto out;
    }
    im->sock = s;
    if ((e = cmd(im, K_CAPA, em, "CAPABILITY")))
        goto out;
    *h = im;
    im = NULL;
out:
    imap_close(im);
    return e;
}

/* An error for a command that did not end in OK; name is the UTF-8 name
 * of the folder it was about. */
static enum ab_err check_ok(struct imap *im, const char *what, const char *name,
                            ab_errmsg *em)
{
    if (im->status == 0)
        return AB_OK;
    char text[sizeof im->status_text];
    inbox_utf7_humanize(im->status_text, text, sizeof text);
    return ab_fail(em, AB_EIMAP, "%s %s: %s", what, name, text);
}

static enum ab_err imap_select(void *h, uint32_t *uidvalidity, ab_errmsg *em)
{
    struct imap *im = h;
    char *q = quoted(im->wire);
    if (!q)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    im->uidvalidity = -1;
    enum ab_err e = cmd(im, K_SELECT, em, "SELECT %s", q);
    ab_free(q);
    if (e || (e = check_ok(im, "SELECT", im->folder, em)))
        return e;
    if (im->uidvalidity < 0)
        return ab_fail(em, AB_EIMAP, "SELECT %s: no UIDVALIDITY", im->folder);
    *uidvalidity = (uint32_t)im->uidvalidity;
    return AB_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static enum ab_err imap_list(void *h, uint64_t after, uint64_t **ids, size_t *n,
                             ab_errmsg *em)
{
    struct imap *im = h;
    im->nuids = 0;
    im->after = after;
    enum ab_err e = cmd(im, K_SEARCH, em, "UID SEARCH UID %llu:*",
                        (unsigned long long)after + 1);
    if (e || (e = check_ok(im, "UID SEARCH", im->folder, em)))
        return e;
    /* Nothing new leaves uids NULL; qsort(NULL, 0) is undefined. */
    if (im->nuids)
        qsort(im->uids, im->nuids, sizeof *im->uids, cmp_u64);
    *ids = im->uids;
    *n = im->nuids;
    im->uids = NULL;
    im->nuids = im->cap = 0;
    return AB_OK;
}

static enum ab_err imap_fetch(void *h, const uint64_t *ids, size_t n,
                              inbox_fetch_fn fn, void *ud, ab_errmsg *em)
{
    struct imap *im = h;
    ab_buf set;
    ab_buf_init(&set, 0);
    enum ab_err e = inbox_imap_uidset(ids, n, &set);
    if (e) {
        ab_buf_free(&set);
        return ab_fail(em, e, "out of memory");
    }
    im->fn = fn;
    im->ud = ud;
    e = cmd(im, K_FETCH, em, "UID FETCH %s (UID INTERNALDATE BODY.PEEK[])",
            ab_buf_str(&set));
    ab_buf_free(&set);
    if (e || (e = check_ok(im, "UID FETCH", im->folder, em)))
        return e;
    return AB_OK;
}

static enum ab_err imap_done(void *h, const uint64_t *ids, size_t n,
                             const char *move_to, ab_errmsg *em)
{
    struct imap *im = h;
    ab_buf set;
    ab_buf_init(&set, 0);
    char *q = NULL, *wire = NULL;
    enum ab_err e = inbox_imap_uidset(ids, n, &set);
    if (e) {
        e = ab_fail(em, e, "out of memory");
        goto out;
    }
    if ((e = cmd(im, K_OTHER, em, "UID STORE %s +FLAGS.SILENT (\\Seen)",
                 ab_buf_str(&set))) ||
        (e = check_ok(im, "UID STORE", im->folder, em)))
        goto out;
    if (!move_to || !*move_to)
        goto out;
    if ((e = inbox_utf7_encode(move_to, &wire, em)))
        goto out;
    if (!(q = quoted(wire))) {
        e = ab_fail(em, AB_ENOMEM, "out of memory");
        goto out;
    }
    /* MOVE removes the originals itself (RFC 6851); without it we only
     * COPY, and leave the originals: ackbeat never expunges. */
    const char *verb = im->has_move ? "MOVE" : "COPY";
    for (int attempt = 0; attempt < 2; attempt++) {
        if ((e = cmd(im, K_OTHER, em, "UID %s %s %s", verb, ab_buf_str(&set), q)))
            goto out;
        if (im->status == 0 || !im->trycreate || attempt)
            break;
        if ((e = cmd(im, K_OTHER, em, "CREATE %s", q)))
            goto out;
    }
    e = check_ok(im, im->has_move ? "UID MOVE to" : "UID COPY to", move_to, em);
out:
    ab_free(q);
    ab_free(wire);
    ab_buf_free(&set);
    return e;
}

const struct inbox_reader_ops inbox_reader_imap = {
    .scheme = "imap://",
    .has_uids = 1,
    .open = imap_open,
    .select = imap_select,
    .list = imap_list,
    .fetch = imap_fetch,
    .done = imap_done,
    .close = imap_close,
};

const struct inbox_reader_ops inbox_reader_imaps = {
    .scheme = "imaps://",
    .has_uids = 1,
    .open = imap_open,
    .select = imap_select,
    .list = imap_list,
    .fetch = imap_fetch,
    .done = imap_done,
    .close = imap_close,
};
