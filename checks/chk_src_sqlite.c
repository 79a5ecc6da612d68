/*
 * chk_src_sqlite.c - the sqlite source: a database file, read-only.
 *
 * The file is opened with SQLITE_OPEN_READONLY and as a URI with mode=ro,
 * so a check can never create, change or lock-for-write the database it
 * watches, even through a query with side effects.  A busy timeout waits
 * out a writer's lock; a progress handler that looks at the monotonic
 * clock interrupts a query that runs past its deadline (a recursive CTE
 * that never ends stops with "query timed out after 1s").
 *
 * Parameters are bound by name (:now, :period_start, :period_end, :since);
 * a name we do not know, or a positional '?', is an error rather than a
 * silent NULL.  Prepared statements are kept per connection (a small LRU
 * keyed by SQL text), since a check runs the same SQL every time and
 * preparing costs more than running an indexed max().
 */
#include "checks/chk_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"

#define SQ_CACHE 16

struct sq_conn {
    sqlite3 *db;
    int busy_s;           /* the busy timeout now set */
    int64_t deadline_ms;
    int timed_out;
    unsigned long tick;
    struct {
        char *sql;
        sqlite3_stmt *st;
        unsigned long used;
    } cache[SQ_CACHE];
};

static int sq_progress(void *arg)
{
    struct sq_conn *c = arg;
    if (c->deadline_ms && chk_mono_ms() > c->deadline_ms) {
        c->timed_out = 1;
        return 1;
    }
    return 0;
}

/* "file:" URI for path, escaping what a URI would misread. */
static enum ab_err sq_uri(const char *path, ab_buf *b)
{
    enum ab_err e = ab_buf_puts(b, "file:");
    for (const unsigned char *p = (const unsigned char *)path; !e && *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#' || *p <= ' ' || *p >= 0x7f)
            e = ab_buf_printf(b, "%%%02X", *p);
        else
            e = ab_buf_putc(b, (char)*p);
    }
    return e ? e : ab_buf_puts(b, "?mode=ro");
}

