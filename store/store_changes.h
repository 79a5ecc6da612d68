/*
 * store_changes.h - has the state moved since I last looked?  A cheap
 * marker that changes when another connection (another thread's store
 * handle, the CLI, another node) commits, so that a read model kept in
 * memory (engine/eng_live*.c) knows when to read again without reading
 * everything per request.
 */
#ifndef AB_STORE_CHANGES_H
#define AB_STORE_CHANGES_H

#include <stdint.h>

#include "common/ab_err.h"

#ifndef AB_STORE_TYPEDEF
#define AB_STORE_TYPEDEF
typedef struct store store;
#endif

/*
 * *out: a number that differs from the previous call's whenever another
 * connection committed a change in between.  SQLite: PRAGMA data_version
 * (this connection's own commits do not move it: the caller knows about
 * those).  PostgreSQL: the next transaction id of the server, which any
 * write anywhere on it moves (more often than needed, never less).
 * AB_ESTORE with em when the database cannot be asked.
 */
enum ab_err store_change_marker(store *st, uint64_t *out, ab_errmsg *em) AB_MUST_CHECK;

#endif
