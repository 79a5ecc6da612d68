/*
 * store_tokens.h - reply tokens (store/store_tokens.c): whose a
 * heartbeat's or an alert's token is, issuing alert tokens, and the
 * token that was live for an address.
 */
#ifndef AB_STORE_TOKENS_H
#define AB_STORE_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_err.h"
#include "common/ab_time.h"
#include "common/ab_token.h"
#include "store/store.h"

/* A heartbeat's token: its cycle and recipient (*recipient: ab_free).
 * AB_ENOTFOUND when token was never issued. */
enum ab_err store_token_lookup(store *st, const char *token, int64_t *cycle_id,
                               char **recipient, ab_errmsg *em) AB_MUST_CHECK;

/* The token that recipient's notices about alert_id carry: the one
 * issued before, else a fresh one recorded at now.  Call inside the
 * transaction that queues the notice. */
enum ab_err store_alert_token(store *st, int64_t alert_id, const char *recipient,
                              ab_time now, char token[AB_TOKEN_LEN + 1],
                              ab_errmsg *em) AB_MUST_CHECK;
/* The alert an alert token was issued for, and to whom (*recipient:
 * ab_free).  AB_ENOTFOUND when it was not. */
enum ab_err store_alert_token_lookup(store *st, const char *token, int64_t *alert_id,
                                     char **recipient, ab_errmsg *em) AB_MUST_CHECK;
/* Either kind: sets *cycle_id for a heartbeat's token or *alert_id for an
 * alert's (the other 0).  AB_ENOTFOUND when token was never issued. */
enum ab_err store_token_owner(store *st, const char *token, int64_t *cycle_id,
                              int64_t *alert_id, char **recipient,
                              ab_errmsg *em) AB_MUST_CHECK;

/* Everyone who was sent a notice of alert_id with a reply token, in the
 * order they were first told.  Free each string and the array. */
enum ab_err store_alert_notified(store *st, int64_t alert_id, char ***out, size_t *n,
                                 ab_errmsg *em) AB_MUST_CHECK;

/* The heartbeat token that was live for addr at time at: the newest one
 * issued to it no later than at (an hour of clock skew allowed).
 * *recipient: ab_free.  AB_ENOTFOUND when there is none. */
enum ab_err store_token_live_for(store *st, const char *addr, ab_time at,
                                 char token[AB_TOKEN_LEN + 1], int64_t *cycle_id,
                                 char **recipient, ab_errmsg *em) AB_MUST_CHECK;

#endif
