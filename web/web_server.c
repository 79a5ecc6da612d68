/*
 * web_server.c - the server's life (build, listen, reload, stop) and the
 * libmicrohttpd glue: collect a request's headers and body, hand it to
 * web_handle(), send what it answers.
 *
 * Why a thread of its own, and only one: the daemon's loop sleeps until
 * the next due time and may spend seconds inside a check's query; a ping
 * must not wait for that.  libmicrohttpd's internal polling thread
 * serves every connection from one thread, so the store handle and the
 * engine it owns are only ever used by that thread (neither is
 * thread-safe), and nothing mutable is shared with the loop: the state
 * file is shared through SQLite (WAL, BEGIN IMMEDIATE, busy timeout),
 * the config model is immutable.  See web.h for reloads.
 *
 * Limits: bodies past max_body are refused with 413 as soon as the
 * Content-Length says so (or when the chunks pass the cap), clients that
 * say nothing for `timeout` seconds are disconnected, a request must be
 * in whole within <web request-timeout> (web_deadline.c), at most max_conns
 * connections are open at once and at most <web max-conns-per-client>
 * from one address, so that slow clients cannot take every slot.
 */
#include "web/web_int.h"

#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/ab_dl_mhd.h"
#include "common/ab_log.h"
#include "common/ab_mem.h"

/* Per-request state between libmicrohttpd's calls. */
struct req {
    ab_buf body;
    int too_large;
    struct web_pingq_wait wait; /* a ping waiting for its commit */
    struct web_response held;   /* and its answer meanwhile */
};


static size_t max_body(const web *w)
{
    return w->o.max_body ? w->o.max_body : WEB_DEFAULT_MAX_BODY;
}

