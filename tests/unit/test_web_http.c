/*
 * test_web_http.c - the web server over real sockets on 127.0.0.1 (an
 * ephemeral port): libmicrohttpd's decoding of paths and query strings,
 * the body limit (413 announced or streamed), slow clients timed out,
 * the connection limit, a reload that keeps the listening socket, and
 * the server going on after every bad request.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_web_util.h"

struct resp {
    long status;
    ab_buf body;
};

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
    struct resp *r = ud;
    return ab_buf_append(&r->body, p, sz * n) == AB_OK ? sz * n : 0;
}

/* One request; returns curl's code.  headers: NULL-terminated or NULL. */
static CURLcode http(unsigned port, const char *method, const char *path,
                     const char *body, size_t len, const char *const *headers,
                     struct resp *r)
{
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
    ab_buf_free(&r->body);
    ab_buf_init(&r->body, 1 << 20);
    r->status = 0;
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    for (size_t i = 0; headers && headers[i]; i++)
        h = curl_slist_append(h, headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc;
}

static int connect_to(unsigned port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
        close(s);
        return -1;
    }
    return s;
}

/* Did the server close s within ms milliseconds? */
static int closed_within(int s, int ms)
{
    struct pollfd p = {.fd = s, .events = POLLIN};
    if (poll(&p, 1, ms) <= 0)
        return 0;
    char b[256];
    ssize_t n;
    while ((n = recv(s, b, sizeof b, 0)) > 0)
        ;
    return n == 0 || n < 0;
}

struct srv {
    cfg *c;
    web *w;
    unsigned port;
    struct resp r;
};

static int srv_start(struct srv *s, const char *name, unsigned timeout, unsigned conns)
{
    memset(s, 0, sizeof *s);
    ab_buf_init(&s->r.body, 0);
    tw_now_value = TW_NOW;
    s->c = tw_config(tw_setup(name, 1));
    if (!s->c)
        return -1;
    struct web_opts o = tw_opts();
    o.timeout = timeout;
    o.max_conns = conns;
    ab_errmsg em = {{0}};
    if (web_apply(&s->w, s->c, &o, &em) != AB_OK) {
        printf("    %s\n", em.text);
        return -1;
    }
    s->port = web_port(s->w);
    return s->port ? 0 : -1;
}

static void srv_stop(struct srv *s)
{
    web_free(s->w);
    cfg_free(s->c);
    ab_buf_free(&s->r.body);
}

TEST(serves_and_decodes)
{
    struct srv s;
    CHECK(srv_start(&s, "serve", 0, 0) == 0);
    CHECK_INT(http(s.port, "GET", "/healthz", NULL, 0, NULL, &s.r), CURLE_OK);
    CHECK_INT(s.r.status, 200);
    CHECK_INT(http(s.port, "GET", "/", NULL, 0, NULL, &s.r), CURLE_OK);
    CHECK_INT(s.r.status, 200);
    CHECK_CONTAINS(ab_buf_str(&s.r.body), "<!doctype html>");
    CHECK_INT(http(s.port, "HEAD", "/", NULL, 0, NULL, &s.r), CURLE_OK);
    CHECK_INT(s.r.status, 200);
    /* Percent-encoded traversal is decoded first, then refused. */
    CHECK_INT(http(s.port, "GET", "/checks/%2e%2e/%2e%2e/etc/passwd", NULL, 0, NULL, &s.r),
              CURLE_OK);
    CHECK_INT(s.r.status, 400);
    CHECK_INT(http(s.port, "GET", "/../../etc/passwd", NULL, 0, NULL, &s.r), CURLE_OK);
    CHECK_INT(s.r.status, 400);
    CHECK_INT(http(s.port, "GET", "/checks/back%75p", NULL, 0, NULL, &s.r), CURLE_OK);
    CHECK_INT(s.r.status, 200);
    CHECK_INT(http(s.port, "GET", "/alerts?done=7&act=snoozed", NULL, 0, NULL, &s.r), CURLE_OK);
    CHECK_CONTAINS(ab_buf_str(&s.r.body), "Alert #7 snoozed.");
    CHECK_INT(http(s.port, "GET", "/ping/" TW_PING "/start", NULL, 0, NULL, &s.r), CURLE_OK);
    CHECK_INT(s.r.status, 200);
    CHECK_INT(http(s.port, "POST", "/ping/nope-nope-nope-nope", "x", 1, NULL, &s.r), CURLE_OK);
    CHECK_INT(s.r.status, 404);
    srv_stop(&s);
}

