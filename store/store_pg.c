/*
 * store_pg.c - the PostgreSQL side of the store, through libpq: the
 * connection (and getting it back after the server went away), and the
 * statements behind store_db.c's store_db_* calls.
 *
 * A statement is translated once (store_dialect.c) and run with
 * PQexecParams when first stepped; its rows are then read from the
 * result, as sqlite3_step reads them from the file.  A statement the
 * store keeps (store_prepare_cached: every run's and every ping's) is
 * prepared on the server once per connection and run with
 * PQexecPrepared, so the server does not parse and plan it again each
 * time; after a reconnect it is prepared anew, and a call whose
 * parameter types differ from the ones it was prepared with goes the
 * PQexecParams way.  Parameters go as
 * text, except integers (int8), doubles (float8) and blobs (binary
 * bytea), so that "col = $1" and "$1 = 1" resolve as the SQL means them.
 * Results come as text; a boolean reads as 1 or 0.  A text parameter
 * that is not UTF-8 (a check's output may be any bytes, which SQLite
 * keeps) has its bad bytes turned into U+FFFD (store_dialect_utf8), as
 * the pages show them, rather than the statement refused.
 *
 * A lost connection is not fatal: every statement then fails with a
 * clear error (the engine counts the state as Offline and its tick
 * stops), and the next statement after a backoff (1 s, doubling to 30 s)
 * tries PQreset.  A transaction open when the server went away is gone;
 * store.c starts over from depth 0.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/ab_dl_pq.h"
#include "common/ab_log.h"
#include "common/ab_mem.h"

#define BYTEA_OID 17
#define INT8_OID 20
#define FLOAT8_OID 701
#define BACKOFF_MAX_S 30

struct store_pgconn {
    PGconn *conn;
    char err[512];
    int64_t changes;
    time_t retry_at;  /* no reconnect before this */
    int backoff;      /* seconds, 0 while connected */
    int lost;         /* said "lost" already, until it comes back */
    unsigned gen;     /* the session: a reconnect forgets prepared statements */
    unsigned named;   /* server-side statements named so far */
};

struct store_pgstmt {
    store *st;
    char *sql;
    int nparams;
    char **val;
    int *len, *fmt;
    unsigned int *type;
    PGresult *res;
    int row, nrows, failed;
    unsigned char *blob; /* the current row's decoded bytea */
    size_t bloblen;
    int blobcol;
    int keep;                /* prepare on the server (store_pg_keep) */
    int prepared;            /* done, in session gen, with ptype's types */
    unsigned gen;
    unsigned int *ptype;
    char name[24];
};

static void quiet_notices(void *arg, const char *msg)
{
    (void)arg;
    ab_log(AB_LOG_DEBUG, "postgresql: %s", msg);
}

static void set_err(struct store_pgconn *c, const char *what, const char *msg)
{
    snprintf(c->err, sizeof c->err, "%s%s%s", what, *what ? ": " : "",
             msg && *msg ? msg : "unknown error");
    /* libpq's messages end in a newline, which a log line must not. */
    size_t n = strlen(c->err);
    while (n && (c->err[n - 1] == '\n' || c->err[n - 1] == ' '))
        c->err[--n] = '\0';
}

enum ab_err store_pg_connect(store *st, const char *url, const char *password,
                             ab_errmsg *em)
{
    struct store_pgconn *c = ab_calloc(1, sizeof *c);
    if (!c)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    st->pg = c;
    /* connect_timeout first: a URL that names one overrides it. */
    const char *keys[] = {"connect_timeout", "fallback_application_name", "dbname",
                          password ? "password" : NULL, NULL};
    const char *vals[] = {"10", "ackbeat", url, password, NULL};
    c->conn = PQconnectdbParams(keys, vals, 1);
    if (!c->conn)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    if (PQstatus(c->conn) != CONNECTION_OK) {
        set_err(c, "", PQerrorMessage(c->conn));
        /* Is the server away (down, starting, failing over: worth waiting
         * for), or there and saying no (a password, a database that does
         * not exist: waiting cannot help)?  PQping tells the two apart
         * without reading libpq's messages, which may be translated. */
        PGPing ping = PQpingParams(keys, vals, 1);
        int away = ping == PQPING_NO_RESPONSE || ping == PQPING_REJECT;
        return ab_fail(em, away ? AB_ETEMPFAIL : AB_ESTORE,
                       "%s: cannot connect to the state database: %s", st->path, c->err);
    }
    PQsetNoticeProcessor(c->conn, quiet_notices, NULL);
    return AB_OK;
}

