/*
 * store.c - opening and closing the state database, migrations, and
 * transactions.  The statement helpers are store_sql.c's, the file's
 * guard store_guard.c's and the meta table store_meta.c's: this file
 * calls them and none of them calls back.
 *
 * Both engines open here: a path is a SQLite file, a postgresql:// URL
 * is PostgreSQL (store_pgschema.c connects and migrates it).
 *
 * Durability settings: WAL with synchronous=NORMAL would lose the last
 * transactions on power loss; FULL makes a committed "sent" or "ack"
 * survive it, which is the point of the outbox.  The cost is one fsync
 * per commit, which at ackbeat's rates is nothing.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/ab_mem.h"

#define BUSY_TIMEOUT_MS 10000

static enum ab_err pragma_int(store *st, const char *sql, int *out, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(st, sql, &s, em);
    if (e)
        return e;
    if (store_db_step(s) == SDB_ROW)
        *out = store_db_column_int(s, 0);
    else
        e = store_dberr(st, em, sql);
    store_db_finalize(s);
    return e;
}

static enum ab_err migrate(store *st, ab_errmsg *em)
{
    int version = 0;
    enum ab_err e = pragma_int(st, "PRAGMA user_version", &version, em);
    if (e)
        return e;
    if (version > store_migrations_count)
        return ab_fail(em, AB_EVERSION,
                       "%s: database schema version %d is newer than this "
                       "ackbeat understands (%d); use a newer ackbeat or "
                       "restore a backup",
                       st->path, version, store_migrations_count);
    if (version == store_migrations_count)
        return AB_OK;

    /* All missing migrations in one transaction: a crash half-way leaves
     * the old version intact rather than a schema no version describes. */
    if ((e = store_exec(st, "BEGIN IMMEDIATE", em)))
        return e;
    /* Read again under the write lock: processes started together on a
     * new file all saw version 0, and the ones that waited for the lock
     * would run the migrations a second time ("table meta already
     * exists"). */
    if ((e = pragma_int(st, "PRAGMA user_version", &version, em))) {
        store_rollback(st);
        return e;
    }
    if (version >= store_migrations_count)
        return store_exec(st, "COMMIT", em);
    for (int v = version; v < store_migrations_count; v++) {
        if (store_db_exec_script(st, store_migrations_sql[v]) != SDB_DONE) {
            ab_fail(em, AB_ESTORE, "%s: migration %d -> %d failed: %s",
                    st->path, v, v + 1, store_db_errmsg(st));
            store_rollback(st);
            return AB_ESTORE;
        }
    }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", store_migrations_count);
    if ((e = store_exec(st, sql, em))) {
        store_rollback(st);
        return e;
    }
    return store_exec(st, "COMMIT", em);
}

int store_is_url(const char *locator)
{
    return locator && (!strncmp(locator, "postgresql://", 13) ||
                       !strncmp(locator, "postgres://", 11));
}

enum ab_err store_open(const char *path, store **out, ab_errmsg *em)
{
    return store_open_with(path, NULL, out, em);
}

static store *handle_new(void)
{
    store *st = ab_calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->fail_after = -1;
    st->lock_fd = -1;
    return st;
}

