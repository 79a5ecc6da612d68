/*
 * chan_int.h - private to channels/: the kind vtable and the HTTP helper.
 */
#ifndef AB_CHAN_INT_H
#define AB_CHAN_INT_H

#include <jansson.h>

#include "channels/chan.h"

struct store_delivery; /* store/store_deliveries.h: the kinds that send include it */

/* One kind of channel.  Adding a kind is a file with one of these and a
 * line in chan_kinds.c (and its element in config/ackbeat.rng). */
struct chan_kind {
    const char *name; /* the config element */
    /* The stored body, from the notice and its canonical JSON. */
    enum ab_err (*build)(const struct cfg_channel *ch, const struct chan_notice *n,
                         const json_t *notice, ab_buf *out, ab_errmsg *em);
    /* Send a stored delivery once: AB_OK accepted, AB_ETEMPFAIL try
     * again, AB_EPERMFAIL give up; em says why. */
    enum ab_err (*send)(const struct cfg_channel *ch, const struct store_delivery *d,
                        ab_errmsg *em);
};

extern const struct chan_kind chan_kind_webhook;
extern const struct chan_kind chan_kind_ntfy;
extern const struct chan_kind chan_kind_slack;
extern const struct chan_kind chan_kind_matrix;
extern const struct chan_kind chan_kind_command;

/* chan_kinds.c: the kind called name, or NULL. */
const struct chan_kind *chan_kind_find(const char *name);

/* chan_payload.c: the notice as a JSON object (caller json_decref's). */
json_t *chan_notice_object(const struct chan_notice *n);

/* chan_http.c: one request.  A 2xx is AB_OK; 408, 429, 5xx and transport
 * failures AB_ETEMPFAIL; other statuses AB_EPERMFAIL.  em names the URL
 * without its query (tokens sometimes travel there) and the status. */
struct chan_http_req {
    const char *method;          /* "POST", "PUT" */
    const char *url;
    const char *body;
    size_t len;
    const char *const *headers;  /* "Name: value" */
    size_t nheaders;
    int64_t timeout;             /* seconds */
};
enum ab_err chan_http(const struct chan_http_req *r, ab_errmsg *em);

/* chan_secret.c: the channel's secret (secret-env/token-env), or *out NULL
 * when none is configured.  AB_EPERMFAIL naming the variable when it is
 * configured but unset.  Caller frees with ab_free. */
enum ab_err chan_secret(const struct cfg_channel *ch, char **out, ab_errmsg *em);

#endif