void store_pg_close(store *st)
{
    if (!st->pg)
        return;
    if (st->pg->conn)
        PQfinish(st->pg->conn);
    ab_free(st->pg);
    st->pg = NULL;
}

int store_pg_alive(store *st)
{
    return st->pg && PQstatus(st->pg->conn) == CONNECTION_OK;
}

/* Before a statement: a connection that went away is tried again once
 * its backoff ran out.  Returns 0 when there is no connection to use. */
static int ensure_conn(store *st)
{
    struct store_pgconn *c = st->pg;
    if (PQstatus(c->conn) == CONNECTION_OK)
        return 1;
    time_t now = time(NULL);
    if (now < c->retry_at) {
        set_err(c, "", "the connection to PostgreSQL is lost; retrying");
        return 0;
    }
    if (!c->lost) {
        ab_log(AB_LOG_ERROR, "%s: the connection to PostgreSQL is lost; reconnecting",
               st->path);
        c->lost = 1;
    }
    st->depth = 0; /* the server rolled back what was open */
    st->flat = st->doomed = 0;
    PQreset(c->conn);
    c->gen++;
    if (PQstatus(c->conn) == CONNECTION_OK) {
        ab_log(AB_LOG_INFO, "%s: reconnected to PostgreSQL", st->path);
        PQsetNoticeProcessor(c->conn, quiet_notices, NULL);
        c->backoff = 0;
        c->lost = 0;
        return 1;
    }
    set_err(c, "reconnect", PQerrorMessage(c->conn));
    c->backoff = c->backoff ? c->backoff * 2 : 1;
    if (c->backoff > BACKOFF_MAX_S)
        c->backoff = BACKOFF_MAX_S;
    c->retry_at = now + c->backoff;
    return 0;
}

const char *store_pg_errmsg(store *st)
{
    return st->pg ? st->pg->err : "no connection";
}

int64_t store_pg_changes(store *st)
{
    return st->pg ? st->pg->changes : 0;
}

/* A failed result: its SQLSTATE as a step code. */
static int failure_code(store *st, PGresult *res)
{
    struct store_pgconn *c = st->pg;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    set_err(c, "", res ? PQresultErrorMessage(res) : PQerrorMessage(c->conn));
    ab_log(AB_LOG_DEBUG, "%s: %s", st->path, c->err);
    if (PQstatus(c->conn) != CONNECTION_OK) {
        st->depth = 0;
        st->flat = st->doomed = 0;
    }
    if (!state)
        return SDB_ERROR;
    if (!strncmp(state, "23", 2)) /* integrity constraint violation */
        return SDB_CONSTRAINT;
    if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))
        return SDB_BUSY; /* serialization, deadlock, lock not available */
    return SDB_ERROR;
}

int store_pg_exec_script(store *st, const char *sql)
{
    if (!ensure_conn(st))
        return SDB_ERROR;
    char *t = store_dialect_pg(sql, NULL);
    if (!t) {
        set_err(st->pg, "", "out of memory");
        return SDB_NOMEM;
    }
    PGresult *res = PQexec(st->pg->conn, t);
    ab_free(t);
    ExecStatusType s = PQresultStatus(res);
    int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? SDB_DONE
                                                            : failure_code(st, res);
    if (rc == SDB_DONE)
        st->pg->changes = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return rc;
}