struct args {
    struct web_kv kv[WEB_MAX_ARGS];
    size_t n;
    int too_many; /* refused with 400, never dropped in silence */
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    struct args *a = cls;
    if (a->n < WEB_MAX_ARGS) {
        a->kv[a->n].key = key;
        a->kv[a->n].value = value;
        a->n++;
    } else {
        a->too_many = 1;
    }
    return MHD_YES;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct web_response *rs)
{
    struct MHD_Response *r;
    if (rs->body) {
        /* The buffer is handed over with our own free function. */
        r = MHD_create_response_from_buffer_with_free_callback(rs->len, rs->body, ab_free);
        if (r)
            rs->body = NULL;
    } else {
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (!r)
        return MHD_NO;
    const char *ct = rs->content_type ? rs->content_type : "text/plain; charset=utf-8";
    MHD_add_response_header(r, "Content-Type", ct);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    if (strncmp(ct, "text/html", 9) == 0) {
        /* No script anywhere; forms only to ourselves; never framed. */
        MHD_add_response_header(r, "Content-Security-Policy",
                                "default-src 'none'; style-src 'unsafe-inline'; "
                                "img-src data:; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'");
        MHD_add_response_header(r, "X-Frame-Options", "DENY");
    }
    if (rs->no_store)
        MHD_add_response_header(r, "Cache-Control", "no-store");
    else if (rs->cache_control)
        MHD_add_response_header(r, "Cache-Control", rs->cache_control);
    if (rs->location)
        MHD_add_response_header(r, "Location", rs->location);
    if (rs->www_authenticate)
        MHD_add_response_header(r, "WWW-Authenticate", rs->www_authenticate);
    if (rs->allow)
        MHD_add_response_header(r, "Allow", rs->allow);
    if (rs->retry_after)
        MHD_add_response_header(r, "Retry-After", rs->retry_after);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)rs->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A ping's connection resumed after its batch's commit: its answer, or
 * a 503 with Retry-After when it was not written (the state database is
 * away or failed, and the pinger should retry). */
static enum MHD_Result answer_resumed(struct MHD_Connection *conn, struct req *r)
{
    struct web_response rs = r->held;
    memset(&r->held, 0, sizeof r->held);
    r->wait.deferred = r->wait.done = 0;
    if (r->wait.failed) {
        web_response_free(&rs);
        memset(&rs, 0, sizeof rs);
        if (web_reply_text(&rs, 503, "could not record the ping; try again\n") != AB_OK)
            return MHD_NO;
        rs.retry_after = "5";
    }
    enum MHD_Result ret = send_response(conn, &rs);
    web_response_free(&rs);
    return ret;
}

static enum MHD_Result too_large(struct MHD_Connection *conn)
{
    struct web_response rs = {0};
    if (web_reply_text(&rs, 413, "request body too large\n") != AB_OK)
        return MHD_NO;
    enum MHD_Result ret = send_response(conn, &rs);
    web_response_free(&rs);
    return ret;
}

/* A ping that cannot wait for the committer: too many wait (503), or the
 * committer has stopped with the server (written here, alone). */
static enum ab_err not_queued(web *w, struct req *r, enum ab_err qe,
                              struct web_response *rs)
{
    r->wait.deferred = 0;
    if (qe == AB_ETEMPFAIL)
        web_pingq_write_now(w->pq, &r->wait);
    if (qe == AB_ETEMPFAIL && !r->wait.failed)
        return AB_OK; /* rs is the handler's 200 */
    web_response_free(rs);
    memset(rs, 0, sizeof *rs);
    if (qe == AB_ENOMEM)
        return AB_ENOMEM;
    enum ab_err e = web_reply_text(rs, 503, qe == AB_EBUSY
                                                ? "too many pings waiting; try again in a second\n"
                                                : "could not record the ping; try again\n");
    rs->retry_after = qe == AB_EBUSY ? "1" : "5";
    if (qe == AB_EBUSY)
        ab_log(AB_LOG_WARN, "web: ping %s refused: too many pings wait for their commit",
               r->wait.in.check);
    return e;
}

/*
 * web_handle for one request.  A ping, with the committer there, is only
 * read here, without the engine's lock, and handed over (*held set: its
 * connection suspended until its commit); anything else runs under the
 * lock, since every use of the engine is (web_pingq.c).  The router's
 * way to web_ping touches nothing of the engine: a ping's refusals,
 * a bad path's included, are plain text (web_respond.c's wants_text).
 */
static enum ab_err handle(web *w, struct MHD_Connection *conn, struct req *r,
                          const struct web_request *rq, struct web_response *rs, int *held)
{
    *held = 0;
    /* "/ping/" alone is no ping: the router sends it on to the pages. */
    if (!w->pq || strncmp(rq->path, "/ping/", 6) != 0 || rq->path[6] == '\0') {
        web_pingq_lock(w->pq);
        enum ab_err he = web_handle(w, rq, rs);
        web_pingq_unlock(w->pq);
        return he;
    }
    w->pw = &r->wait;
    enum ab_err he = web_handle(w, rq, rs);
    w->pw = NULL;
    if (he != AB_OK || !r->wait.deferred)
        return he;
    enum ab_err qe = web_pingq_add(w->pq, conn, &r->wait);
    if (qe != AB_OK)
        return not_queued(w, r, qe, rs);
    r->held = *rs;
    *held = 1;
    return AB_OK;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    web *w = cls;
    struct req *r = *con_cls;
    if (!r) {
        if (!(r = ab_calloc(1, sizeof *r)))
            return MHD_NO;
        ab_buf_init(&r->body, max_body(w));
        *con_cls = r;
        /* Refuse a body announced too large before reading any of it;
         * libmicrohttpd then closes the connection after the answer. */
        const char *cl = header(conn, "Content-Length");
        if (cl) {
            char *end;
            unsigned long long n = strtoull(cl, &end, 10);
            if (end != cl && n > max_body(w)) {
                r->too_large = 1;
                return too_large(conn);
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!r->too_large &&
            ab_buf_append(&r->body, upload_data, *upload_data_size) != AB_OK) {
            r->too_large = 1;
            ab_buf_free(&r->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->wait.done)
        return answer_resumed(conn, r);
    struct args a = {.n = 0};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &a);
    struct web_request rq = {
        .method = method,
        .path = url,
        .args = a.kv,
        .nargs = a.n,
        .host = header(conn, "Host"),
        .authorization = header(conn, "Authorization"),
        .content_type = header(conn, "Content-Type"),
        .origin = header(conn, "Origin"),
        .referer = header(conn, "Referer"),
        .user_agent = header(conn, "User-Agent"),
        .body = r->body.data ? r->body.data : "",
        .body_len = r->body.len,
        .body_too_large = r->too_large,
        .args_too_many = a.too_many,
    };
    struct web_response rs = {0};
    int held = 0;
    enum ab_err he = handle(w, conn, r, &rq, &rs, &held);
    if (he != AB_OK) {
        web_response_free(&rs);
        return MHD_NO; /* out of memory: drop the connection */
    }
    ab_log(AB_LOG_DEBUG, "web: %s %s %d", method, url, rs.status);
    /* Received: a kept-alive connection's next request starts the clock
     * again from here. */
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci)
        web_deadline_start(w->dl, (int)ci->connect_fd);
    if (held)
        return MHD_YES; /* suspended: answered after the commit */
    enum MHD_Result ret = send_response(conn, &rs);
    web_response_free(&rs);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct req *r = *con_cls;
    if (!r)
        return;
    ab_buf_free(&r->body);
    web_response_free(&r->held);
    ab_free(r->wait.detail);
    ab_free(r->wait.rid);
    ab_free(r);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)socket_context;
    web *w = cls;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        web_deadline_start(w->dl, (int)ci->connect_fd);
    else
        web_deadline_end(w->dl, (int)ci->connect_fd);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    ab_log(AB_LOG_WARN, "web: %s", line);
}

/* Resolve "HOST:PORT" or "[V6]:PORT" into a socket address. */
static enum ab_err resolve(const char *listen, struct addrinfo **out, ab_errmsg *em)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || !colon[1])
        return ab_fail(em, AB_ECONFIG, "web: listen=\"%s\" must be ADDRESS:PORT", listen);
    size_t hl = (size_t)(colon - listen);
    const char *h = listen;
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl >= sizeof host)
        return ab_fail(em, AB_ECONFIG, "web: listen=\"%s\": address too long", listen);
    memcpy(host, h, hl);
    host[hl] = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    int rc = getaddrinfo(strcmp(host, "*") == 0 ? NULL : host, colon + 1, &hints, out);
    if (rc)
        return ab_fail(em, AB_ECONFIG, "web: listen=\"%s\": %s", listen, gai_strerror(rc));
    return AB_OK;
}

