/*
 * web_int.h - private to web/: the server handle and the pieces of a
 * request's answer (routing, auth, pages, API, metrics, chart).
 */
#ifndef AB_WEB_INT_H
#define AB_WEB_INT_H

#include <jansson.h>
#include <stddef.h>

#include "common/ab_buf.h"
#include "engine/eng.h"
#include "templates/tpl.h"
#include "web/web.h"

#define WEB_KEY_LEN 32        /* bytes of the per-process secret */
#define WEB_CSRF_TTL 86400    /* a form stays usable this long (seconds) */
#define WEB_MAX_ARGS 16       /* query arguments kept per request */
#define WEB_MAX_SEGS 8        /* path segments */
#define WEB_MAX_SEG_LEN 128

struct MHD_Daemon;

struct web {
    struct web_opts o;        /* copied; strings borrowed from the caller */
    const cfg *c;             /* borrowed, immutable */
    eng *e;                   /* ours, on its own connection to the state file;
                                 never drains the outbox */
    tpl_set *pages;
    char *token;              /* bearer token, NULL when none is configured */
    char *pw_hash;            /* crypt(3) hash for basic auth, NULL when none */
    unsigned char key[WEB_KEY_LEN]; /* CSRF and comparison key, per process */
    struct MHD_Daemon *d;     /* NULL when not listening */
    unsigned port;
    int listen_fd;            /* the socket handed over by a reload, -1 */
    struct web_deadline *dl;  /* request-timeout watch while listening */
    eng_live *live;           /* the engine's live read model (web_live.c) */
    struct web_cache *cache;  /* answers kept from it (web_cache.c) */
    struct web_pingq *pq;     /* group commit while listening (web_pingq.c) */
    struct web_pingq_wait *pw; /* the server request being handled, or NULL */
    struct web_tokens *tokens; /* ping checks by token (web_tokens.c), built on first use */
};

/* ---- group commit of pings (web_pingq.c) ---- */

/* A server request's part in a batch: web_ping fills in (its strings
 * owned by the wait) and sets deferred (its answer waits for the
 * commit); the committer sets failed, then done. */
struct web_pingq_wait {
    int deferred, done, failed;
    struct eng_ping_in in; /* in.check borrowed from the config */
    char *detail, *rid;    /* in.detail and in.rid, ab_malloc'ed */
};
struct MHD_Connection;
/* Start the committer thread over w's engine; NULL on failure. */
struct web_pingq *web_pingq_new(web *w);
/* Write and answer what is queued, join the thread; _free also frees. */
void web_pingq_stop(struct web_pingq *q);
void web_pingq_free(struct web_pingq *q);
/* Around every use of the engine by the server thread. */
void web_pingq_lock(struct web_pingq *q);
void web_pingq_unlock(struct web_pingq *q);
/* Queue a deferred ping and suspend its connection (resumed with
 * wait->done set).  AB_EBUSY: too many wait already (answer 503);
 * AB_ETEMPFAIL: the committer has stopped (web_pingq_write_now). */
enum ab_err web_pingq_add(struct web_pingq *q, struct MHD_Connection *conn,
                          struct web_pingq_wait *wait) AB_MUST_CHECK;
/* Write a deferred ping at once, in a batch of its own (sets failed). */
void web_pingq_write_now(struct web_pingq *q, struct web_pingq_wait *wait);
/* The ping checks by token (web_tokens.c). */
struct web_tokens *web_tokens_new(const web *w);
void web_tokens_free(struct web_tokens *t);
const struct cfg_check *web_tokens_find(const web *w, const struct web_tokens *t,
                                        const char *token);

/* ---- the live read model and the answers kept (web_live.c, web_cache.c) ---- */

/* Make w->live and w->cache (web_new); free them (web_free). */
enum ab_err web_live_open(web *w, ab_errmsg *em) AB_MUST_CHECK;
void web_live_close(web *w);
/* The model as of now (borrowed until the next call). */
const struct eng_live_view *web_live(web *w, ab_time now);
/* Before a request is handled: when it may write, tell the model what
 * it will touch (the check of a ping, a report, a pause; else all). */