int store_pg_prepare(store *st, const char *sql, struct store_pgstmt **out)
{
    struct store_pgstmt *p = ab_calloc(1, sizeof *p);
    *out = NULL;
    if (!p || !(p->sql = store_dialect_pg(sql, &p->nparams))) {
        ab_free(p);
        set_err(st->pg, "", "out of memory");
        return SDB_ERROR;
    }
    p->st = st;
    p->row = -1;
    int n = p->nparams ? p->nparams : 1;
    p->val = ab_calloc((size_t)n, sizeof *p->val);
    p->len = ab_calloc((size_t)n, sizeof *p->len);
    p->fmt = ab_calloc((size_t)n, sizeof *p->fmt);
    p->type = ab_calloc((size_t)n, sizeof *p->type);
    if (!p->val || !p->len || !p->fmt || !p->type) {
        store_pg_finalize(p);
        set_err(st->pg, "", "out of memory");
        return SDB_ERROR;
    }
    *out = p;
    return SDB_DONE;
}

static void drop_result(struct store_pgstmt *p)
{
    PQclear(p->res);
    p->res = NULL;
    p->row = -1;
    p->nrows = 0;
    p->failed = 0;
    PQfreemem(p->blob);
    p->blob = NULL;
    p->blobcol = -1;
}

void store_pg_clear(struct store_pgstmt *p)
{
    for (int i = 0; i < p->nparams; i++) {
        ab_free(p->val[i]);
        p->val[i] = NULL;
        p->len[i] = p->fmt[i] = 0;
        p->type[i] = 0;
    }
}

void store_pg_reset(struct store_pgstmt *p)
{
    drop_result(p);
}

void store_pg_finalize(struct store_pgstmt *p)
{
    if (!p)
        return;
    drop_result(p);
    if (p->val)
        store_pg_clear(p);
    ab_free(p->val);
    ab_free(p->len);
    ab_free(p->fmt);
    ab_free(p->type);
    ab_free(p->ptype);
    ab_free(p->sql);
    ab_free(p);
}

int store_pg_bind(struct store_pgstmt *p, int idx, unsigned int type, const void *v,
                  size_t len, int binary)
{
    if (idx < 1 || idx > p->nparams)
        return SDB_ERROR;
    int i = idx - 1;
    ab_free(p->val[i]);
    p->val[i] = NULL;
    if (v && !type && !binary) {
        int oom = 0;
        size_t n = 0;
        char *fixed = store_dialect_utf8(v, len, &n, &oom);
        if (oom)
            return SDB_NOMEM;
        if (fixed) {
            p->val[i] = fixed;
            v = NULL; /* kept as it is */
            len = n;
        }
    }
    if (v) {
        if (!(p->val[i] = ab_malloc(len + 1)))
            return SDB_ERROR;
        memcpy(p->val[i], v, len);
        p->val[i][len] = '\0';
    }
    p->len[i] = (int)len;
    p->fmt[i] = binary;
    p->type[i] = type;
    return 0;
}

int store_pg_bind_int64(struct store_pgstmt *p, int idx, int64_t v)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)v);
    return store_pg_bind(p, idx, INT8_OID, buf, (size_t)n, 0);
}

int store_pg_bind_double(struct store_pgstmt *p, int idx, double v)
{
    char buf[40];
    int n = snprintf(buf, sizeof buf, "%.17g", v);
    return store_pg_bind(p, idx, FLOAT8_OID, buf, (size_t)n, 0);
}

int store_pg_bind_blob(struct store_pgstmt *p, int idx, const void *v, size_t len)
{
    return store_pg_bind(p, idx, BYTEA_OID, v ? v : "", len, 1);
}

/* Prepare a kept statement on the server; 0 when it could not be. */
static int server_prepare(struct store_pgstmt *p)
{
    struct store_pgconn *c = p->st->pg;
    if (!p->ptype && !(p->ptype = ab_calloc((size_t)(p->nparams ? p->nparams : 1),
                                            sizeof *p->ptype)))
        return 0;
    snprintf(p->name, sizeof p->name, "ab%u", ++c->named);
    PGresult *r = PQprepare(c->conn, p->name, p->sql, p->nparams, p->type);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok)
        return 0;
    memcpy(p->ptype, p->type, (size_t)p->nparams * sizeof *p->ptype);
    p->prepared = 1;
    p->gen = c->gen;
    return 1;
}

