/*
 * chk.h - checks: one check in, one outcome out.
 *
 * chk_run() executes one configured check (freshness, count, sql, command
 * or plugin) at a given "now" and returns an outcome: one ab_result per
 * item, the execution time, and for Action checks the remedy's note.  The
 * engine stores the outcome as a run (store_run_begin/_complete).
 *
 * A failing data source, an SQL error, a timeout, a crashing program or
 * plugin is not an error of chk_run(): it is an outcome whose result is
 * Offline, with the database's (or program's) own message.  chk_run()
 * returns an error only for misuse (a heartbeat or ping check, a check
 * without the fields its kind needs) and out-of-memory.
 *
 * A chk_ctx keeps one open connection per source (keyed by the source's
 * name and connection details) and reuses it across checks; a connection
 * that failed is closed and opened again by the next check that needs it.
 * A context is not thread-safe: one per thread.  It never reads the wall
 * clock ("now" is a parameter); it reads CLOCK_MONOTONIC only to measure
 * execution time and enforce timeouts.
 *
 * Timeouts: a query runs under min(check timeout, source timeout) of
 * those that are > 0 (30 s when neither is set); a command, plugin or
 * remedy under the check's timeout (60 s when unset).
 */
#ifndef AB_CHK_H
#define AB_CHK_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_err.h"
#include "common/ab_status.h"
#include "common/ab_time.h"
#include "config/cfg.h"

typedef struct chk_ctx chk_ctx;

/* A new context with no open connections; NULL when out of memory. */
chk_ctx *chk_ctx_new(void);
/* Close every connection and free ctx.  chk_ctx_free(NULL) does nothing. */
void chk_ctx_free(chk_ctx *ctx);
/* Close every open connection (after a config reload); ctx stays usable. */
void chk_ctx_close_all(chk_ctx *ctx);
/* How many source connections are open (for tests and `status`). */
size_t chk_ctx_open_count(const chk_ctx *ctx);

/*
 * What one execution of a check produced.  Owned by the caller: free with
 * chk_outcome_free().  Every string is owned by the outcome.
 */
struct chk_outcome {
    struct ab_result *results; /* one per item, nresults >= 1 */
    size_t nresults;
    enum ab_status status;     /* the worst status among results */
    int64_t execution_ms;         /* the check itself, remedy excluded */
    /* Action checks (seed 001) whose status is not Healthy: */
    int remedy_ran;               /* 1 when the remedy command was started */
    int remedy_exit;              /* its exit code; -1: timed out, killed or not started */
    char *remedy_note;            /* "remedy ran: exit 0", ...; NULL when none ran */
};
void chk_outcome_free(struct chk_outcome *o);

/*
 * Run check c at instant now.  On AB_OK *out is a new outcome (see
 * above).  Errors: AB_EINVAL when c is not a kind checks/ runs
 * (heartbeat, ping) or lacks what its kind needs (no source, neither
 * table/column nor query, no argv); AB_ENOMEM.  The check's config is
 * borrowed for the duration of the call only.
 */
enum ab_err chk_run(chk_ctx *ctx, const struct cfg_check *c, ab_time now,
                    struct chk_outcome **out, ab_errmsg *em) AB_MUST_CHECK;

/*
 * Deep validation for `ackbeat validate --deep`: connect to the source and
 * prepare the check's SQL without running it (syntax errors, unknown
 * tables and columns, unknown :parameters), check that a command's
 * program exists and is executable, probe a plugin.  AB_OK when it would
 * run; otherwise the error (AB_ESOURCE, AB_EINVAL, AB_ENOTFOUND,
 * AB_EVERSION) with em naming the check and the reason.  ctx may be NULL
 * (a private one is used).
 */
enum ab_err chk_validate(const struct cfg_check *c, chk_ctx *ctx,
                         ab_errmsg *em) AB_MUST_CHECK;

/*
 * Load the plugin at path in a child process and check its ABI symbol and
 * version without invoking it.  AB_OK: em holds "NAME (LABEL), ABI 1".
 * Otherwise AB_ENOTFOUND (no file), AB_EVERSION (wrong ABI), AB_EINVAL
 * (not a plugin: dlopen or dlsym failed), AB_ECHILD (it crashed while
 * loading), with em naming the file and the reason.
 */
enum ab_err chk_plugin_probe(const char *path, ab_errmsg *em) AB_MUST_CHECK;

/*
 * The calendar period [start, end) that contains now, in the IANA zone
 * (NULL or "UTC": UTC), DST-correct; weeks start on Monday (ISO 8601).
 * Exposed for the engine and for tests.  AB_EINVAL for an unknown zone
 * or CFG_PERIOD_NONE.
 */
enum ab_err chk_period_bounds(enum cfg_period p, const char *zone, ab_time now,
                              ab_time *start, ab_time *end,
                              ab_errmsg *em) AB_MUST_CHECK;

/*
 * Plugins run in a child process.  By default the child is a fork of the
 * caller; that is only safe while the caller has one thread (dlopen in a
 * forked copy of a threaded process can deadlock on a lock another thread
 * held).  A threaded program (the daemon with its web server) names an
 * executable here, and each plugin then runs in a fresh process:
 *   EXE plugin-host --run|--probe FILE ARG
 * which must call chk_plugin_host_main().  Set once at start-up; NULL
 * goes back to forking.  The string is copied.
 */
void chk_plugin_host_set(const char *exe);
/* The body of `EXE plugin-host`: load FILE, report on stdout, exit. */
_Noreturn void chk_plugin_host_main(const char *path, const char *arg, int probe);

#endif
