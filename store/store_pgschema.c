/*
 * store_pgschema.c - opening a PostgreSQL state: connect, make the
 * little the migrations assume (the version table, the case-blind
 * collation), and apply the migrations, the same list SQLite applies,
 * each through store_dialect_pg_ddl.
 *
 * Nodes started together all find version 0.  The migrations run under
 * a session advisory lock, and the version is read again once it is
 * held, so exactly one node migrates and the others find the work done
 * (on SQLite the write lock plays this part).
 */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"

/* What migration 0 assumes.  The collation is how SQLite's COLLATE
 * NOCASE is spelled here: ICU, level 2 (case-blind, accent-aware). */
static const char bootstrap_sql[] =
    "CREATE TABLE IF NOT EXISTS ackbeat_schema (version INTEGER NOT NULL);"
    "INSERT INTO ackbeat_schema SELECT 0 "
    "  WHERE NOT EXISTS (SELECT 1 FROM ackbeat_schema);"
    "CREATE COLLATION IF NOT EXISTS nocase "
    "  (provider = icu, locale = 'und-u-ks-level2', deterministic = false);";

char *store_url_display(const char *url)
{
    /* scheme://user:password@host... -> scheme://user@host... */
    const char *sch = strstr(url, "://");
    char *out = ab_strdup(url);
    if (!out || !sch)
        return out;
    char *auth = out + (sch - url) + 3;
    char *at = strchr(auth, '@');
    char *slash = strchr(auth, '/');
    if (!at || (slash && slash < at))
        return out;
    char *colon = memchr(auth, ':', (size_t)(at - auth));
    if (colon)
        memmove(colon, at, strlen(at) + 1);
    /* A password given as a query parameter goes too. */
    char *q = strstr(out, "password=");
    if (q && (q[-1] == '?' || q[-1] == '&')) {
        char *end = strchr(q, '&');
        if (end)
            memmove(q, end + 1, strlen(end + 1) + 1);
        else
            q[-1] = '\0';
    }
    return out;
}

/* The version, -1 when there is no version table yet. */
static enum ab_err read_version(store *st, int *v, ab_errmsg *em)
{
    store_db_stmt *s;
    *v = -1;
    enum ab_err e = store_prepare(st, "SELECT version FROM ackbeat_schema", &s, em);
    if (e)
        return e;
    if (store_step(st, s) == SDB_ROW)
        *v = store_db_column_int(s, 0);
    store_db_finalize(s);
    return AB_OK;
}

int store_pg_version(store *st)
{
    int v;
    return read_version(st, &v, NULL) == AB_OK ? v : -1;
}

static enum ab_err script(store *st, const char *sql, const char *what, ab_errmsg *em)
{
    int rc = store_db_exec_script(st, sql);
    if (rc == SDB_NOMEM)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    if (rc != SDB_DONE)
        return ab_fail(em, AB_ESTORE, "%s: %s: %s", st->path, what, store_db_errmsg(st));
    return AB_OK;
}

/* Under the migration lock: from the version found to ours, in one
 * transaction (PostgreSQL's DDL is transactional). */
static enum ab_err migrate_locked(store *st, ab_errmsg *em)
{
    enum ab_err e;
    if ((e = script(st, bootstrap_sql, "preparing the schema", em)))
        return e;
    int version;
    if ((e = read_version(st, &version, em)))
        return e;
    if (version < 0)
        return ab_fail(em, AB_ESTORE, "%s: cannot read the schema version: %s",
                       st->path, store_db_errmsg(st));
    if (version > store_migrations_count)
        return ab_fail(em, AB_EVERSION,
                       "%s: database schema version %d is newer than this "
                       "ackbeat understands (%d); use a newer ackbeat",
                       st->path, version, store_migrations_count);
    if (version == store_migrations_count)
        return AB_OK;
    if ((e = script(st, "BEGIN", "migration", em)))
        return e;
    for (int v = version; v < store_migrations_count; v++) {
        char *ddl = store_dialect_pg_ddl(store_migrations_sql[v]);
        int rc = ddl ? store_db_exec_script(st, ddl) : SDB_NOMEM;
        ab_free(ddl);
        if (rc == SDB_NOMEM) {
            store_db_exec_script(st, "ROLLBACK");
            return ab_fail(em, AB_ENOMEM, "out of memory");
        }
        if (rc != SDB_DONE) {
            ab_fail(em, AB_ESTORE, "%s: migration %d -> %d failed: %s", st->path, v,
                    v + 1, store_db_errmsg(st));
            store_db_exec_script(st, "ROLLBACK");
            return AB_ESTORE;
        }
    }
    char sql[80];
    snprintf(sql, sizeof sql, "UPDATE ackbeat_schema SET version = %d; COMMIT",
             store_migrations_count);
    if ((e = script(st, sql, "migration", em)))
        store_db_exec_script(st, "ROLLBACK");
    return e;
}

enum ab_err store_pg_open(store *st, const char *url, const char *password,
                          ab_errmsg *em)
{
    enum ab_err e = store_pg_connect(st, url, password, em);
    if (e)
        return e;
    /* Quick when there is nothing to do: no lock taken. */
    int version;
    if ((e = read_version(st, &version, em)))
        return e;
    if (version == store_migrations_count)
        return store_salt_init(st, em);
    if ((e = script(st, "SELECT pg_advisory_lock(" STORE_PG_LOCK_MIGRATE ")",
                    "waiting for another node's migration", em)))
        return e;
    e = migrate_locked(st, em);
    store_db_exec_script(st, "SELECT pg_advisory_unlock(" STORE_PG_LOCK_MIGRATE ")");
    if (!e)
        e = store_salt_init(st, em);
    return e;
}

enum ab_err store_pg_integrity(store *st, ab_errmsg *em)
{
    /* PostgreSQL keeps its own pages whole; what can be wrong here is
     * the schema: a version this binary does not know. */
    int v = store_pg_version(st);
    if (v != store_migrations_count)
        return ab_fail(em, AB_ESTORE, "%s: schema version %d, expected %d", st->path,
                       v, store_migrations_count);
    return AB_OK;
}