/* The statement's result: prepared on the server when kept and its
 * parameters' types are those it was prepared with, else in one go. */
static PGresult *run(struct store_pgstmt *p)
{
    struct store_pgconn *c = p->st->pg;
    if (p->keep && p->prepared && p->gen != c->gen)
        p->prepared = 0; /* a new session since */
    int same = p->keep && p->prepared;
    for (int i = 0; same && i < p->nparams; i++)
        same = p->type[i] == p->ptype[i];
    if (!same && p->keep && !p->prepared)
        same = server_prepare(p);
    if (same)
        return PQexecPrepared(c->conn, p->name, p->nparams, (const char *const *)p->val,
                              p->len, p->fmt, 0);
    return PQexecParams(c->conn, p->sql, p->nparams, p->type, (const char *const *)p->val,
                        p->len, p->fmt, 0);
}

void store_pg_keep(struct store_pgstmt *p)
{
    p->keep = 1;
}

int store_pg_step(struct store_pgstmt *p)
{
    store *st = p->st;
    if (p->failed)
        return p->failed;
    if (!p->res) {
        if (!ensure_conn(st))
            return p->failed = SDB_ERROR;
        p->res = run(p);
        ExecStatusType s = PQresultStatus(p->res);
        if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
            return p->failed = failure_code(st, p->res);
        p->nrows = PQntuples(p->res);
        st->pg->changes = strtoll(PQcmdTuples(p->res), NULL, 10);
        p->row = -1;
    }
    PQfreemem(p->blob);
    p->blob = NULL;
    p->blobcol = -1;
    if (p->row + 1 < p->nrows) {
        p->row++;
        return SDB_ROW;
    }
    p->row = p->nrows;
    return SDB_DONE;
}

static int has_value(struct store_pgstmt *p, int col)
{
    return p->res && p->row >= 0 && p->row < p->nrows && col >= 0 &&
           col < PQnfields(p->res) && !PQgetisnull(p->res, p->row, col);
}

int store_pg_is_null(struct store_pgstmt *p, int col)
{
    return !has_value(p, col);
}

const char *store_pg_text(struct store_pgstmt *p, int col)
{
    return has_value(p, col) ? PQgetvalue(p->res, p->row, col) : NULL;
}

int64_t store_pg_int64(struct store_pgstmt *p, int col)
{
    const char *v = store_pg_text(p, col);
    if (!v)
        return 0;
    if (v[0] == 't' && !v[1])
        return 1;
    if (v[0] == 'f' && !v[1])
        return 0;
    return strtoll(v, NULL, 10);
}

double store_pg_double(struct store_pgstmt *p, int col)
{
    const char *v = store_pg_text(p, col);
    return v ? strtod(v, NULL) : 0.0;
}

/* A bytea column arrives as hex text; decode it once per row. */
static int decode_blob(struct store_pgstmt *p, int col)
{
    if (p->blobcol == col)
        return 1;
    PQfreemem(p->blob);
    p->blob = PQunescapeBytea((const unsigned char *)PQgetvalue(p->res, p->row, col),
                              &p->bloblen);
    p->blobcol = p->blob ? col : -1;
    return p->blob != NULL;
}

const void *store_pg_blob(struct store_pgstmt *p, int col)
{
    if (!has_value(p, col))
        return NULL;
    if (PQftype(p->res, col) != BYTEA_OID)
        return PQgetvalue(p->res, p->row, col);
    return decode_blob(p, col) ? p->blob : NULL;
}

size_t store_pg_bytes(struct store_pgstmt *p, int col)
{
    if (!has_value(p, col))
        return 0;
    if (PQftype(p->res, col) != BYTEA_OID)
        return (size_t)PQgetlength(p->res, p->row, col);
    return decode_blob(p, col) ? p->bloblen : 0;
}

int store_pg_txn_failed(store *st)
{
    return st->pg && PQtransactionStatus(st->pg->conn) == PQTRANS_INERROR;
}

int store_pg_in_txn(store *st)
{
    if (!st->pg)
        return 0;
    PGTransactionStatusType t = PQtransactionStatus(st->pg->conn);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}