void web_live_before(web *w, const struct web_request *rq, char **seg, size_t n);
/* A kept answer for key made from model generation gen at now: 1 with
 * rs filled (a copy), else 0. */
int web_cache_answer(web *w, const char *key, uint64_t gen, ab_time now,
                     struct web_response *rs);
/* Keep rs (a 200) as the answer for key at gen and now. */
void web_cache_keep(web *w, const char *key, uint64_t gen, ab_time now,
                    const struct web_response *rs);
struct web_cache *web_cache_new(void);
void web_cache_free(struct web_cache *c);

/* web_deadline.c: shut a connection whose request is not in after limit
 * seconds.  start() (again) when a request begins, end() when the
 * connection closes.  _new: NULL on failure; _free(NULL) does nothing. */
struct web_deadline *web_deadline_new(int64_t limit);
void web_deadline_free(struct web_deadline *d);
void web_deadline_start(struct web_deadline *d, int fd);
void web_deadline_end(struct web_deadline *d, int fd);

/* The address to listen on: the override of web_opts, else <web listen>. */
const char *web_listen_addr(const web *w);
/* Does a page or the API answer for this Host header (NULL: none sent)?
 * web_host.c has the rule. */
int web_host_allowed(const web *w, const char *host_header);

/* Stop serving (joins the thread).  With keep_socket, the listening
 * socket is kept open and returned (the caller owns it), else -1. */
int web_server_stop(web *w, int keep_socket);

/* ---- responses (web_respond.c) --------------------------------------------- */

/* GET /healthz (web_healthz.c): 200 "ok", or 503 with the reason while
 * the state database is unreachable. */
enum ab_err web_healthz(web *w, struct web_response *rs, ab_time now);
/* The nodes on the state (web_page_nodes.c): {"state": {"reachable":
 * ...}, "nodes": [...], "older": N}; web_nodes_data sets it as d's
 * "nodes"; web_api_nodes answers GET /api/nodes with it. */
json_t *web_nodes_json(web *w, ab_time now);
void web_nodes_data(web *w, json_t *d, ab_time now);
enum ab_err web_api_nodes(web *w, struct web_response *rs, ab_time now);

/* Each fills rs (freeing what it held) and returns AB_OK or AB_ENOMEM. */
enum ab_err web_reply_text(struct web_response *rs, int status, const char *text);
enum ab_err web_reply_json(struct web_response *rs, int status, json_t *j); /* steals j */
enum ab_err web_reply_jerror(struct web_response *rs, int status, const char *fmt, ...)
    AB_PRINTF(3, 4);
enum ab_err web_reply_redirect(struct web_response *rs, const char *location);
/* Render page P (web/pages/P.html.mustache) with data (stolen) plus the
 * fields every page has (site name, nav, clock). */
enum ab_err web_reply_page(web *w, struct web_response *rs, int status,
                           const char *page, json_t *data, ab_time now);
/* An HTML error page, or JSON when the path is under /api, /report, /ping. */
enum ab_err web_reply_error(web *w, const struct web_request *rq,
                            struct web_response *rs, int status,
                            const char *message, ab_time now);

/* ---- auth and CSRF (web_auth.c) --------------------------------------------- */

#define WEB_DIGEST_LEN 32
/* HMAC-SHA256 of data under the per-process key (WEB_DIGEST_LEN bytes). */
void web_hmac(const web *w, const char *data, size_t len, unsigned char *out);
/* Constant-time equality of two byte strings (lengths may differ). */
int web_ct_equal(const web *w, const char *a, size_t alen, const char *b,
                 size_t blen);
/* Does the request carry a valid bearer token or basic credentials? */
int web_authorized(web *w, const struct web_request *rq);
/* Is any way of authorizing configured? */
int web_auth_configured(const web *w);
/* Origin, else Referer, names the Host the request was sent to or the
 * <web base-url> (or neither header is present: a script, not a browser). */
