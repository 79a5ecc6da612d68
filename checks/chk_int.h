/*
 * chk_int.h - private to checks/: the backend vtables (sources and check
 * kinds) and the helpers they share.  Nothing outside checks/ includes it.
 *
 * Layout of the module, one job per file:
 *   chk.c           chk_run/chk_validate dispatch (the kinds' table),
 *                   Action remedy
 *   chk_ctx.c       the context: cached connections, the sources' table
 *   chk_res.c       the result list an outcome is built from
 *   chk_time.c      time zones (libical), periods, timestamp text
 *   chk_params.c    the named query parameters and '?' rewriting
 *   chk_sql.c       what the SQL kinds share: timeouts, identifier
 *                   quoting, running a query on a source
 *   chk_src_sqlite.c    the sqlite source
 *   chk_src_odbc.c      the odbc source
 *   chk_proc.c      child processes: fork/exec, capture, timeout, kill
 *   chk_nagios.c    Nagios plugin output: message, perfdata, ranges
 *   kind_*.c        one file per check kind
 */
#ifndef AB_CHK_INT_H
#define AB_CHK_INT_H

#include <stddef.h>
#include <stdint.h>

#include "checks/chk.h"
#include "common/ab_buf.h"

#define CHK_DEFAULT_QUERY_TIMEOUT 30 /* seconds, when neither check nor source says */
#define CHK_DEFAULT_PROC_TIMEOUT 60  /* seconds, commands, plugins, remedies */
#define CHK_OUTPUT_CAP (64 * 1024)   /* bytes of a program's output kept */

/* ===== results (chk_res.c) ============================================ */

/* A growing list of results; strings are owned (allocated) copies. */
struct chk_res {
    struct ab_result *v;
    size_t n, cap;
};

/* Append a result; message is formatted.  AB_ENOMEM only. */
enum ab_err chk_res_add(struct chk_res *r, const char *item,
                        enum ab_status st, int has_value, double value,
                        const char *perfdata, const char *fmt, ...)
    AB_PRINTF(7, 8) AB_MUST_CHECK;
/* The common case: one Offline result with a message. */
enum ab_err chk_res_offline(struct chk_res *r, const char *msg) AB_MUST_CHECK;
void chk_res_free(struct chk_res *r);

/* ===== time (chk_time.c) ============================================== */

/* A wall-clock reading in some zone. */
struct chk_civil {
    int64_t y;
    int mo, d, h, mi, s;
};

/* Is zone UTC (NULL, "", "UTC", "Etc/UTC", "Z", ...)? */
int chk_zone_is_utc(const char *zone);
/* AB_EINVAL naming the zone when libical does not know it. */
enum ab_err chk_zone_check(const char *zone, ab_errmsg *em) AB_MUST_CHECK;
/* Instant -> wall clock in zone. */
enum ab_err chk_to_civil(const char *zone, ab_time t, struct chk_civil *out,
                         ab_errmsg *em) AB_MUST_CHECK;
/* Wall clock in zone -> instant.  A time in a DST gap or overlap is
 * resolved the way libical does (the earlier offset). */
enum ab_err chk_from_civil(const char *zone, const struct chk_civil *c,
                           ab_time *out, ab_errmsg *em) AB_MUST_CHECK;

/*
 * Parse a timestamp text: ISO 8601 with 'T' or ' ', optional fraction,
 * optional "Z", "+HH:MM", "+HHMM" or "+HH" (PostgreSQL's style); a text
 * without an offset is wall-clock time in zone.  AB_EPARSE otherwise.
 */
enum ab_err chk_ts_parse(const char *text, const char *zone, ab_time *out,
                         ab_errmsg *em) AB_MUST_CHECK;

/* The textual shape of stored ISO timestamps, learnt from one sample so
 * that bound parameters compare correctly as text. */