TEST(body_limits)
{
    struct srv s;
    CHECK(srv_start(&s, "limits", 0, 0) == 0);
    const char *json[] = {"Content-Type: application/json",
                          "Authorization: Bearer " TW_TOKEN, NULL};
    size_t big = 10u << 20;
    char *b = ab_malloc(big);
    CHECK(b);
    memset(b, ' ', big);
    /* Announced by Content-Length: refused before it is read. */
    CURLcode rc = http(s.port, "POST", "/report/backup", b, big, json, &s.r);
    CHECK(rc == CURLE_OK || rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR);
    CHECK_INT(s.r.status, 413);
    /* Streamed in chunks with no length: cut off at the cap. */
    const char *chunked[] = {"Content-Type: application/json",
                             "Authorization: Bearer " TW_TOKEN,
                             "Transfer-Encoding: chunked", NULL};
    rc = http(s.port, "POST", "/report/backup", b, 200000, chunked, &s.r);
    CHECK_INT(s.r.status, 413);
    /* Just under the cap is read and judged (bad JSON: 400). */
    rc = http(s.port, "POST", "/report/backup", b, WEB_DEFAULT_MAX_BODY, json, &s.r);
    CHECK_INT(rc, CURLE_OK);
    CHECK_INT(s.r.status, 400);
    ab_free(b);
    /* And the server goes on. */
    CHECK_INT(http(s.port, "POST", "/report/backup", "{\"status\":\"Healthy\"}", 20, json,
                   &s.r), CURLE_OK);
    CHECK_INT(s.r.status, 200);
    srv_stop(&s);
}

TEST(slow_clients_time_out)
{
    struct srv s;
    CHECK(srv_start(&s, "slow", 1, 0) == 0);
    int fd = connect_to(s.port);
    CHECK(fd >= 0);
    /* Half a request line, then silence. */
    CHECK(send(fd, "GET /heal", 9, 0) == 9);
    int closed = closed_within(fd, 4000);
    close(fd);
    CHECK(closed);
    CHECK_INT(http(s.port, "GET", "/healthz", NULL, 0, NULL, &s.r), CURLE_OK);
    CHECK_INT(s.r.status, 200);
    srv_stop(&s);
}

/* Read an HTTP answer from s within ms; 1 if it starts with want. */
static int answered(int s, int ms, const char *want)
{
    struct pollfd p = {.fd = s, .events = POLLIN};
    char b[256] = "";
    if (poll(&p, 1, ms) <= 0)
        return 0;
    ssize_t n = recv(s, b, sizeof b - 1, 0);
    return n > 0 && strncmp(b, want, strlen(want)) == 0;
}

TEST(connection_limit)
{
    struct srv s;
    CHECK(srv_start(&s, "conns", 30, 4) == 0);
    int fds[4];
    for (int i = 0; i < 4; i++) {
        fds[i] = connect_to(s.port);
        CHECK(fds[i] >= 0);
    }
    usleep(100 * 1000);
    /* A fifth waits in the backlog: not served while four are open. */
    int extra = connect_to(s.port);
    CHECK(extra >= 0);
    const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    CHECK(send(extra, req, strlen(req), MSG_NOSIGNAL) > 0);
    CHECK(!answered(extra, 700, "HTTP/1.1 200"));
    /* Once one goes, it is served. */
    close(fds[0]);
    int ok = answered(extra, 3000, "HTTP/1.1 200");
    close(extra);
    for (int i = 1; i < 4; i++)
        close(fds[i]);
    CHECK(ok);
    CHECK_INT(http(s.port, "GET", "/healthz", NULL, 0, NULL, &s.r), CURLE_OK);
    CHECK_INT(s.r.status, 200);
    srv_stop(&s);
}

TEST(reload_keeps_the_socket)
{
    struct srv s;
    CHECK(srv_start(&s, "reload", 0, 0) == 0);
    /* A connection opened before the reload, request sent after it. */
    int early = connect_to(s.port);
    CHECK(early >= 0);
    cfg *fresh = tw_config(tw_setup("reload", 1));
    CHECK(fresh);
    struct web_opts o = tw_opts();
    ab_errmsg em = {{0}};
    CHECK_OK(web_apply(&s.w, fresh, &o, &em));
    cfg_free(s.c); /* the old model may go now */
    s.c = fresh;
    CHECK_INT(web_port(s.w), s.port);
    CHECK_INT(http(s.port, "GET", "/api/checks", NULL, 0, NULL, &s.r), CURLE_OK);
    CHECK_INT(s.r.status, 200);
    const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ssize_t n = send(early, req, strlen(req), MSG_NOSIGNAL);
    char buf[512] = "";
    if (n > 0) {
        struct pollfd p = {.fd = early, .events = POLLIN};
        if (poll(&p, 1, 3000) > 0)
            n = recv(early, buf, sizeof buf - 1, 0);
    }
    close(early);
    /* Either answered by the new server from the backlog, or (if the old
     * one had taken it) closed cleanly; never a crash. */
    CHECK(n <= 0 || strstr(buf, "HTTP/1.1 200") || buf[0] == '\0');
    /* Without <web> the server stops. */
    char d[512];
    snprintf(d, sizeof d, "%s/reload-off", t_tmpdir());
    mkdir(d, 0700);
    tw_write(tw_path(d, "ackbeat.xml"),
             "<ackbeat name=\"x\"><state path=\"state.db\"/>"
             "<mail from=\"a@b.example\" transport=\"maildir:out\"/></ackbeat>\n");
    cfg *plain = tw_config(d);
    CHECK(plain);
    CHECK_OK(web_apply(&s.w, plain, &o, &em));
    CHECK(s.w == NULL);
    CHECK(http(s.port, "GET", "/healthz", NULL, 0, NULL, &s.r) == CURLE_COULDNT_CONNECT);
    cfg_free(plain);
    srv_stop(&s);
}

