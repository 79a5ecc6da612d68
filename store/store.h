/*
 * store.h - the state database: the handle, opening and closing,
 * transactions, and the small bookkeeping table.
 *
 * One SQLite file in WAL mode holds everything ackbeat must not forget:
 * runs and results, alerts, heartbeat cycles and their tokens and
 * acknowledgements, the outbox, and the inbox's progress.  Every instant
 * is stored as ISO 8601 UTC text ("2026-12-01T08:00:00Z") so that
 * `sqlite3 state.db` is readable by a person, and compares correctly as
 * text.
 *
 * The schema is versioned (PRAGMA user_version); store_open() applies the
 * missing migrations in one transaction and refuses a database written by
 * a newer ackbeat.  A store handle is not thread-safe: one per thread.
 *
 * This header is the store's core; each concern has its own header
 * beside it (store_runs.h, store_alerts.h, store_outbox.h, ...), and a
 * file includes only those it uses.  No header names a SQLite type: the
 * SQL stays in store/, and another backend could sit behind the same
 * faces (store/README.md lists them).  Functions live in store.c,
 * store_guard.c (the file itself) and store_meta.c (meta, the salt).
 */
#ifndef AB_STORE_H
#define AB_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_err.h"

/* The handle.  A header that only passes one along may repeat this
 * guarded typedef instead of including this header. */
#ifndef AB_STORE_TYPEDEF
#define AB_STORE_TYPEDEF
typedef struct store store;
#endif

/* The newest schema version this binary knows. */
#define STORE_SCHEMA_VERSION 12

/*
 * Open (creating if needed) the database at path, switch it to WAL, and
 * migrate it.  AB_EVERSION if the file is newer than this binary.
 * On success *out is owned by the caller: store_close() it.
 */
enum ab_err store_open(const char *path, store **out, ab_errmsg *em) AB_MUST_CHECK;
/*
 * The same for a path or a postgresql:// URL (libpq's URI form, with its
 * parameters: sslmode, connect_timeout ...).  password, if not NULL, is
 * given to libpq apart from the URL, so that it never shows in a message
 * or a process listing; messages name the URL without any password.
 * Several processes (nodes) may open one PostgreSQL state at once.
 */
enum ab_err store_open_with(const char *locator, const char *password, store **out,
                            ab_errmsg *em) AB_MUST_CHECK;
/* locator as it may be shown: a URL without its password (user:PW@ and
 * ?password=), a path as it is.  NULL on OOM; free with ab_free. */
char *store_url_display(const char *locator);
/*
 * `ackbeat migrate` (store/store_copy.c): every row of from copied into
 * to, ids kept, in one transaction on to.  Both must be at this binary's
 * schema version (store_open brings them there) with the same tables.
 * AB_EEXIST, naming the table, when to holds any row besides the meta a
 * fresh state writes (its Message-ID salt, replaced by from's meta).  fn,
 * if set, is told each table's row count as it is copied.
 */
typedef void (*store_copy_progress)(const char *table, int64_t rows, void *ud);
enum ab_err store_copy(store *from, store *to, store_copy_progress fn, void *ud,
                       ab_errmsg *em) AB_MUST_CHECK;
/* Is locator a PostgreSQL URL rather than a file? */
int store_is_url(const char *locator);
void store_close(store *st);

/*
 * The file under a running daemon: AB_ESTORE, saying which, when the
 * database at the opened path was deleted or replaced since store_open
 * (device and inode compared).  Cheap: one stat(2); call it every tick.
 */
enum ab_err store_check_file(store *st, ab_errmsg *em) AB_MUST_CHECK;
/*
 * Can the state be read right now (store/store_reach.c)?  One trivial
 * statement: on PostgreSQL a round trip, which also reconnects a lost
 * connection once its backoff ran out.  AB_ESTORE, with the reason
 * ("the connection to PostgreSQL is lost; retrying"), when it cannot.
 */
enum ab_err store_reachable(store *st, ab_errmsg *em) AB_MUST_CHECK;
/*
 * One daemon per database: an advisory lock held until store_close (or
 * the process's death).  AB_EBUSY with a clear message when another
 * process holds it.  One-shot commands do not take it.
 */
enum ab_err store_lock_daemon(store *st, ab_errmsg *em) AB_MUST_CHECK;
/*
 * This database's random Message-ID part (hex, "" for a database that
 * sent alert notices before it had one).  out has len bytes (>= 16).
 */
enum ab_err store_msgid_salt(store *st, char *out, size_t len,
                             ab_errmsg *em) AB_MUST_CHECK;

/* The schema version of the open database. */
int store_schema_version(store *st);

/*
 * Transactions.  store_begin() takes the write lock at once (BEGIN
 * IMMEDIATE) so that two ackbeat processes serialise on claims instead of
 * failing half-way; the busy timeout absorbs short waits.  Calls nest:
 * an inner begin/commit is a savepoint, and only the outermost commit
 * makes anything durable.  Every begin is paired with exactly one commit
 * or rollback.
 */
enum ab_err store_begin(store *st, ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_commit(store *st, ab_errmsg *em) AB_MUST_CHECK;
void store_rollback(store *st);
/*
 * A flat transaction: an outermost store_begin whose nested levels are
 * not savepoints (on PostgreSQL each SAVEPOINT and RELEASE is a round
 * trip).  Inside it a nested begin and commit send nothing, and a nested
 * rollback, which then can undo nothing on its own, dooms the whole
 * transaction: store_doomed says so (as it does once a statement has
 * failed on PostgreSQL, which aborts the transaction), and its commit
 * rolls back and fails.  For work that can be done again with
 * savepoints when a part of it fails (eng_pingbatch.c).
 */
enum ab_err store_begin_flat(store *st, ab_errmsg *em) AB_MUST_CHECK;
int store_doomed(store *st);

/* PRAGMA integrity_check == "ok"; detail names the first problem. */
enum ab_err store_integrity_check(store *st, ab_errmsg *em) AB_MUST_CHECK;

/* Test seam: make the Nth following SQLite step fail (n < 0: off). */
void store_fail_after(store *st, long n);

/* Small key/value table for bookkeeping (last tick, start-up time). */
enum ab_err store_meta_get(store *st, const char *key, char **value,
                           ab_errmsg *em) AB_MUST_CHECK; /* *value NULL if unset; free with ab_free */
enum ab_err store_meta_set(store *st, const char *key, const char *value,
                           ab_errmsg *em) AB_MUST_CHECK;

#endif