enum ab_err store_open_with(const char *path, const char *password, store **out,
                            ab_errmsg *em)
{
    enum ab_err e = AB_OK;
    *out = NULL;
    store *st = handle_new();
    if (!st)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    if (store_is_url(path)) {
        st->kind = STORE_PG;
        if (!(st->path = store_url_display(path))) {
            store_close(st);
            return ab_fail(em, AB_ENOMEM, "out of memory");
        }
        if ((e = store_pg_open(st, path, password, em)))
            goto out;
        *out = st;
        return AB_OK;
    }
    st->path = ab_strdup(path);
    if (!st->path) {
        e = ab_fail(em, AB_ENOMEM, "out of memory");
        goto out;
    }
    if ((e = store_file_prepare(path, em)))
        goto out;
    int rc = sqlite3_open_v2(path, &st->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                 SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        e = ab_fail(em, AB_ESTORE, "%s: cannot open state database: %s", path,
                    st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        goto out;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    /* Read something first: a file that is not a database fails here
     * with a clear message instead of inside a migration. */
    int version;
    if ((e = pragma_int(st, "PRAGMA user_version", &version, em)))
        goto out;
    /* Switching a new file to WAL needs it alone, and SQLite does not
     * wait for that through the busy handler: processes started together
     * got "database is locked" here.  Wait as the busy timeout would. */
    for (int waited = 0;; waited += 10) {
        e = store_exec(st, "PRAGMA journal_mode = WAL", em);
        if (e != AB_EBUSY || waited >= BUSY_TIMEOUT_MS)
            break;
        sqlite3_sleep(10);
    }
    if (e ||
        (e = store_exec(st, "PRAGMA synchronous = FULL", em)) ||
        (e = store_exec(st, "PRAGMA foreign_keys = ON", em)))
        goto out;
    if ((e = migrate(st, em)) || (e = store_salt_init(st, em)) ||
        (e = store_file_remember(st, em)))
        goto out;
    *out = st;
    st = NULL;
out:
    store_close(st);
    return e;
}

void store_close(store *st)
{
    if (!st)
        return;
    for (int i = 0; i < st->ncache; i++)
        store_db_finalize(st->cache[i].stmt);
    store_pg_close(st);
    if (st->db)
        sqlite3_close_v2(st->db);
    /* After SQLite's close: closing any descriptor of the file drops the
     * process's POSIX locks on it, SQLite's included. */
    if (st->lock_fd >= 0)
        close(st->lock_fd);
    ab_free(st->path);
    ab_free(st);
}

int store_schema_version(store *st)
{
    if (st->kind == STORE_PG)
        return store_pg_version(st);
    int v = -1;
    if (pragma_int(st, "PRAGMA user_version", &v, NULL) != AB_OK)
        return -1;
    return v;
}

/*
 * Every ping and every run opens, nests and closes transactions, and on
 * SQLite each BEGIN, SAVEPOINT, RELEASE and COMMIT is a statement of its
 * own: the usual ones are kept prepared like any hot statement
 * (store_exec_kept).  Depths past NKEPT are spelled out each time.
 */
#define NKEPT 5
static const char begin_sql[] = "BEGIN IMMEDIATE", commit_sql[] = "COMMIT";
static const char *const savepoint_sql[NKEPT] = {NULL, "SAVEPOINT s1", "SAVEPOINT s2",
                                                 "SAVEPOINT s3", "SAVEPOINT s4"};
static const char *const release_sql[NKEPT] = {NULL, "RELEASE s1", "RELEASE s2",
                                               "RELEASE s3", "RELEASE s4"};

enum ab_err store_begin(store *st, ab_errmsg *em)
{
    /* Nested calls become savepoints, so a store function that needs a
     * transaction of its own can still run inside the engine's larger
     * one (an alert transition and the notice it queues commit together,
     * or not at all). */
    enum ab_err e;
    if (st->flat && st->depth > 0) {
        st->depth++; /* no savepoint: see store_begin_flat */
        return AB_OK;
    }
    if (st->depth == 0 && st->kind == STORE_PG) {
        /* Every writer takes one advisory lock for its transaction, as
         * SQLite's BEGIN IMMEDIATE takes the file's: nodes serialise on
         * their writes, so a read-decide-write inside one transaction
         * is as safe on several nodes as on one. */
        e = store_exec(st, "BEGIN; SELECT pg_advisory_xact_lock(" STORE_PG_LOCK_WRITE ")",
                       em);
    } else if (st->depth == 0) {
        e = store_exec_kept(st, begin_sql, em);
    } else if (st->depth < NKEPT) {
        e = store_exec_kept(st, savepoint_sql[st->depth], em);
    } else {
        char sql[32];
        snprintf(sql, sizeof sql, "SAVEPOINT s%d", st->depth);
        e = store_exec(st, sql, em);
    }
    if (!e)
        st->depth++;
    return e;
}

enum ab_err store_commit(store *st, ab_errmsg *em)
{
    if (st->depth <= 0)
        return ab_fail(em, AB_EINVAL, "store_commit without store_begin");
    if (st->flat && st->depth > 1) {
        st->depth--;
        return AB_OK;
    }
    if (st->depth == 1 && store_doomed(st)) {
        store_rollback(st);
        return ab_fail(em, AB_ESTORE, "%s: a part of the transaction failed; "
                       "nothing of it was committed", st->path);
    }
    enum ab_err e;
    if (st->depth == 1) {
        e = store_exec_kept(st, commit_sql, em);
    } else if (st->depth - 1 < NKEPT) {
        e = store_exec_kept(st, release_sql[st->depth - 1], em);
    } else {
        char sql[32];
        snprintf(sql, sizeof sql, "RELEASE s%d", st->depth - 1);
        e = store_exec(st, sql, em);
    }
    if (e) {
        store_rollback(st);
        return e;
    }
    if (--st->depth == 0)
        st->flat = 0;
    return AB_OK;
}

enum ab_err store_begin_flat(store *st, ab_errmsg *em)
{
    if (st->depth != 0)
        return ab_fail(em, AB_EINVAL, "store_begin_flat inside a transaction");
    enum ab_err e = store_begin(st, em);
    if (!e) {
        st->flat = 1;
        st->doomed = 0;
    }
    return e;
}

int store_doomed(store *st)
{
    return st->flat && (st->doomed || (st->kind == STORE_PG && store_pg_txn_failed(st)));
}

void store_rollback(store *st)
{
    if (st->flat && st->depth > 1) {
        st->depth--;
        st->doomed = 1; /* nothing to roll back to: the whole is undone */
        return;
    }
    if (st->depth <= 1) {
        /* Rolling back with no transaction open is harmless; ignore it. */
        if (st->kind == STORE_PG ? store_pg_in_txn(st) : !sqlite3_get_autocommit(st->db))
            store_db_exec_script(st, "ROLLBACK");
        st->depth = 0;
        st->flat = st->doomed = 0;
        return;
    }
    char sql[64];
    snprintf(sql, sizeof sql, "ROLLBACK TO s%d; RELEASE s%d", st->depth - 1,
             st->depth - 1);
    store_db_exec_script(st, sql);
    st->depth--;
}

enum ab_err store_integrity_check(store *st, ab_errmsg *em)
{
    if (st->kind == STORE_PG)
        return store_pg_integrity(st, em);
    store_db_stmt *s;
    enum ab_err e = store_prepare(st, "PRAGMA integrity_check", &s, em);
    if (e)
        return e;
    if (store_db_step(s) != SDB_ROW) {
        e = store_dberr(st, em, "integrity_check");
    } else {
        const char *r = store_db_column_text(s, 0);
        if (!r || strcmp(r, "ok") != 0)
            e = ab_fail(em, AB_ESTORE, "%s: integrity check failed: %s",
                        st->path, r ? r : "?");
    }
    store_db_finalize(s);
    return e;
}

void store_fail_after(store *st, long n)
{
    st->fail_after = n;
}