enum chk_suffix {
    CHK_SFX_NONE,    /* naive: wall clock in the naive zone */
    CHK_SFX_Z,       /* ...Z */
    CHK_SFX_COLON,   /* ...+02:00 */
    CHK_SFX_NOCOLON, /* ...+0200 */
    CHK_SFX_HOURS,   /* ...+02 */
};
struct chk_tshape {
    char sep;            /* 'T', ' ', or 0 for a date without time */
    int frac;            /* digits of fractional seconds, 0..9 */
    enum chk_suffix sfx;
    int off;             /* the sample's offset in seconds (suffix != NONE/Z) */
};
/* The default shape: "2026-11-01T00:00:00Z". */
void chk_tshape_default(struct chk_tshape *sh);
/* Learn the shape of text; returns 0 if text is not an ISO timestamp. */
int chk_tshape_learn(const char *text, struct chk_tshape *sh);
/* Format t in shape sh (naive shapes in zone). */
enum ab_err chk_tshape_format(const struct chk_tshape *sh, const char *zone,
                              ab_time t, char *buf, size_t len,
                              ab_errmsg *em) AB_MUST_CHECK;

/* Human age: "3 days 4 hours", "5 hours 2 minutes", "42 seconds". */
char *chk_age_format(int64_t secs, char *buf, size_t len);

/* ===== SQL sources (chk_sql.c, src_*.c) =============================== */

/* One fetched value.  Text longer than CHK_TEXT_MAX - 1 is truncated. */
#define CHK_TEXT_MAX 256
enum chk_vtype {
    CHK_V_NULL,
    CHK_V_INT,
    CHK_V_REAL,
    CHK_V_TEXT,
    CHK_V_CIVIL, /* a native DATE/TIMESTAMP: wall clock, zone unknown */
};
struct chk_value {
    enum chk_vtype type;
    int64_t i;
    double r;
    struct chk_civil civil;
    char text[CHK_TEXT_MAX];
};

/* What a query returned: its first column of its first row. */
struct chk_row {
    int ncols;
    int nrows;  /* 0, 1, or 2 meaning "more than one" */
    struct chk_value v;
    int text_truncated;
};

/* The named parameters a query may use. */
enum chk_param_id {
    CHK_P_NOW,
    CHK_P_PERIOD_START,
    CHK_P_PERIOD_END,
    CHK_P_SINCE,
    CHK_P_COUNT
};

/* How timestamps are bound. */
enum chk_bind {
    CHK_BIND_ISO,    /* text in the shape below */
    CHK_BIND_UNIX,   /* integer Unix seconds */
    CHK_BIND_NATIVE, /* ODBC TIMESTAMP (wall clock in zone); SQLite: ISO text */
};

struct chk_params {
    ab_time v[CHK_P_COUNT];  /* AB_TIME_NONE when not defined for the check */
    const char *undefined_why[CHK_P_COUNT]; /* why, for the message */
    enum chk_bind bind;
    struct chk_tshape shape;
    const char *zone;        /* naive zone: for naive text and native binds */
    int previous;            /* grace=: the period judged is the previous one */
    ab_time current_start;   /* then: when the current period began */
};

/*
 * Fill p for check c at now: :now; :period_start/:period_end from the
 * check's window (now - window .. now, inclusive of now) or calendar
 * period (in c->timezone); :since = period start, else now - max_age.
 * With c->period_grace, until the current period is that old the previous
 * period is the one judged (p->previous, p->current_start).
 * Parameters the check cannot define are marked undefined with a reason.
 * Binding follows ts_format (AUTO: ISO text for sqlite, TIMESTAMP for
 * odbc) in the default shape "YYYY-MM-DDTHH:MM:SSZ".  AB_EINVAL for an
 * unknown zone.
 */
enum ab_err chk_params_init(const struct cfg_check *c, ab_time now,
                            struct chk_params *p, ab_errmsg *em) AB_MUST_CHECK;

/* ":now" (len counts the bytes after ':') -> id, or -1. */
int chk_param_lookup(const char *name, size_t len);
const char *chk_param_name(int id); /* "now", "period_start", ... */
/* The value of parameter id, or AB_EINVAL explaining why it is undefined. */
enum ab_err chk_param_get(const struct chk_params *p, int id, ab_time *t,
                          ab_errmsg *em) AB_MUST_CHECK;

/*
 * A source backend.  conn is the backend's own handle.  query() runs sql
 * with the named parameters bound and returns the first column of the
 * first row; on failure it returns AB_ESOURCE (AB_ETIMEOUT when the
 * deadline passed) with the database's own message in em.  prepare()
 * only compiles sql (validate).  quote is the identifier quote character
 * (ODBC asks the driver).
 */
