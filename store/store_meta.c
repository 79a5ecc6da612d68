/*
 * store_meta.c - the meta table: small bookkeeping values (the last tick,
 * the start-up time, the folded metric totals) and this database's
 * Message-ID salt.
 *
 * The salt is made once, when store_open() finds a database that has
 * sent no alert notice yet; store_msgid_salt() reads it back.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <sys/random.h>

#include "common/ab_mem.h"

enum ab_err store_meta_get(store *st, const char *key, char **value,
                           ab_errmsg *em)
{
    store_db_stmt *s;
    *value = NULL;
    enum ab_err e = store_prepare(st, "SELECT value FROM meta WHERE key = ?", &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, key);
    int rc = store_step(st, s);
    if (rc == SDB_ROW) {
        *value = store_column_dup(s, 0);
        if (!*value)
            e = ab_fail(em, AB_ENOMEM, "out of memory");
    } else if (rc != SDB_DONE) {
        e = store_dberr(st, em, "meta get");
    }
    store_db_finalize(s);
    return e;
}

enum ab_err store_meta_set(store *st, const char *key, const char *value,
                           ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, key);
    store_db_bind_text(s, 2, value);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "meta set");
    store_db_finalize(s);
    return e;
}

enum ab_err store_msgid_salt(store *st, char *out, size_t len, ab_errmsg *em)
{
    char *v = NULL;
    enum ab_err e = store_meta_get(st, "msgid-salt", &v, em);
    if (e)
        return e;
    snprintf(out, len, "%s", v ? v : "");
    ab_free(v);
    return AB_OK;
}

enum ab_err store_salt_init(store *st, ab_errmsg *em)
{
    /* A database that already sent alert notices keeps its Message-IDs
     * as they were (threads stay whole); a new one gets a random part, so
     * that a fresh database never reuses an id a provider has seen. */
    unsigned char raw[6];
    char hex[2 * sizeof raw + 1];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        return ab_fail(em, AB_ESTORE, "no randomness for the Message-ID salt");
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    store_db_stmt *s;
    enum ab_err e = store_prepare(st,
                                  "INSERT INTO meta(key, value) SELECT 'msgid-salt', ? "
                                  "WHERE NOT EXISTS (SELECT 1 FROM alerts) "
                                  "ON CONFLICT DO NOTHING",
                                  &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, hex);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "Message-ID salt");
    store_db_finalize(s);
    return e;
}