TEST(bind_failure_is_reported)
{
    struct srv s;
    CHECK(srv_start(&s, "bind", 0, 0) == 0);
    cfg *c = tw_config(tw_setup("bind2", 1));
    CHECK(c);
    struct web_opts o = tw_opts();
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", s.port);
    o.listen = addr;
    web *w2 = NULL;
    ab_errmsg em = {{0}};
    CHECK_INT(web_apply(&w2, c, &o, &em), AB_EIO);
    CHECK(w2 == NULL);
    CHECK_CONTAINS(em.text, addr);
    o.listen = "no-colon";
    CHECK_INT(web_apply(&w2, c, &o, &em), AB_ECONFIG);
    cfg_free(c);
    srv_stop(&s);
}

/* A socket bound (and listening) on a free loopback port: "in use". */
static int occupy(unsigned *port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 1) < 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) < 0) {
        if (s >= 0)
            close(s);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return s;
}

TEST(failed_reload_keeps_the_old_server)
{
    struct srv s;
    CHECK(srv_start(&s, "keep", 0, 0) == 0);
    web *before = s.w;
    /* A new address that is taken: the old server answers on. */
    unsigned taken;
    int blocker = occupy(&taken);
    CHECK(blocker >= 0);
    cfg *fresh = tw_config(tw_setup("keep2", 1));
    CHECK(fresh);
    struct web_opts o = tw_opts();
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", taken);
    o.listen = addr;
    ab_errmsg em = {{0}};
    CHECK_INT(web_apply(&s.w, fresh, &o, &em), AB_EIO);
    CHECK_CONTAINS(em.text, addr);
    CHECK(s.w == before);
    CHECK_INT(web_port(s.w), s.port);
    CHECK_INT(http(s.port, "GET", "/healthz", NULL, 0, NULL, &s.r), CURLE_OK);
    CHECK_INT(s.r.status, 200);
    /* A token the server refuses (too short): the same, on the same
     * address. */
    char d[512];
    snprintf(d, sizeof d, "%s/keep3", t_tmpdir());
    mkdir(d, 0700);
    tw_write(tw_path(d, "short.token"), "short\n");
    tw_write(tw_path(d, "ackbeat.xml"),
             "<ackbeat name=\"x\"><state path=\"state.db\"/>"
             "<mail from=\"a@b.example\" transport=\"maildir:out\"/>"
             "<web listen=\"127.0.0.1:18031\" token-file=\"short.token\"/></ackbeat>\n");
    cfg *broken = tw_config(d);
    CHECK(broken);
    struct web_opts o2 = tw_opts();
    CHECK(web_apply(&s.w, broken, &o2, &em) != AB_OK);
    CHECK_CONTAINS(em.text, "at least 16 characters");
    CHECK(s.w == before);
    CHECK_INT(http(s.port, "GET", "/api/checks", NULL, 0, NULL, &s.r), CURLE_OK);
    CHECK_INT(s.r.status, 200);
    cfg_free(broken);
    /* Once the port is free, the same reload moves the server there. */
    close(blocker);
    CHECK_OK(web_apply(&s.w, fresh, &o, &em));
    CHECK_INT(web_port(s.w), taken);
    CHECK_INT(http(taken, "GET", "/healthz", NULL, 0, NULL, &s.r), CURLE_OK);
    CHECK_INT(s.r.status, 200);
    CHECK(http(s.port, "GET", "/healthz", NULL, 0, NULL, &s.r) == CURLE_COULDNT_CONNECT);
    cfg_free(s.c); /* the old model may go now */
    s.c = fresh;
    srv_stop(&s);
}