struct chk_source_ops {
    enum cfg_source_kind kind;
    const char *name;
    enum ab_err (*open)(const struct cfg_source *src, int timeout_s,
                        void **conn, ab_errmsg *em);
    void (*close)(void *conn);
    enum ab_err (*query)(void *conn, const char *sql,
                         const struct chk_params *p, int timeout_s,
                         struct chk_row *row, ab_errmsg *em);
    enum ab_err (*prepare)(void *conn, const char *sql, const struct chk_params *p,
                           int timeout_s, ab_errmsg *em);
    char (*quote_char)(void *conn);
    /* After a failed query: is the connection itself broken (server gone,
     * link dropped), so that a new one might succeed at once? */
    int (*broken)(void *conn);
};
extern const struct chk_source_ops chk_source_sqlite;
extern const struct chk_source_ops chk_source_odbc;

/* The query timeout of c in seconds (see chk.h). */
int chk_query_timeout(const struct cfg_check *c);

/* Open (or reuse) the connection for src.  AB_ESOURCE with the driver's
 * message when it cannot be opened.  *reused (may be NULL) tells whether
 * it was already open. */
enum ab_err chk_ctx_conn(chk_ctx *ctx, const struct cfg_source *src,
                         int timeout_s, const struct chk_source_ops **ops,
                         void **conn, int *reused, ab_errmsg *em) AB_MUST_CHECK;
/* Forget (close) the connection for src after a failure. */
void chk_ctx_conn_drop(chk_ctx *ctx, const struct cfg_source *src);

/*
 * Run sql on c's source.  AB_ESOURCE / AB_ETIMEOUT: em holds a message
 * ready for an Offline result ("source 'x': <database message>"), and the
 * connection has been dropped.  AB_ENOMEM.  When a reused connection
 * turns out to be broken (the server restarted since), it is reopened
 * and the query tried once more, so a restart is not an Offline result.
 */
enum ab_err chk_sql_query(chk_ctx *ctx, const struct cfg_check *c,
                          const char *sql, const struct chk_params *p,
                          struct chk_row *row, ab_errmsg *em) AB_MUST_CHECK;
/* Compile sql on c's source without running it. */
enum ab_err chk_sql_prepare(chk_ctx *ctx, const struct cfg_check *c,
                            const char *sql, const struct chk_params *p,
                            ab_errmsg *em) AB_MUST_CHECK;
/* The identifier quote character of c's source (opens it). */
enum ab_err chk_sql_quote_char(chk_ctx *ctx, const struct cfg_check *c,
                               char *q, ab_errmsg *em) AB_MUST_CHECK;

/*
 * Validate and quote a table or column name into out: "a.b" becomes
 * "a"."b" (with quote q).  Each part must be non-empty, at most 128 bytes,
 * without control characters or the quote character itself.
 */
enum ab_err chk_sql_ident(const char *ident, char q, ab_buf *out,
                          ab_errmsg *em) AB_MUST_CHECK;

/*
 * For drivers without named parameters (ODBC): copy sql to out with every
 * :name outside string literals, quoted identifiers, comments and
 * PostgreSQL dollar quotes replaced by '?', and the parameter ids in
 * order in ids (room for CHK_MAX_PARAMS).  "::" (a PostgreSQL cast) is
 * left alone.  AB_EINVAL for an unknown :name or a bare '?'.
 */
#define CHK_MAX_PARAMS 32
enum ab_err chk_sql_positional(const char *sql, ab_buf *out, int *ids,
                               int *nids, ab_errmsg *em) AB_MUST_CHECK;

/*
 * The SQL a table/column check runs: "SELECT <what> FROM <table>" where
 * what is fmt with "%s" standing for the quoted column (e.g. "max(%s)");
 * where_col adds " WHERE col >= :period_start AND col < :period_end".
 * Opens the source for its quote character: AB_ESOURCE like chk_sql_query.
 */
enum ab_err chk_sql_table_query(chk_ctx *ctx, const struct cfg_check *c,
                                const char *fmt, int where_col, ab_buf *out,
                                ab_errmsg *em) AB_MUST_CHECK;
/* AB_EINVAL unless c has a source and (table and column, or a query). */
enum ab_err chk_sql_need(const struct cfg_check *c, ab_errmsg *em) AB_MUST_CHECK;