int web_same_origin(const web *w, const struct web_request *rq);
/*
 * May this request act?  It must come from our own pages or from no page
 * (Origin/Referer), some way of authorizing must be configured, and the
 * request must use it.  Returns 1, or 0 with rs filled (403 or 401).
 */
int web_action_allowed(web *w, const struct web_request *rq,
                       struct web_response *rs, ab_time now);
/* Is tok a token web_csrf_token made within WEB_CSRF_TTL before now? */
int web_csrf_valid(web *w, const char *tok, ab_time now);

/* ---- small helpers (web_util.c) ---------------------------------------------- */

/* The value of query argument key, or NULL. */
const char *web_arg(const struct web_request *rq, const char *key);
/*
 * Parse an application/x-www-form-urlencoded body into at most max
 * pairs, decoding + and %XX.  The strings live in *storage (ab_free it).
 * AB_EPARSE for bad escapes or too many fields.
 */
enum ab_err web_form_parse(const char *body, size_t len, struct web_kv *kv,
                           size_t max, size_t *n, char **storage) AB_MUST_CHECK;
const char *web_form_get(const struct web_kv *kv, size_t n, const char *key);
/* A string as JSON: null for NULL; bytes that are not UTF-8 become
 * U+FFFD (a check program's output may be anything). */
json_t *web_jstr(const char *s);
/* ISO time as JSON, null for AB_TIME_NONE. */
json_t *web_jtime(ab_time t);
/* Set o.key to {iso, rel} (nothing for AB_TIME_NONE): pages show rel
 * ("5m ago") with iso as the tooltip. */
void web_set_time(json_t *o, const char *key, ab_time t, ab_time now);
/* "3d 4h", "5m", "12s" for a span of seconds (negative: 0s). */
void web_fmt_span(int64_t secs, char *buf, size_t len);
/* "5m ago", "in 2h", "just now", or "" for AB_TIME_NONE. */
void web_fmt_rel(ab_time t, ab_time now, char *buf, size_t len);
/* The worst debounced status of a check's items, -1 if none yet. */
/* "healthy", "degraded", ... for CSS classes; "unknown" for -1. */
const char *web_status_class(int status);
/* A number as the pages show it (%g, "-" when has == 0); with seconds,
 * a duration ("3d 4h"). */
void web_fmt_num(int has, double v, int seconds, char *buf, size_t len);
/* A snooze end: "" (until resolved: AB_TIME_NONE), a duration ("4h",
 * from now) or an ISO time in the future.  0 on success, -1 if neither. */
int web_parse_until(const char *s, ab_time now, ab_time *until);

/* ---- pages (web_pages.c, web_alerts.c) ------------------------------------------ */

/* web_page_status.c: the status page, filtered (?q=, ?status=) and paged
 * (?page=, ?per=). */
enum ab_err web_page_status(web *w, const struct web_request *rq,
                            struct web_response *rs, ab_time now);
/* web_pages.c: one check of the live model as a row of the status page
 * (and the head of its page) at now. */
json_t *web_check_row(const struct eng_live_check *x, ab_time now);
/* One heartbeat cycle as the pages show it; words[i] is rcpts[i]'s. */
json_t *web_cycle_obj(const struct store_cycle *c, const struct eng_rcpt_words *words,
                      ab_time now);
enum ab_err web_page_check(web *w, const struct web_request *rq,
                           struct web_response *rs, const char *name, ab_time now);
enum ab_err web_page_alerts(web *w, const struct web_request *rq,
                            struct web_response *rs, ab_time now);
/* POST /alerts/ID/dismiss from the form. */
enum ab_err web_form_dismiss(web *w, const struct web_request *rq,
                             struct web_response *rs, const char *id, ab_time now);
/* web_page_silence.c: what holds k (NULL: every check) now, silences and
 * pauses with who, until when and why, and the forms' token, as d's
 * "hold" (pages/hold.mustache). */
