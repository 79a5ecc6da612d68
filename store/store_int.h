/*
 * store_int.h - private to store/: the handle's struct, the statement
 * helpers (store_sql.c), and what store.c and the purges call in the
 * other store/ files (the file's guard, the salt, the metric folds).
 * The only header with a SQLite type: none of the public ones has one.
 */
#ifndef AB_STORE_INT_H
#define AB_STORE_INT_H

#include <sqlite3.h>
#include <sys/types.h>

#include "common/ab_time.h"
#include "store/store.h"

#define STORE_STMT_CACHE 16

struct store {
    sqlite3 *db;
    /* Statements run for every check on every tick, prepared once.  The
     * key is the SQL string's address: callers pass string literals. */
    struct {
        const char *sql;
        sqlite3_stmt *stmt;
    } cache[STORE_STMT_CACHE];
    int ncache;
    char *path;
    long fail_after; /* test seam: < 0 off */
    int depth;       /* open store_begin() levels; > 1 are savepoints */
    /* The file as opened (store_guard.c): its identity, and the daemon's lock. */
    dev_t dev;
    ino_t ino;
    int guarded;     /* a real file: dev and ino are set */
    int lock_fd;     /* flock(2) held by store_lock_daemon, -1 if none */
};

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

/* The statement helpers (store_sql.c), which call nothing else in store/. */

/* Prepare sql; on failure fill em with SQLite's message. */
enum ab_err store_prepare(store *st, const char *sql, sqlite3_stmt **out,
                          ab_errmsg *em);
/*
 * Like store_prepare, for hot statements: sql must be a string literal
 * (its address is the cache key).  The statement stays prepared: give
 * it back with store_release() instead of sqlite3_finalize().
 */
enum ab_err store_prepare_cached(store *st, const char *sql, sqlite3_stmt **out,
                                 ab_errmsg *em);
void store_release(store *st, sqlite3_stmt *s);

/* Step honouring the fault-injection seam.  Returns the SQLite code. */
int store_step(store *st, sqlite3_stmt *stmt);
/* Execute one statement with no result rows. */
enum ab_err store_exec(store *st, const char *sql, ab_errmsg *em);
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
enum ab_err store_collect(store *st, sqlite3_stmt *stmt, size_t elem_size,
                          int (*row)(sqlite3_stmt *s, void *elem),
                          void (*clear)(void *elem), void **out, size_t *n,
                          ab_errmsg *em, const char *what);

/* Bind an ab_time as ISO text, or NULL for AB_TIME_NONE. */
int store_bind_time(sqlite3_stmt *s, int idx, ab_time t);
/* Read an ISO text column back; AB_TIME_NONE for NULL or unparsable. */
ab_time store_column_time(sqlite3_stmt *s, int col);
/* ab_strdup of a text column (NULL stays NULL). */
char *store_column_dup(sqlite3_stmt *s, int col);

#endif