/* "text", "integer", ... for messages. */
const char *chk_vtype_name(enum chk_vtype t);
/* A number from a value: INT/REAL, or TEXT that is entirely a finite
 * number.  Returns 0 otherwise. */
int chk_value_number(const struct chk_value *v, double *out);
/*
 * Describe why a row is not exactly one value ("the query returned no
 * rows", "... 2 columns", "... more than one row"), or NULL when it is.
 */
const char *chk_row_shape_error(const struct chk_row *row, char *buf,
                                size_t len);

/* ===== child processes (chk_proc.c) =================================== */

enum chk_proc_end {
    CHK_PROC_EXITED,   /* code = exit status */
    CHK_PROC_SIGNALED, /* code = signal number */
    CHK_PROC_TIMEOUT,  /* killed after the timeout */
    CHK_PROC_NOSTART,  /* code = errno of exec/fork */
};

/*
 * What to run: argv (exec'd; argv[0] without '/' is searched in PATH), or
 * child_fn, which runs in the forked child and must end with _exit().
 * With argv, stdout and stderr are both captured; with child_fn they go
 * to /dev/null and the function writes to the fd it is given.  stdin is
 * /dev/null.  The child leads its own process group; on timeout the
 * group gets SIGTERM and, after a short grace, SIGKILL.
 */
struct chk_proc_spec {
    const char *const *argv;
    const char *const *envp; /* with argv: the environment; NULL inherits */
    void (*child_fn)(void *arg, int fd);
    void *child_arg;
    int timeout_s;
    size_t out_cap;  /* bytes kept; more is read and dropped */
};
struct chk_proc_res {
    enum chk_proc_end end;
    int code;
    char *out;       /* NUL-terminated, owned; never NULL after success */
    size_t outlen;
    int truncated;
    int64_t elapsed_ms;
};
/* AB_OK whenever the child's fate is in res (even NOSTART); AB_ENOMEM. */
enum ab_err chk_proc_run(const struct chk_proc_spec *s, struct chk_proc_res *res,
                         ab_errmsg *em) AB_MUST_CHECK;
void chk_proc_res_free(struct chk_proc_res *res);
/* "exit 2", "killed by SIGSEGV", "timed out after 5s", "could not start: ..." */
char *chk_proc_describe(const struct chk_proc_res *r, int timeout_s, char *buf,
                        size_t len);

/* The first line of text (up to len - 1 bytes), trimmed, into buf. */
char *chk_first_line(const char *text, char *buf, size_t len);

/* Milliseconds on the monotonic clock (durations only). */
int64_t chk_mono_ms(void);

/* ===== Nagios plugin output (chk_nagios.c) ============================ */

struct chk_perf {
    char *label;
    int has_value;
    double value;
    char uom[16];
    char *warn, *crit;   /* range text, NULL when empty */
    char *raw;           /* the whole "label=..." token */
};

/*
 * Split plugin output into its first line (the message, without the
 * perfdata) and all perfdata text (after '|' on the first line and after
 * the first '|' in the long output).  *msg and *perf are owned (ab_free).
 */
enum ab_err chk_nagios_split(const char *out, char **msg, char **perf) AB_MUST_CHECK;
/* Parse perfdata into items; malformed tokens are skipped. */
enum ab_err chk_perf_parse(const char *perf, struct chk_perf **items,
                           size_t *n) AB_MUST_CHECK;
void chk_perf_free(struct chk_perf *items, size_t n);
/* Nagios range: 1 when v raises an alert under range, 0 when not, -1 when
 * the range does not parse. */
int chk_range_alert(const char *range, double v);

/* ===== kinds (kind_*.c) =============================================== */

struct chk_kind {
    enum cfg_check_kind kind;
    /* Append at least one result to out; errors only AB_ENOMEM/AB_EINVAL. */
    enum ab_err (*run)(chk_ctx *ctx, const struct cfg_check *c, ab_time now,
                       struct chk_res *out, ab_errmsg *em);
    enum ab_err (*validate)(chk_ctx *ctx, const struct cfg_check *c,
                            ab_errmsg *em);
};
extern const struct chk_kind chk_kind_freshness;
extern const struct chk_kind chk_kind_count;
extern const struct chk_kind chk_kind_sql;
extern const struct chk_kind chk_kind_command;
extern const struct chk_kind chk_kind_plugin;

#endif