enum ab_err web_listen(web *w, ab_errmsg *em)
{
    if (w->d)
        return AB_OK;
    const char *listen = web_listen_addr(w);
    struct addrinfo *ai = NULL;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (w->listen_fd < 0) {
        enum ab_err e = resolve(listen, &ai, em);
        if (e)
            return e;
        if (ai->ai_family == AF_INET6)
            flags |= MHD_USE_IPv6;
    }
    /* The thread inherits our signal mask: block everything in it, so
     * that SIGTERM and SIGHUP reach the daemon's loop (which sleeps and
     * must be woken), never the server thread. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    unsigned conns = w->o.max_conns ? w->o.max_conns : WEB_DEFAULT_MAX_CONNS;
    unsigned timeout = w->o.timeout ? w->o.timeout : WEB_DEFAULT_TIMEOUT;
    const struct cfg_web *cw = &cfg_global(w->c)->web;
    unsigned per_client = cw->enabled ? cw->per_client : 32;
    if (!w->dl && !(w->dl = web_deadline_new(cw->enabled ? cw->request_timeout : 10))) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (ai)
            freeaddrinfo(ai);
        return ab_fail(em, AB_ENOMEM, "web: cannot start the request-timeout watch");
    }
    if (w->listen_fd >= 0)
        w->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, w,
                                MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, w,
                                MHD_OPTION_LISTEN_SOCKET, (MHD_socket)w->listen_fd,
                                MHD_OPTION_CONNECTION_LIMIT, conns,
                                MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_client,
                                MHD_OPTION_CONNECTION_TIMEOUT, timeout,
                                MHD_OPTION_NOTIFY_COMPLETED, on_completed, w,
                                MHD_OPTION_NOTIFY_CONNECTION, on_connection, w,
                                MHD_OPTION_END);
    else
        w->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, w,
                                MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, w,
                                MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                                MHD_OPTION_LISTEN_BACKLOG_SIZE, 511u,
                                MHD_OPTION_CONNECTION_LIMIT, conns,
                                MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_client,
                                MHD_OPTION_CONNECTION_TIMEOUT, timeout,
                                MHD_OPTION_NOTIFY_COMPLETED, on_completed, w,
                                MHD_OPTION_NOTIFY_CONNECTION, on_connection, w,
                                MHD_OPTION_END);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (ai)
        freeaddrinfo(ai);
    if (!w->d) {
        web_deadline_free(w->dl);
        w->dl = NULL;
    }
    if (!w->d)
        return ab_fail(em, AB_EIO, "web: cannot listen on %s (in use, or not an "
                                   "address of this machine)", listen);
    /* The committer of the pings' group commit (web_pingq.c); without
     * it (no thread to be had) each ping commits on its own as before. */
    w->pq = web_pingq_new(w);
    if (!w->pq)
        ab_log(AB_LOG_WARN, "web: no committer thread; each ping commits alone");
    /* The daemon owns a handed-over socket now and closes it on stop. */
    w->listen_fd = -1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_BIND_PORT);
    w->port = info ? info->port : 0;
    return AB_OK;
}

unsigned web_port(const web *w)
{
    return w && w->d ? w->port : 0;
}

int web_server_stop(web *w, int keep_socket)
{
    int fd = -1;
    if (!w || !w->d)
        return -1;
    /* Quiescing first takes the listening socket back from the daemon,
     * so a restart can go on accepting on it: connections that arrive
     * meanwhile wait in the kernel's backlog instead of being refused. */
    if (keep_socket)
        fd = (int)MHD_quiesce_daemon(w->d);
    /* Commit and answer the pings waiting (a suspended connection must
     * be resumed before the daemon stops); later ones commit alone. */
    web_pingq_stop(w->pq);
    MHD_stop_daemon(w->d); /* joins the thread */
    web_pingq_free(w->pq);
    w->pq = NULL;
    w->d = NULL;
    web_deadline_free(w->dl);
    w->dl = NULL;
    w->port = 0;
    return fd;
}