void web_silence_data(web *w, const struct web_request *rq, json_t *d,
                      const struct cfg_check *k, ab_time now);
/* The forms: POST /checks/NAME/pause|resume, /silences, /silences/ID/expire.
 * Returns 1 with *out set, or 0 when the path is not one of them. */
int web_silence_form_route(web *w, const struct web_request *rq, struct web_response *rs,
                           char **seg, size_t n, ab_time now, enum ab_err *out);

/* ---- JSON API, pings, reports (web_api.c, web_ingest.c) -------------------------- */

/* A check as the API shows it, from the live model v at now. */
json_t *web_json_check(web *w, const struct eng_live_view *v,
                       const struct eng_live_check *x, ab_time now);
/* GET /api/checks/NAME (and the answer of a pause or resume): k's JSON. */
enum ab_err web_api_check(web *w, struct web_response *rs, const struct cfg_check *k,
                          ab_time now);
json_t *web_json_alert(const struct store_alert *a, ab_time now);
json_t *web_json_run(const struct store_run *r);
/* The body as a JSON object (Content-Type application/json).  Returns 1
 * with *out (json_decref it), or 0 with rs filled (415 or 400). */
int web_json_body(const struct web_request *rq, struct web_response *rs,
                  json_t **out);
/* Dismiss or snooze alert id for the form and the API.  On failure
 * *status is the HTTP status to answer and msg says why. */
enum ab_err web_dismiss(web *w, int64_t id, const char *by, const char *note,
                        const char *until, ab_time now, int *status, char *msg,
                        size_t msglen);
/* After an action: wake the daemon if the outbox has mail due. */
void web_after_action(web *w, ab_time now);

/* web_api_silence.c: /api/silences..., and /api/checks/NAME/pause|resume. */
json_t *web_json_silence(const struct store_silence *s, ab_time now);
/* web_badge.c: GET /badge/CHECK.svg and /badge/tag/TAG.svg (seg after "badge"). */
enum ab_err web_badge(web *w, const struct web_request *rq, struct web_response *rs,
                      char **seg, size_t n, ab_time now);

/* Answers /api/silences... and /api/checks/NAME/pause|resume (seg after
 * "api"): returns 1 with *out set, or 0 when the path is not one of them. */
int web_api_silence_route(web *w, const struct web_request *rq, struct web_response *rs,
                          char **seg, size_t n, ab_time now, enum ab_err *out);
enum ab_err web_api(web *w, const struct web_request *rq, struct web_response *rs,
                    char **seg, size_t nseg, ab_time now);
enum ab_err web_ping(web *w, const struct web_request *rq, struct web_response *rs,
                     char **seg, size_t nseg, ab_time now);
enum ab_err web_report(web *w, const struct web_request *rq,
                       struct web_response *rs, const char *check, ab_time now);
/* Parse an alert id ("12"); 0 when it is not one. */
int64_t web_parse_id(const char *s);

/* ---- metrics (web_metrics.c) -------------------------------------------------- */

enum ab_err web_metrics(web *w, struct web_response *rs, ab_time now);

/* ---- the chart (web_svg.c) ----------------------------------------------------- */

/* A threshold drawn across the value chart ("warn", "crit", "min"...). */
struct web_mark {
    const char *name;
    double value;
    int crit; /* drawn red, else amber */
};
/*
 * An inline SVG of a check's runs (newest first, as store_run_history
 * gives them): the first item's values with the thresholds, and the
 * execution times over time, coloured by status.  Appends to out;
 * nothing when there are no runs.
 */
struct web_chart {
    const struct web_mark *marks;
    size_t nmarks;
    int seconds; /* the values are durations in seconds (freshness): "3d" */
};
enum ab_err web_svg_chart(ab_buf *out, struct store_run *const *runs, size_t n,
                          const struct web_chart *how) AB_MUST_CHECK;

#endif
