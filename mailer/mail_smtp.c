/*
 * mail_smtp.c - the smtp:// and smtps:// transports: RFC 5321 submission with
 * libcurl, STARTTLS (RFC 3207) or implicit TLS (RFC 8314), AUTH PLAIN and
 * LOGIN (RFC 4954, 4616).
 *
 * One CURL easy handle lives as long as the transport, so libcurl keeps
 * the connection open between transfers: a batch of messages costs one
 * TCP connect, one TLS handshake and one AUTH, then MAIL/RCPT/DATA per
 * message.
 *
 * One SMTP transaction per recipient.  libcurl reports one result per
 * transfer; with several RCPT TO in one transaction it either fails the
 * whole transfer when one recipient is refused, or (with
 * CURLOPT_MAIL_RCPT_ALLOWFAILS) carries on without saying which one was
 * refused.  The outbox must record a 550 against the recipient it
 * belongs to and still deliver to the others, so each recipient gets its
 * own MAIL/RCPT/DATA over the same connection.  Most of ackbeat's mail has
 * one recipient anyway (a heartbeat carries a per-recipient token).
 * libcurl closes the connection after a refused transaction; the next
 * transfer reconnects, which only costs time on the rare failure.
 *
 * Permanent or temporary: a 5xx reply to MAIL, RCPT or the end of DATA is
 * permanent for that recipient; a 4xx is temporary.  Everything else
 * (connection refused or lost, timeout, TLS, authentication, a reply
 * that is not SMTP) is a temporary failure of the session, and the
 * caller stops using the connection for this batch.  To know which
 * command a reply answered, the debug callback notes the verb of each
 * command sent; it never copies a command line, because AUTH lines hold
 * credentials.
 */
#include "mailer/mail_int.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/ab_dl_curl.h"
#include "common/ab_log.h"
#include "common/ab_mem.h"
#include "config/cfg.h"

#define DEFAULT_TIMEOUT 60

struct smtp {
    CURL *curl;
    CURLU *url;
    char where[160]; /* "smtp://host:port", for messages */
    /* the upload in progress */
    const char *up;
    size_t uplen, upoff;
    /* what the server said last, and what we asked last */
    char reply[512];
    size_t replylen;
    int reply_done; /* the last line seen ended a reply */
    int quitting;   /* QUIT sent: what follows is not about the message */
    enum mail_smtp_stage stage;
    char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_start(void)
{
    /* Process-wide and not thread-safe, hence once; never cleaned up
     * (other modules use libcurl too). */
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

enum ab_err mail_smtp_classify(int curl_code, long reply_code,
                               enum mail_smtp_stage stage, int *session)
{
    *session = 0;
    if (curl_code == CURLE_OK)
        return AB_OK;
    int cls = (int)(reply_code / 100);
    int about_message = stage != MAIL_STAGE_SESSION;
    /* 421: the server is closing the connection; 530/534/535/538: the
     * session is not authenticated as required.  Neither says anything
     * about the message, and both need a fix or a wait, not a bounce. */
    int session_code = reply_code == 421 || reply_code == 530 ||
                       reply_code == 534 || reply_code == 535 ||
                       reply_code == 538;
    if (about_message && !session_code && cls == 5)
        return AB_EPERMFAIL;
    if (about_message && !session_code && cls == 4)
        return AB_ETEMPFAIL;
    *session = 1;
    return AB_ETEMPFAIL;
}

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    struct smtp *s = ud;
    size_t room = size * nitems, left = s->uplen - s->upoff;
    size_t n = left < room ? left : room;
    memcpy(buf, s->up + s->upoff, n);
    s->upoff += n;
    return n;
}

/* A reply line "NNN text" or "NNN-text": collect it; a line after a
 * complete reply starts the next reply. */
static void note_reply_line(struct smtp *s, const char *p, size_t n)
{
    if (s->reply_done) {
        s->replylen = 0;
        s->reply_done = 0;
    }
    while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n'))
        n--;
    if (s->replylen > 0 && s->replylen + 1 < sizeof s->reply)
        s->reply[s->replylen++] = ' ';
    /* Continuation lines repeat the code; keep only the text. */
    size_t skip = s->replylen > 0 && n >= 4 ? 4 : 0;
    size_t room = sizeof s->reply - 1 - s->replylen;
    size_t take = n - skip < room ? n - skip : room;
    memcpy(s->reply + s->replylen, p + skip, take);
    s->replylen += take;
    s->reply[s->replylen] = 0;
    if (n >= 3 && isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
        isdigit((unsigned char)p[2]) && (n == 3 || p[3] == ' '))
        s->reply_done = 1;
}

static int starts(const char *p, size_t n, const char *word)
{
    size_t w = strlen(word);
    return n >= w && strncasecmp(p, word, w) == 0;
}

static int debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
    (void)h;
    struct smtp *s = ud;
    /* After a refused transaction libcurl closes the connection with
     * QUIT inside the same transfer; its "221" must not replace the
     * reply that explains the failure. */
    if (type == CURLINFO_HEADER_OUT && starts(data, size, "QUIT")) {
        s->quitting = 1;
        return 0;
    }
    if (s->quitting)
        return 0;
    if (type == CURLINFO_HEADER_IN) {
        /* One or more reply lines. */
        size_t start = 0;
        for (size_t i = 0; i < size; i++)
            if (data[i] == '\n') {
                note_reply_line(s, data + start, i + 1 - start);
                start = i + 1;
            }
        if (start < size)
            note_reply_line(s, data + start, size - start);
    } else if (type == CURLINFO_HEADER_OUT) {
        /* Only the verb is looked at: the rest may be credentials. */
        if (starts(data, size, "MAIL FROM:"))
            s->stage = MAIL_STAGE_MAIL;
        else if (starts(data, size, "RCPT TO:"))
            s->stage = MAIL_STAGE_RCPT;
        else if (starts(data, size, "DATA"))
            s->stage = MAIL_STAGE_DATA;
        else
            s->stage = MAIL_STAGE_SESSION;
    }
    return 0;
}

