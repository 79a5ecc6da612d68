/*
 * store_int.h - private to store/: the handle's struct, the statement
 * helpers (store_sql.c), and what store.c and the purges call in the
 * other store/ files (the file's guard, the salt, the metric folds).
 * The only header with a SQLite type: none of the public ones has one.
 *
 * Two engines sit behind the same SQL: SQLite (the embedded default) and
 * PostgreSQL (several nodes on one database, issue 16).  The store's
 * files speak to both through the store_db_* statement calls below, shaped
 * like SQLite's own so that the SQL and its binding read as before;
 * store_db.c dispatches them, store_pg.c is the libpq side, and
 * store_dialect.c turns the portable SQL into PostgreSQL's where the two
 * differ (placeholders, the schema's type names).
 */
#ifndef AB_STORE_INT_H
#define AB_STORE_INT_H

#include <sqlite3.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/ab_status.h"
#include "common/ab_time.h"
#include "store/store.h"

#define STORE_STMT_CACHE 32

/* A prepared statement of either engine (store_db.c). */
typedef struct store_db_stmt store_db_stmt;
struct store_pgconn; /* store_pg.c */

enum store_kind { STORE_SQLITE, STORE_PG };

struct store {
    enum store_kind kind;
    sqlite3 *db;               /* STORE_SQLITE */
    struct store_pgconn *pg;   /* STORE_PG */
    /* Statements run for every check on every tick, prepared once.  The
     * key is the SQL string's address: callers pass string literals. */
    struct {
        const char *sql;
        store_db_stmt *stmt;
    } cache[STORE_STMT_CACHE];
    int ncache;
    char *path;      /* the file, or the URL without its password */
    long fail_after; /* test seam: < 0 off */
    int depth;       /* open store_begin() levels; > 1 are savepoints */
    int flat;        /* store_begin_flat: levels > 1 are not savepoints */
    int doomed;      /* ... and one was rolled back: commit nothing */
    /* The file as opened (store_guard.c): its identity, and the daemon's lock. */
    dev_t dev;
    ino_t ino;
    int guarded;     /* a real file: dev and ino are set */
    int lock_fd;     /* flock(2) held by store_lock_daemon, -1 if none */
};

/* store_pg.c: the PostgreSQL connection and statements (store_db.c's
 * calls land here for STORE_PG). */
struct store_pgstmt;
enum ab_err store_pg_connect(store *st, const char *url, const char *password,
                             ab_errmsg *em);
void store_pg_close(store *st);
int store_pg_alive(store *st);
int store_pg_in_txn(store *st);
/* The open transaction has failed (a statement in it did): PostgreSQL
 * refuses everything but a rollback. */
int store_pg_txn_failed(store *st);
const char *store_pg_errmsg(store *st);
int64_t store_pg_changes(store *st);
int store_pg_exec_script(store *st, const char *sql);
int store_pg_prepare(store *st, const char *sql, struct store_pgstmt **out);
int store_pg_step(struct store_pgstmt *p);
/* Prepare it on the server at its first step, and run it so after. */
void store_pg_keep(struct store_pgstmt *p);
void store_pg_reset(struct store_pgstmt *p);
void store_pg_clear(struct store_pgstmt *p);
void store_pg_finalize(struct store_pgstmt *p);
int store_pg_bind(struct store_pgstmt *p, int idx, unsigned int type, const void *v,
                  size_t len, int binary);
int store_pg_bind_int64(struct store_pgstmt *p, int idx, int64_t v);
int store_pg_bind_double(struct store_pgstmt *p, int idx, double v);
int store_pg_bind_blob(struct store_pgstmt *p, int idx, const void *v, size_t len);
int store_pg_is_null(struct store_pgstmt *p, int col);
const char *store_pg_text(struct store_pgstmt *p, int col);
int64_t store_pg_int64(struct store_pgstmt *p, int col);
double store_pg_double(struct store_pgstmt *p, int col);
const void *store_pg_blob(struct store_pgstmt *p, int col);
size_t store_pg_bytes(struct store_pgstmt *p, int col);

/* store_pgschema.c: opening a PostgreSQL state (connect, migrate under an
 * advisory lock so that nodes started together migrate once), its
 * version and its check; the URL as messages show it (no password). */
#define STORE_PG_LOCK_MIGRATE "1633905506, 1"
#define STORE_PG_LOCK_WRITE "1633905506, 2"
enum ab_err store_pg_open(store *st, const char *url, const char *password,
                          ab_errmsg *em);
int store_pg_version(store *st);
enum ab_err store_pg_integrity(store *st, ab_errmsg *em);
char *store_url_display(const char *url);

/* store_dialect.c: the portable SQL as PostgreSQL reads it (placeholders
 * numbered, *nparams the highest), and the migrations' DDL with
 * PostgreSQL's types.  NULL on OOM; free with ab_free. */
char *store_dialect_pg(const char *sql, int *nparams);
char *store_dialect_pg_ddl(const char *sql);
/* A text value as PostgreSQL takes it: its TEXT must be UTF-8, where
 * SQLite keeps any bytes (a check program's output may be anything).
 * Each byte that does not start a valid sequence becomes U+FFFD, as the
 * pages show it.  NULL when v[0..len) is valid already, or on OOM (*oom
 * set); else a copy (ab_free it) of *out_len bytes. */
char *store_dialect_utf8(const char *v, size_t len, size_t *out_len, int *oom);

