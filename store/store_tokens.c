/*
 * store_tokens.c - looking up the tokens ackbeat issued.
 *
 * Heartbeat tokens (issued with their cycle, store_cycles.c) say "this person
 * was asked"; alert tokens (issued here) say "this person was told about
 * alert N".  Both live in one namespace of random 26-letter tokens, so
 * the inbox looks a candidate up in either table and a token is never
 * both.  One alert token per alert and person, the same for every notice
 * of that alert, so replying to any of them works.
 */
#include "store/store_int.h"

#include <string.h>

#include "common/ab_mem.h"
#include "common/ab_token.h"
#include "store/store_tokens.h"

enum ab_err store_alert_token(store *st, int64_t alert_id, const char *recipient,
                              ab_time now, char token[AB_TOKEN_LEN + 1], ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "SELECT token FROM alert_tokens WHERE alert_id = ? AND recipient = ?", &s, em);
    if (e)
        return e;
    store_db_bind_int64(s, 1, alert_id);
    store_db_bind_text(s, 2, recipient);
    int rc = store_step(st, s);
    if (rc == SDB_ROW) {
        const char *t = (const char *)store_db_column_text(s, 0);
        if (t && strlen(t) == AB_TOKEN_LEN) {
            memcpy(token, t, AB_TOKEN_LEN + 1);
            store_db_finalize(s);
            return AB_OK;
        }
        rc = SDB_DONE; /* unreadable row: issue a fresh token below */
    }
    store_db_finalize(s);
    if (rc != SDB_DONE)
        return store_dberr(st, em, "alert token lookup");
    if ((e = ab_token_new(token)))
        return ab_fail(em, e, "no randomness for a token");
    if ((e = store_prepare(st,
                           "INSERT INTO alert_tokens(token, alert_id, recipient, issued) "
                           "VALUES (?, ?, ?, ?) ON CONFLICT (alert_id, recipient) "
                           "DO UPDATE SET token = excluded.token, issued = excluded.issued",
                           &s, em)))
        return e;
    store_db_bind_text(s, 1, token);
    store_db_bind_int64(s, 2, alert_id);
    store_db_bind_text(s, 3, recipient);
    store_bind_time(s, 4, now);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "alert token");
    store_db_finalize(s);
    return e;
}

/* One row of "SELECT id, recipient FROM ... WHERE token = ?". */
static enum ab_err owner_row(store *st, const char *sql, const char *token, int64_t *id,
                             char **recipient, ab_errmsg *em)
{
    store_db_stmt *s;
    *recipient = NULL;
    enum ab_err e = store_prepare(st, sql, &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, token);
    int rc = store_step(st, s);
    if (rc == SDB_ROW) {
        *id = store_db_column_int64(s, 0);
        if (!(*recipient = store_column_dup(s, 1)))
            e = ab_fail(em, AB_ENOMEM, "out of memory");
    } else if (rc == SDB_DONE) {
        e = ab_fail(em, AB_ENOTFOUND, "token %s was never issued", token);
    } else {
        e = store_dberr(st, em, "token lookup");
    }
    store_db_finalize(s);
    return e;
}

enum ab_err store_token_lookup(store *st, const char *token, int64_t *cycle_id,
                               char **recipient, ab_errmsg *em)
{
    return owner_row(st, "SELECT cycle_id, recipient FROM tokens WHERE token = ?", token,
                     cycle_id, recipient, em);
}

enum ab_err store_alert_token_lookup(store *st, const char *token, int64_t *alert_id,
                                     char **recipient, ab_errmsg *em)
{
    return owner_row(st, "SELECT alert_id, recipient FROM alert_tokens WHERE token = ?",
                     token, alert_id, recipient, em);
}

enum ab_err store_token_owner(store *st, const char *token, int64_t *cycle_id,
                              int64_t *alert_id, char **recipient, ab_errmsg *em)
{
    *cycle_id = 0;
    *alert_id = 0;
    enum ab_err e = store_token_lookup(st, token, cycle_id, recipient, em);
    if (e != AB_ENOTFOUND)
        return e;
    return store_alert_token_lookup(st, token, alert_id, recipient, em);
}

/* Bounces come back minutes to days after the heartbeat; the bounce's
 * Date: is the reporting MTA's clock, which may run a little behind. */
#define LIVE_SKEW 3600

enum ab_err store_token_live_for(store *st, const char *addr, ab_time at,
                                 char token[AB_TOKEN_LEN + 1], int64_t *cycle_id,
                                 char **recipient, ab_errmsg *em)
{
    store_db_stmt *s;
    *recipient = NULL;
    *cycle_id = 0;
    enum ab_err e = store_prepare(st,
                                  "SELECT token, cycle_id, recipient FROM tokens "
                                  "WHERE recipient = ?1 COLLATE NOCASE AND issued <= ?2 "
                                  "ORDER BY issued DESC, rowid DESC LIMIT 1",
                                  &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, addr);
    store_bind_time(s, 2, at + LIVE_SKEW);
    int rc = store_step(st, s);
    if (rc == SDB_ROW) {
        const char *t = (const char *)store_db_column_text(s, 0);
        if (!t || strlen(t) != AB_TOKEN_LEN) {
            e = ab_fail(em, AB_ENOTFOUND, "no readable token for %s", addr);
        } else {
            memcpy(token, t, AB_TOKEN_LEN + 1);
            *cycle_id = store_db_column_int64(s, 1);
            if (!(*recipient = store_column_dup(s, 2)))
                e = ab_fail(em, AB_ENOMEM, "out of memory");
        }
    } else if (rc == SDB_DONE) {
        e = ab_fail(em, AB_ENOTFOUND, "no token was sent to %s by then", addr);
    } else {
        e = store_dberr(st, em, "token for recipient");
    }
    store_db_finalize(s);
    return e;
}

enum ab_err store_alert_notified(store *st, int64_t alert_id, char ***out, size_t *n,
                                 ab_errmsg *em)
{
    store_db_stmt *s;
    *out = NULL;
    *n = 0;
    enum ab_err e = store_prepare(st,
                                  "SELECT recipient FROM alert_tokens WHERE alert_id = ? "
                                  "ORDER BY issued, rowid",
                                  &s, em);
    if (e)
        return e;
    store_db_bind_int64(s, 1, alert_id);
    int rc;
    while ((rc = store_step(st, s)) == SDB_ROW) {
        char **nv = ab_realloc(*out, (*n + 1) * sizeof *nv);
        char *r = store_column_dup(s, 0);
        if (!nv || !r) {
            ab_free(r);
            if (nv)
                *out = nv;
            e = ab_fail(em, AB_ENOMEM, "out of memory");
            break;
        }
        *out = nv;
        (*out)[(*n)++] = r;
    }
    if (!e && rc != SDB_DONE)
        e = store_dberr(st, em, "alert recipients");
    store_db_finalize(s);
    if (e) {
        for (size_t i = 0; i < *n; i++)
            ab_free((*out)[i]);
        ab_free(*out);
        *out = NULL;
        *n = 0;
    }
    return e;
}