static int valid_helo(const char *h)
{
    if (!*h || strlen(h) > 253)
        return 0;
    for (const char *p = h; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr(".-[]:", *p))
            return 0;
    return 1;
}

/* Parse and check the URL; fills s->where and s->url (path = HELO name,
 * no query) and *auth ("AUTH=PLAIN" or NULL). */
static enum ab_err parse_url(struct smtp *s, const struct cfg_mail *mc,
                             const char *url, int implicit_tls,
                             const char **auth, ab_errmsg *em)
{
    char *host = NULL, *port = NULL, *path = NULL, *query = NULL, *user = NULL;
    enum ab_err e = AB_OK;
    const char *scheme = implicit_tls ? "smtps" : "smtp";
    *auth = NULL;
    s->url = curl_url();
    if (!s->url)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    CURLUcode uc = curl_url_set(s->url, CURLUPART_URL, url, 0);
    if (uc != CURLUE_OK) {
        e = ab_fail(em, AB_ECONFIG, "mail transport: not a valid %s:// URL: %s",
                    scheme, curl_url_strerror(uc));
        goto out;
    }
    if (curl_url_get(s->url, CURLUPART_USER, &user, 0) == CURLUE_OK) {
        /* Do not echo the URL: it holds what may be a password. */
        e = ab_fail(em, AB_ECONFIG,
                    "mail transport: credentials do not belong in the URL; "
                    "use the username and password-file settings");
        goto out;
    }
    if (curl_url_get(s->url, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
        e = ab_fail(em, AB_ECONFIG, "mail transport: %s:// URL without a host", scheme);
        goto out;
    }
    if (curl_url_get(s->url, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        e = ab_fail(em, AB_ECONFIG, "mail transport: %s:// URL without a port", scheme);
        goto out;
    }
    snprintf(s->where, sizeof s->where, "%s://%s:%s", scheme, host, port);
    if (curl_url_get(s->url, CURLUPART_QUERY, &query, 0) == CURLUE_OK && *query) {
        if (strcasecmp(query, "auth=plain") == 0)
            *auth = "AUTH=PLAIN";
        else if (strcasecmp(query, "auth=login") == 0)
            *auth = "AUTH=LOGIN";
        else {
            e = ab_fail(em, AB_ECONFIG,
                        "mail transport %s: unknown option '?%.60s' "
                        "(only ?auth=plain or ?auth=login)",
                        s->where, query);
            goto out;
        }
    }
    /* libcurl takes the EHLO name from the URL path. */
    const char *helo = mc->helo;
    if (!helo && curl_url_get(s->url, CURLUPART_PATH, &path, 0) == CURLUE_OK &&
        path[0] == '/' && path[1])
        helo = path + 1;
    if (helo && !valid_helo(helo)) {
        e = ab_fail(em, AB_ECONFIG, "mail transport %s: HELO name '%.80s' is not a host name",
                    s->where, helo);
        goto out;
    }
    char newpath[300];
    snprintf(newpath, sizeof newpath, "/%s", helo ? helo : "");
    if (curl_url_set(s->url, CURLUPART_PATH, newpath, 0) != CURLUE_OK ||
        curl_url_set(s->url, CURLUPART_QUERY, NULL, 0) != CURLUE_OK ||
        curl_url_set(s->url, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK)
        e = ab_fail(em, AB_ENOMEM, "out of memory");
out:
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    curl_free(user);
    return e;
}

static void smtp_close(void *state)
{
    struct smtp *s = state;
    if (!s)
        return;
    if (s->curl)
        curl_easy_cleanup(s->curl); /* sends QUIT on an open connection */
    if (s->url)
        curl_url_cleanup(s->url);
    ab_free(s);
}

#define SETOPT(opt, val)                                                      \
    do {                                                                      \
        if (curl_easy_setopt(s->curl, opt, val) != CURLE_OK) {                \
            e = ab_fail(em, AB_ECONFIG, "mail transport %s: libcurl refused " \
                        "option %s", s->where, #opt);                        \
            goto out;                                                         \
        }                                                                     \
    } while (0)

/* CURLOPT_USE_SSL for tls=: STARTTLS required, never, or if offered. */
static long use_ssl_for(enum cfg_tls tls)
{
    switch (tls) {
    case CFG_TLS_REQUIRED: return CURLUSESSL_ALL;
    case CFG_TLS_NONE: return CURLUSESSL_NONE;
    case CFG_TLS_OPPORTUNISTIC:
    case CFG_TLS_AUTO:
    default: return CURLUSESSL_TRY;
    }
}

/* Every option of s's libcurl handle: the URL, TLS, the login when a
 * password was read, the timeouts, and the callbacks. */
static enum ab_err set_options(struct smtp *s, const struct cfg_mail *mc,
                               const char *password, const char *auth, ab_errmsg *em)
{
    enum ab_err e = AB_OK;
    long timeout = mc->timeout > 0 ? (long)mc->timeout : DEFAULT_TIMEOUT;
    SETOPT(CURLOPT_CURLU, s->url);
    SETOPT(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_ERRORBUFFER, s->errbuf);
    SETOPT(CURLOPT_USE_SSL, use_ssl_for(mc->tls));
    SETOPT(CURLOPT_SSL_VERIFYPEER, mc->insecure ? 0L : 1L);
    SETOPT(CURLOPT_SSL_VERIFYHOST, mc->insecure ? 0L : 2L);
    if (mc->ca_file)
        SETOPT(CURLOPT_CAINFO, mc->ca_file);
    if (password) {
        SETOPT(CURLOPT_USERNAME, mc->username);
        SETOPT(CURLOPT_PASSWORD, password); /* libcurl keeps a copy */
        if (auth)
            SETOPT(CURLOPT_LOGIN_OPTIONS, auth);
    }
    /* A server that accepts the connection and then says nothing must
     * not hold the daemon: bounded connect, bounded wait for each reply,
     * bounded transfer, and a minimum speed. */
    SETOPT(CURLOPT_CONNECTTIMEOUT, timeout);
    SETOPT(CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout);
    SETOPT(CURLOPT_TIMEOUT, timeout);
    SETOPT(CURLOPT_LOW_SPEED_LIMIT, 1L);
    SETOPT(CURLOPT_LOW_SPEED_TIME, timeout);
    SETOPT(CURLOPT_UPLOAD, 1L);
    SETOPT(CURLOPT_READFUNCTION, read_cb);
    SETOPT(CURLOPT_READDATA, s);
    /* The debug callback is how the replies and the command verbs are
     * seen; it needs VERBOSE, and prints nothing itself. */
    SETOPT(CURLOPT_DEBUGFUNCTION, debug_cb);
    SETOPT(CURLOPT_DEBUGDATA, s);
    SETOPT(CURLOPT_VERBOSE, 1L);
out:
    return e;
}

static enum ab_err open_common(const struct cfg_mail *mc, const char *url,
                               int implicit_tls, void **state, ab_errmsg *em)
{
    enum ab_err e = AB_OK;
    char *password = NULL;
    pthread_once(&curl_once, curl_start);
    if (curl_init_rc != CURLE_OK)
        return ab_fail(em, AB_EIO, "libcurl initialisation failed: %s",
                       curl_easy_strerror(curl_init_rc));
    struct smtp *s = ab_calloc(1, sizeof *s);
    if (!s)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    const char *auth;
    if ((e = parse_url(s, mc, url, implicit_tls, &auth, em)))
        goto out;
    if (implicit_tls && mc->tls == CFG_TLS_NONE) {
        e = ab_fail(em, AB_ECONFIG, "mail transport %s: smtps:// is always TLS; "
                    "tls=\"none\" contradicts it", s->where);
        goto out;
    }

    if (mc->username && *mc->username) {
        if ((e = cfg_secret_read(&mc->password, &password, em)))
            goto out;
        if (!password) {
            e = ab_fail(em, AB_ECONFIG, "mail: username '%s' given but no "
                        "password-file or password-env", mc->username);
            goto out;
        }
    }

    s->curl = curl_easy_init();
    if (!s->curl) {
        e = ab_fail(em, AB_ENOMEM, "libcurl: cannot create a handle");
        goto out;
    }
    if ((e = set_options(s, mc, password, auth, em)))
        goto out;
    *state = s;
    s = NULL;
out:
    if (password) {
        explicit_bzero(password, strlen(password));
        ab_free(password);
    }
    smtp_close(s);
    return e;
}

static enum ab_err smtp_open(const struct cfg_mail *mc, const char *url,
                             ab_time now, void **state, ab_errmsg *em)
{
    (void)now;
    return open_common(mc, url, 0, state, em);
}

static enum ab_err smtps_open(const struct cfg_mail *mc, const char *url,
                              ab_time now, void **state, ab_errmsg *em)
{
    (void)now;
    return open_common(mc, url, 1, state, em);
}

static const char *stage_name(enum mail_smtp_stage st)
{
    switch (st) {
    case MAIL_STAGE_MAIL: return "MAIL FROM";
    case MAIL_STAGE_RCPT: return "RCPT TO";
    case MAIL_STAGE_DATA: return "DATA";
    case MAIL_STAGE_SESSION: break;
    }
    return "session";
}

static enum ab_err smtp_send(void *state, const struct mail_envelope *env,
                             struct mail_rcpt_result *res, ab_errmsg *em)
{
    struct smtp *s = state;
    char from[MAIL_ADDR_MAX + 3];
    snprintf(from, sizeof from, "<%s>", env->sender);
    curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)env->len);

    for (size_t i = 0; i < env->nrcpts; i++) {
        char rcpt[MAIL_ADDR_MAX + 3];
        snprintf(rcpt, sizeof rcpt, "<%s>", env->rcpts[i]);
        struct curl_slist *list = curl_slist_append(NULL, rcpt);
        if (!list)
            return ab_fail(em, AB_ENOMEM, "out of memory");
        curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, list);
        s->up = env->data;
        s->uplen = env->len;
        s->upoff = 0;
        s->stage = MAIL_STAGE_SESSION;
        s->replylen = 0;
        s->reply[0] = 0;
        s->reply_done = 0;
        s->quitting = 0;
        s->errbuf[0] = 0;
        CURLcode rc = curl_easy_perform(s->curl);
        curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
        curl_slist_free_all(list);

        long code = 0;
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
        int session;
        enum ab_err r = mail_smtp_classify((int)rc, code, s->stage, &session);
        res[i].err = r;
        res[i].detail[0] = 0;
        if (r == AB_OK) {
            ab_log(AB_LOG_DEBUG, "mail: %s accepted %s for %s", s->where,
                   env->sender, env->rcpts[i]);
            continue;
        }
        char reply[sizeof s->reply];
        mail_oneline(reply, sizeof reply, s->reply, s->replylen);
        if (!session) {
            snprintf(res[i].detail, sizeof res[i].detail, "%s <%s>: %s",
                     stage_name(s->stage),
                     s->stage == MAIL_STAGE_MAIL ? env->sender : env->rcpts[i],
                     reply);
            continue;
        }
        char why[CURL_ERROR_SIZE];
        mail_oneline(why, sizeof why, s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc),
                     sizeof why);
        ab_errmsg msg;
        ab_fail(&msg, AB_ETEMPFAIL, "%s: %s%s%s", s->where, why,
                reply[0] ? "; last reply: " : "", reply);
        mail_results_set(res + i, env->nrcpts - i, AB_ETEMPFAIL, "%s", msg.text);
        return ab_fail(em, AB_ETEMPFAIL, "%s", msg.text);
    }
    return AB_OK;
}

const struct mail_transport_ops mail_smtp_ops = {
    .prefix = "smtp://",
    .open = smtp_open,
    .send = smtp_send,
    .close = smtp_close,
    .parallel = 1,
};

const struct mail_transport_ops mail_smtps_ops = {
    .prefix = "smtps://",
    .open = smtps_open,
    .send = smtp_send,
    .close = smtp_close,
    .parallel = 1,
};