static enum ab_err sq_open(const struct cfg_source *src, int timeout_s,
                           void **out, ab_errmsg *em)
{
    if (!src->path || !*src->path)
        return ab_fail(em, AB_EINVAL, "sqlite source has no path");
    struct sq_conn *c = ab_calloc(1, sizeof *c);
    ab_buf uri;
    ab_buf_init(&uri, 8192);
    enum ab_err e = AB_ENOMEM;
    if (!c || sq_uri(src->path, &uri))
        goto out;
    int rc = sqlite3_open_v2(ab_buf_str(&uri), &c->db,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    if (rc != SQLITE_OK) {
        e = ab_fail(em, AB_ESOURCE, "%s: %s", src->path,
                    c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        goto out;
    }
    sqlite3_extended_result_codes(c->db, 1);
    /* A misspelt "column" must be an error, not the string 'column'. */
    sqlite3_db_config(c->db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
    sqlite3_db_config(c->db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
    sqlite3_busy_timeout(c->db, timeout_s * 1000);
    c->busy_s = timeout_s;
    sqlite3_progress_handler(c->db, 1000, sq_progress, c);
    *out = c;
    c = NULL;
    e = AB_OK;
out:
    if (c) {
        sqlite3_close(c->db);
        ab_free(c);
    }
    ab_buf_free(&uri);
    return e;
}

static void sq_close(void *conn)
{
    struct sq_conn *c = conn;
    if (!c)
        return;
    for (int i = 0; i < SQ_CACHE; i++) {
        sqlite3_finalize(c->cache[i].st);
        ab_free(c->cache[i].sql);
    }
    sqlite3_close(c->db);
    ab_free(c);
}

/* Only the first statement runs; refuse anything after it but blanks and
 * comments, rather than ignore it silently. */
static int sq_tail_empty(const char *tail)
{
    while (tail && *tail) {
        if (*tail == ' ' || *tail == '\t' || *tail == '\n' || *tail == '\r' ||
            *tail == ';') {
            tail++;
        } else if (tail[0] == '-' && tail[1] == '-') {
            while (*tail && *tail != '\n')
                tail++;
        } else if (tail[0] == '/' && tail[1] == '*') {
            const char *end = strstr(tail + 2, "*/");
            if (!end)
                return 1;
            tail = end + 2;
        } else {
            return 0;
        }
    }
    return 1;
}

static enum ab_err sq_compile(struct sq_conn *c, const char *sql,
                              unsigned flags, sqlite3_stmt **out, ab_errmsg *em)
{
    const char *tail = NULL;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, flags, &st, &tail);
    if (rc == SQLITE_NOMEM)
        return AB_ENOMEM;
    if (rc != SQLITE_OK)
        return ab_fail(em, AB_ESOURCE, "%s", sqlite3_errmsg(c->db));
    if (!st)
        return ab_fail(em, AB_ESOURCE, "the query is empty");
    if (!sq_tail_empty(tail)) {
        sqlite3_finalize(st);
        return ab_fail(em, AB_ESOURCE, "only one SQL statement is allowed");
    }
    *out = st;
    return AB_OK;
}

/* The cached statement for sql, preparing it on a miss. */
static enum ab_err sq_stmt(struct sq_conn *c, const char *sql,
                           sqlite3_stmt **out, ab_errmsg *em)
{
    int victim = 0;
    c->tick++;
    for (int i = 0; i < SQ_CACHE; i++) {
        if (c->cache[i].sql && strcmp(c->cache[i].sql, sql) == 0) {
            c->cache[i].used = c->tick;
            *out = c->cache[i].st;
            return AB_OK;
        }
        if (c->cache[i].used < c->cache[victim].used)
            victim = i;
    }
    char *copy = ab_strdup(sql);
    if (!copy)
        return AB_ENOMEM;
    sqlite3_stmt *st;
    enum ab_err e = sq_compile(c, sql, SQLITE_PREPARE_PERSISTENT, &st, em);
    if (e) {
        ab_free(copy);
        return e;
    }
    sqlite3_finalize(c->cache[victim].st);
    ab_free(c->cache[victim].sql);
    c->cache[victim].sql = copy;
    c->cache[victim].st = st;
    c->cache[victim].used = c->tick;
    *out = st;
    return AB_OK;
}

/* Check every parameter of st and, when bind, bind its value. */
static enum ab_err sq_params(sqlite3_stmt *st, const struct chk_params *p,
                             int bind, ab_errmsg *em)
{
    int n = sqlite3_bind_parameter_count(st);
    for (int i = 1; i <= n; i++) {
        const char *name = sqlite3_bind_parameter_name(st, i);
        if (!name)
            return ab_fail(em, AB_ESOURCE,
                           "positional parameters ('?') are not supported; use "
                           ":now, :period_start, :period_end or :since");
        int id = chk_param_lookup(name + 1, strlen(name + 1));
        if (id < 0)
            return ab_fail(em, AB_ESOURCE,
                           "unknown parameter %s (known: :now, :period_start, "
                           ":period_end, :since)",
                           name);
        ab_time t;
        enum ab_err e = chk_param_get(p, id, &t, em);
        if (e)
            return e;
        if (!bind)
            continue;
        int rc;
        if (p->bind == CHK_BIND_UNIX) {
            rc = sqlite3_bind_int64(st, i, t);
        } else {
            char buf[64];
            if ((e = chk_tshape_format(&p->shape, p->zone, t, buf, sizeof buf, em)))
                return e;
            rc = sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
        }
        if (rc == SQLITE_NOMEM)
            return AB_ENOMEM;
        if (rc != SQLITE_OK)
            return ab_fail(em, AB_ESOURCE, "binding %s: %s", name, sqlite3_errstr(rc));
    }
    return AB_OK;
}

static void sq_value(sqlite3_stmt *st, struct chk_row *row)
{
    struct chk_value *v = &row->v;
    switch (sqlite3_column_type(st, 0)) {
    case SQLITE_INTEGER:
        v->type = CHK_V_INT;
        v->i = sqlite3_column_int64(st, 0);
        break;
    case SQLITE_FLOAT:
        v->type = CHK_V_REAL;
        v->r = sqlite3_column_double(st, 0);
        break;
    case SQLITE_NULL:
        v->type = CHK_V_NULL;
        break;
    default: { /* TEXT, and BLOB read as text */
        const unsigned char *t = sqlite3_column_text(st, 0);
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        v->type = CHK_V_TEXT;
        if (n >= sizeof v->text) {
            n = sizeof v->text - 1;
            row->text_truncated = 1;
        }
        if (t)
            memcpy(v->text, t, n);
        v->text[n] = '\0';
    }
    }
}

static enum ab_err sq_query(void *conn, const char *sql, const struct chk_params *p,
                            int timeout_s, struct chk_row *row, ab_errmsg *em)
{
    struct sq_conn *c = conn;
    sqlite3_stmt *st;
    enum ab_err e = sq_stmt(c, sql, &st, em);
    if (e)
        return e;
    if ((e = sq_params(st, p, 1, em)))
        goto out;
    /* Checks sharing this source may have different timeouts. */
    if (c->busy_s != timeout_s) {
        sqlite3_busy_timeout(c->db, timeout_s * 1000);
        c->busy_s = timeout_s;
    }
    c->timed_out = 0;
    c->deadline_ms = chk_mono_ms() + (int64_t)timeout_s * 1000;
    row->ncols = sqlite3_column_count(st);
    row->nrows = 0;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        row->nrows = 1;
        if (row->ncols > 0)
            sq_value(st, row);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            row->nrows = 2;
            rc = SQLITE_DONE;
        }
    }
    if (rc != SQLITE_DONE) {
        if (c->timed_out)
            e = ab_fail(em, AB_ETIMEOUT, "query timed out after %ds", timeout_s);
        else if ((rc & 0xff) == SQLITE_NOMEM)
            e = AB_ENOMEM;
        else
            e = ab_fail(em, AB_ESOURCE, "%s", sqlite3_errmsg(c->db));
    }
out:
    c->deadline_ms = 0;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return e;
}

static enum ab_err sq_prepare(void *conn, const char *sql, const struct chk_params *p,
                              int timeout_s, ab_errmsg *em)
{
    struct sq_conn *c = conn;
    sqlite3_stmt *st;
    (void)timeout_s;
    enum ab_err e = sq_compile(c, sql, 0, &st, em);
    if (e)
        return e;
    e = sq_params(st, p, 0, em);
    if (!e && !sqlite3_stmt_readonly(st))
        e = ab_fail(em, AB_ESOURCE, "the query would change the database; "
                                    "checks only read");
    sqlite3_finalize(st);
    return e;
}

static char sq_quote_char(void *conn)
{
    (void)conn;
    return '"';
}

/* A file does not go away like a server: nothing to reconnect. */
static int sq_broken(void *conn)
{
    (void)conn;
    return 0;
}

const struct chk_source_ops chk_source_sqlite = {
    .kind = CFG_SRC_SQLITE,
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .query = sq_query,
    .prepare = sq_prepare,
    .quote_char = sq_quote_char,
    .broken = sq_broken,
};