/* store_guard.c: before opening, the folder (0700) and file (0600) made if
 * missing; after, the file's identity remembered. */
enum ab_err store_file_prepare(const char *path, ab_errmsg *em);
enum ab_err store_file_remember(store *st, ab_errmsg *em);
/* store_meta.c: the Message-ID salt created in a database that has no
 * alerts yet. */
enum ab_err store_salt_init(store *st, ab_errmsg *em);

/* store_metrics.c, for the purges (in their transaction, just before they
 * delete): add what they are about to delete to the folded totals. */
enum ab_err store_metric_fold_runs(store *st, ab_time before, ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_metric_fold_pings(store *st, ab_time before, ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_metric_fold_mail(store *st, ab_time before, ab_errmsg *em) AB_MUST_CHECK;

/* The migrations, oldest first; migrations[i] takes version i to i+1. */
extern const char *const store_migrations_sql[];
extern const int store_migrations_count;

/*
 * The statement calls (store_db.c).  Step results are these codes on
 * both engines; a bound text is the caller's until the statement is
 * stepped or reset (store_db_bind_text_copy keeps its own copy).
 */
#define SDB_ERROR 1
#define SDB_BUSY 5
#define SDB_NOMEM 7
#define SDB_CONSTRAINT 19
#define SDB_ROW 100
#define SDB_DONE 101

int store_db_prepare(store *st, const char *sql, store_db_stmt **out);
/* It will be run many times: where the engine can, prepare it once. */
void store_db_keep(store_db_stmt *s);
int store_db_step(store_db_stmt *s);
void store_db_reset(store_db_stmt *s);
void store_db_clear_bindings(store_db_stmt *s);
void store_db_finalize(store_db_stmt *s);
int store_db_bind_text(store_db_stmt *s, int idx, const char *v);
int store_db_bind_text_copy(store_db_stmt *s, int idx, const char *v);
int store_db_bind_int64(store_db_stmt *s, int idx, int64_t v);
int store_db_bind_int(store_db_stmt *s, int idx, int v);
int store_db_bind_double(store_db_stmt *s, int idx, double v);
int store_db_bind_null(store_db_stmt *s, int idx);
int store_db_bind_blob(store_db_stmt *s, int idx, const void *p, size_t len);
int store_db_column_is_null(store_db_stmt *s, int col);
int64_t store_db_column_int64(store_db_stmt *s, int col);
int store_db_column_int(store_db_stmt *s, int col);
double store_db_column_double(store_db_stmt *s, int col);
const char *store_db_column_text(store_db_stmt *s, int col);
const void *store_db_column_blob(store_db_stmt *s, int col);
size_t store_db_column_bytes(store_db_stmt *s, int col);
/* Rows changed by the connection's last INSERT, UPDATE or DELETE. */
int64_t store_db_changes(store *st);
/* Run sql (several statements allowed, no parameters). */
int store_db_exec_script(store *st, const char *sql);
/* The connection's last error in words. */
const char *store_db_errmsg(store *st);

/* The statement helpers (store_sql.c), which call nothing else in store/
 * but the store_db_* calls. */

/* Prepare sql; on failure fill em with SQLite's message. */
enum ab_err store_prepare(store *st, const char *sql, store_db_stmt **out,
                          ab_errmsg *em);
/*
 * Like store_prepare, for hot statements: sql must be a string literal
 * (its address is the cache key).  The statement stays prepared: give
 * it back with store_release() instead of sqlite3_finalize().
 */
enum ab_err store_prepare_cached(store *st, const char *sql, store_db_stmt **out,
                                 ab_errmsg *em);
void store_release(store *st, store_db_stmt *s);

/* Step honouring the fault-injection seam.  Returns the SQLite code. */
int store_step(store *st, store_db_stmt *stmt);
/* Execute one statement with no result rows. */
enum ab_err store_exec(store *st, const char *sql, ab_errmsg *em);
/* The same for a statement run again and again (sql a string literal):
 * on SQLite it is kept prepared. */
enum ab_err store_exec_kept(store *st, const char *sql, ab_errmsg *em);
/* Fill em from the connection's last error, return AB_ESTORE (or AB_EBUSY). */
enum ab_err store_dberr(store *st, ab_errmsg *em, const char *what);

/*
 * Step stmt to its end, appending one element of elem_size bytes per row
 * to a growing array that row() fills from the current row (returning
 * non-zero on OOM).  On success *out (free with ab_free, after freeing
 * what row() allocated) holds *n elements; on failure, clear() (may be
 * NULL) is called for every element made so far and the array is freed.
 * Does not finalize stmt.
 */
enum ab_err store_collect(store *st, store_db_stmt *stmt, size_t elem_size,
                          int (*row)(store_db_stmt *s, void *elem),
                          void (*clear)(void *elem), void **out, size_t *n,
                          ab_errmsg *em, const char *what);

/* Bind an ab_time as ISO text, or NULL for AB_TIME_NONE. */
int store_bind_time(store_db_stmt *s, int idx, ab_time t);
/* Read an ISO text column back; AB_TIME_NONE for NULL or unparsable. */
ab_time store_column_time(store_db_stmt *s, int col);
/* ab_strdup of a text column (NULL stays NULL). */
char *store_column_dup(store_db_stmt *s, int col);
/* A status column (ab_status_name's text); Offline for NULL or a name
 * this binary does not know, so that such a row is looked at, not
 * taken for Healthy. */
enum ab_status store_column_status(store_db_stmt *s, int col);

#endif
