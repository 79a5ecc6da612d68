/*
 * chk_src_odbc.c - the odbc source: any database with an ODBC driver, through
 * unixODBC (PostgreSQL via psqlODBC, SQLite via sqliteodbc, ...).
 *
 * The connection string comes from the config as it is ("Driver=...;" or
 * "DSN=..."); UID and PWD are appended from the source's username and
 * password secret (brace-quoted when needed, so a ';' in a password is
 * harmless) and
 * the password is wiped from memory once the driver has it.  The login
 * timeout and each statement's SQL_ATTR_QUERY_TIMEOUT are set; because a
 * driver may ignore the latter (or a server may not answer at all), a
 * watchdog thread calls SQLCancel() when a statement outlives its
 * deadline by a second, which is the one cross-thread call ODBC allows.
 *
 * Named parameters are rewritten into '?' markers (chk_sql_positional)
 * and bound as the check asks: BIGINT Unix seconds, VARCHAR ISO text, or
 * a TIMESTAMP struct holding wall-clock time in the naive zone.  Values
 * are fetched by their described SQL type: integers as BIGINT, other
 * numbers as DOUBLE, DATE/TIMESTAMP as the TIMESTAMP struct (wall clock,
 * zone unknown: the check's naive zone applies), everything else as text.
 *
 * Prepared statements are kept per connection like the sqlite source's.
 * Diagnostics are the driver's own: "[42P01] ERROR: relation ... does
 * not exist".
 */
#include "checks/chk_int.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/ab_dl_odbc.h"
#include "common/ab_mem.h"

#define OD_CACHE 16

union od_val {
    SQLBIGINT i;
    SQL_TIMESTAMP_STRUCT ts;
    char text[64];
};

struct od_stmt {
    char *sql;
    SQLHSTMT h;
    int nids;
    int ids[CHK_MAX_PARAMS];
    union od_val vals[CHK_MAX_PARAMS];
    SQLLEN ind[CHK_MAX_PARAMS];
    unsigned long used;
};

struct od_conn {
    SQLHENV env;
    SQLHDBC dbc;
    char quote;
    char state[6];  /* SQLSTATE of the last failure */
    unsigned long tick;
    struct od_stmt cache[OD_CACHE];
};

static int ok(SQLRETURN rc)
{
    return rc == SQL_SUCCESS || rc == SQL_SUCCESS_WITH_INFO;
}

/*
 * The diagnostic records of handle h as one line: "[STATE] message; ...".
 * state (6 bytes) receives the first record's SQLSTATE ("" when none).
 */
static enum ab_err od_diag(SQLSMALLINT type, SQLHANDLE h, char *state,
                           enum ab_err code, const char *what, ab_errmsg *em)
{
    char buf[sizeof em->text];
    size_t o = 0;
    if (state)
        state[0] = '\0';
    buf[0] = '\0';
    for (SQLSMALLINT i = 1; i <= 4; i++) {
        SQLCHAR st[6], msg[768];
        SQLINTEGER native;
        SQLSMALLINT len;
        SQLRETURN rc = SQLGetDiagRec(type, h, i, st, &native, msg, sizeof msg, &len);
        if (!ok(rc))
            break;
        /* One line: drivers end messages with newlines. */
        for (char *c = (char *)msg; *c; c++)
            if (*c == '\n' || *c == '\r' || *c == '\t')
                *c = ' ';
        size_t n = strlen((char *)msg);
        while (n > 0 && msg[n - 1] == ' ')
            msg[--n] = '\0';
        if (i == 1 && state)
            memcpy(state, st, 6);
        if (o < sizeof buf)
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s[%s] %s",
                                  i > 1 ? "; " : "", (char *)st, (char *)msg);
    }
    if (!buf[0])
        return ab_fail(em, code, "%s failed (no diagnostics)", what);
    return ab_fail(em, code, "%s", buf);
}

/*
 * Append ";KEY=value".  A value with ';', braces or edge blanks is sent
 * as {value} with '}' doubled, as the ODBC grammar wants; others go bare,
 * because some drivers (psqlODBC for UID) keep braces as part of it.
 */
static enum ab_err od_attr(ab_buf *b, const char *key, const char *val)
{
    size_t n = strlen(val);
    if (!strpbrk(val, ";{}") && n > 0 && val[0] != ' ' && val[n - 1] != ' ')
        return ab_buf_printf(b, ";%s=%s", key, val);
    enum ab_err e = ab_buf_printf(b, ";%s={", key);
    for (const char *p = val; !e && *p; p++)
        e = *p == '}' ? ab_buf_puts(b, "}}") : ab_buf_putc(b, *p);
    return e ? e : ab_buf_putc(b, '}');
}

static void od_wipe(ab_buf *b)
{
    if (b->data)
        memset(b->data, 0, b->cap);
    ab_buf_free(b);
}

static void od_close(void *conn)
{
    struct od_conn *c = conn;
    if (!c)
        return;
    for (int i = 0; i < OD_CACHE; i++) {
        if (c->cache[i].h)
            SQLFreeHandle(SQL_HANDLE_STMT, c->cache[i].h);
        ab_free(c->cache[i].sql);
    }
    if (c->dbc) {
        SQLDisconnect(c->dbc);
        SQLFreeHandle(SQL_HANDLE_DBC, c->dbc);
    }
    if (c->env)
        SQLFreeHandle(SQL_HANDLE_ENV, c->env);
    ab_free(c);
}

static enum ab_err od_open(const struct cfg_source *src, int timeout_s,
                           void **out, ab_errmsg *em)
{
    if (!src->connection || !*src->connection)
        return ab_fail(em, AB_EINVAL, "odbc source has no connection string");
    struct od_conn *c = ab_calloc(1, sizeof *c);
    char *pw = NULL;
    ab_buf cs;
    ab_buf_init(&cs, 16384);
    enum ab_err e = AB_ENOMEM;
    if (!c)
        goto out;
    if ((e = cfg_secret_read(&src->password, &pw, em)))
        goto out;
    e = ab_buf_puts(&cs, src->connection);
    /* Strip a trailing ';' so that ours does not make an empty pair. */
    while (!e && cs.len > 0 && cs.data[cs.len - 1] == ';')
        cs.data[--cs.len] = '\0';
    if (!e && src->username)
        e = od_attr(&cs, "UID", src->username);
    if (!e && pw)
        e = od_attr(&cs, "PWD", pw);
    if (!e)
        e = ab_buf_putc(&cs, ';');
    if (e)
        goto out;
    if (!ok(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &c->env))) {
        c->env = NULL;
        e = ab_fail(em, AB_ESOURCE, "cannot allocate an ODBC environment");
        goto out;
    }
    SQLSetEnvAttr(c->env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
    if (!ok(SQLAllocHandle(SQL_HANDLE_DBC, c->env, &c->dbc))) {
        c->dbc = NULL;
        e = od_diag(SQL_HANDLE_ENV, c->env, NULL, AB_ESOURCE, "SQLAllocHandle", em);
        goto out;
    }
    SQLSetConnectAttr(c->dbc, SQL_ATTR_LOGIN_TIMEOUT,
                      (SQLPOINTER)(SQLULEN)timeout_s, 0);
    SQLSetConnectAttr(c->dbc, SQL_ATTR_CONNECTION_TIMEOUT,
                      (SQLPOINTER)(SQLULEN)timeout_s, 0);
    SQLCHAR outstr[1024];
    SQLSMALLINT outlen;
    SQLRETURN rc = SQLDriverConnect(c->dbc, NULL, (SQLCHAR *)cs.data, SQL_NTS,
                                    outstr, sizeof outstr, &outlen,
                                    SQL_DRIVER_NOPROMPT);
    memset(outstr, 0, sizeof outstr); /* it may echo the password */
    if (!ok(rc)) {
        e = od_diag(SQL_HANDLE_DBC, c->dbc, NULL, AB_ESOURCE, "SQLDriverConnect", em);
        SQLFreeHandle(SQL_HANDLE_DBC, c->dbc);
        c->dbc = NULL;
        goto out;
    }
    /* Checks only read; drivers that honour this can refuse writes. */
    SQLSetConnectAttr(c->dbc, SQL_ATTR_ACCESS_MODE, (SQLPOINTER)SQL_MODE_READ_ONLY, 0);
    SQLCHAR q[8] = {0};
    SQLSMALLINT qlen;
    c->quote = '"';
    if (ok(SQLGetInfo(c->dbc, SQL_IDENTIFIER_QUOTE_CHAR, q, sizeof q, &qlen)) &&
        q[0] != ' ' && q[0] != '\0')
        c->quote = (char)q[0];
    *out = c;
    c = NULL;
    e = AB_OK;
out:
    od_wipe(&cs);
    if (pw) {
        memset(pw, 0, strlen(pw));
        ab_free(pw);
    }
    od_close(c);
    return e;
}

/* The cached statement for sql, preparing it on a miss. */
static enum ab_err od_stmt_get(struct od_conn *c, const char *sql,
                               struct od_stmt **out, ab_errmsg *em)
{
    int victim = 0;
    c->tick++;
    for (int i = 0; i < OD_CACHE; i++) {
        if (c->cache[i].sql && strcmp(c->cache[i].sql, sql) == 0) {
            c->cache[i].used = c->tick;
            *out = &c->cache[i];
            return AB_OK;
        }
        if (c->cache[i].used < c->cache[victim].used)
            victim = i;
    }
    struct od_stmt s = {0};
    ab_buf pos;
    ab_buf_init(&pos, 1 << 20);
    enum ab_err e = chk_sql_positional(sql, &pos, s.ids, &s.nids, em);
    if (e) {
        if (e != AB_ENOMEM)
            e = AB_ESOURCE;
        goto out;
    }
    if (!(s.sql = ab_strdup(sql))) {
        e = AB_ENOMEM;
        goto out;
    }
    if (!ok(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &s.h))) {
        s.h = NULL;
        e = od_diag(SQL_HANDLE_DBC, c->dbc, c->state, AB_ESOURCE, "SQLAllocHandle", em);
        goto out;
    }
    if (!ok(SQLPrepare(s.h, (SQLCHAR *)ab_buf_str(&pos), SQL_NTS))) {
        e = od_diag(SQL_HANDLE_STMT, s.h, c->state, AB_ESOURCE, "SQLPrepare", em);
        goto out;
    }
    struct od_stmt *slot = &c->cache[victim];
    if (slot->h)
        SQLFreeHandle(SQL_HANDLE_STMT, slot->h);
    ab_free(slot->sql);
    *slot = s;
    slot->used = c->tick;
    memset(&s, 0, sizeof s);
    *out = slot;
out:
    if (s.h)
        SQLFreeHandle(SQL_HANDLE_STMT, s.h);
    ab_free(s.sql);
    ab_buf_free(&pos);
    return e;
}

static enum ab_err od_bind(struct od_stmt *s, const struct chk_params *p,
                           ab_errmsg *em)
{
    for (int i = 0; i < s->nids; i++) {
        ab_time t;
        enum ab_err e = chk_param_get(p, s->ids[i], &t, em);
        if (e)
            return AB_ESOURCE;
        union od_val *v = &s->vals[i];
        SQLRETURN rc;
        SQLUSMALLINT n = (SQLUSMALLINT)(i + 1);
        if (p->bind == CHK_BIND_UNIX) {
            v->i = t;
            s->ind[i] = 0;
            rc = SQLBindParameter(s->h, n, SQL_PARAM_INPUT, SQL_C_SBIGINT,
                                  SQL_BIGINT, 0, 0, &v->i, 0, &s->ind[i]);
        } else if (p->bind == CHK_BIND_NATIVE) {
            struct chk_civil cv;
            if ((e = chk_to_civil(p->zone, t, &cv, em)))
                return AB_ESOURCE;
            memset(&v->ts, 0, sizeof v->ts);
            v->ts.year = (SQLSMALLINT)cv.y;
            v->ts.month = (SQLUSMALLINT)cv.mo;
            v->ts.day = (SQLUSMALLINT)cv.d;
            v->ts.hour = (SQLUSMALLINT)cv.h;
            v->ts.minute = (SQLUSMALLINT)cv.mi;
            v->ts.second = (SQLUSMALLINT)cv.s;
            s->ind[i] = sizeof v->ts;
            rc = SQLBindParameter(s->h, n, SQL_PARAM_INPUT, SQL_C_TYPE_TIMESTAMP,
                                  SQL_TYPE_TIMESTAMP, 19, 0, &v->ts, sizeof v->ts,
                                  &s->ind[i]);
        } else {
            if ((e = chk_tshape_format(&p->shape, p->zone, t, v->text,
                                       sizeof v->text, em)))
                return AB_ESOURCE;
            s->ind[i] = (SQLLEN)strlen(v->text);
            rc = SQLBindParameter(s->h, n, SQL_PARAM_INPUT, SQL_C_CHAR,
                                  SQL_VARCHAR, (SQLULEN)s->ind[i], 0, v->text,
                                  sizeof v->text, &s->ind[i]);
        }
        if (!ok(rc))
            return od_diag(SQL_HANDLE_STMT, s->h, NULL, AB_ESOURCE, "SQLBindParameter", em);
    }
    return AB_OK;
}

/* Read column 1 of the current row into row->v, by its SQL type. */
static enum ab_err od_value(struct od_stmt *s, struct chk_row *row, ab_errmsg *em)
{
    SQLCHAR name[64];
    SQLSMALLINT namelen, type, digits, nullable;
    SQLULEN size;
    struct chk_value *v = &row->v;
    SQLLEN ind = 0;
    SQLRETURN rc;
    if (!ok(SQLDescribeCol(s->h, 1, name, sizeof name, &namelen, &type, &size,
                           &digits, &nullable)))
        type = SQL_VARCHAR;
    switch (type) {
    case SQL_BIT:
    case SQL_TINYINT:
    case SQL_SMALLINT:
    case SQL_INTEGER:
    case SQL_BIGINT:
        v->type = CHK_V_INT;
        rc = SQLGetData(s->h, 1, SQL_C_SBIGINT, &v->i, sizeof v->i, &ind);
        break;
    case SQL_REAL:
    case SQL_FLOAT:
    case SQL_DOUBLE:
    case SQL_NUMERIC:
    case SQL_DECIMAL:
        v->type = CHK_V_REAL;
        rc = SQLGetData(s->h, 1, SQL_C_DOUBLE, &v->r, sizeof v->r, &ind);
        break;
    case SQL_TYPE_DATE:
    case SQL_TYPE_TIMESTAMP:
    case SQL_DATE:
    case SQL_TIMESTAMP: {
        SQL_TIMESTAMP_STRUCT ts;
        memset(&ts, 0, sizeof ts);
        v->type = CHK_V_CIVIL;
        rc = SQLGetData(s->h, 1, SQL_C_TYPE_TIMESTAMP, &ts, sizeof ts, &ind);
        v->civil.y = ts.year;
        v->civil.mo = ts.month;
        v->civil.d = ts.day;
        v->civil.h = ts.hour;
        v->civil.mi = ts.minute;
        v->civil.s = ts.second;
        break;
    }
    default:
        v->type = CHK_V_TEXT;
        rc = SQLGetData(s->h, 1, SQL_C_CHAR, v->text, sizeof v->text, &ind);
        if (rc == SQL_SUCCESS_WITH_INFO &&
            (ind == SQL_NO_TOTAL || ind >= (SQLLEN)sizeof v->text))
            row->text_truncated = 1;
        break;
    }
    if (!ok(rc))
        return od_diag(SQL_HANDLE_STMT, s->h, NULL, AB_ESOURCE, "SQLGetData", em);
    if (ind == SQL_NULL_DATA)
        v->type = CHK_V_NULL;
    return AB_OK;
}

/* ---- the watchdog: SQLCancel when the driver's own timeout did not fire */

struct od_watch {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    int fired;
    struct timespec deadline; /* CLOCK_MONOTONIC */
    SQLHSTMT h;
};

static void *od_watch_main(void *arg)
{
    struct od_watch *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->done) {
        if (pthread_cond_timedwait(&w->cv, &w->mu, &w->deadline) != 0 && !w->done) {
            w->fired = 1;
            pthread_mutex_unlock(&w->mu);
            SQLCancel(w->h);
            return NULL;
        }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static int od_watch_start(struct od_watch *w, pthread_t *th, SQLHSTMT h, int timeout_s)
{
    pthread_condattr_t ca;
    memset(w, 0, sizeof *w);
    w->h = h;
    clock_gettime(CLOCK_MONOTONIC, &w->deadline);
    w->deadline.tv_sec += timeout_s + 1;
    if (pthread_condattr_init(&ca) != 0)
        return 0;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int started = pthread_mutex_init(&w->mu, NULL) == 0;
    if (started && pthread_cond_init(&w->cv, &ca) != 0) {
        pthread_mutex_destroy(&w->mu);
        started = 0;
    }
    pthread_condattr_destroy(&ca);
    if (started && pthread_create(th, NULL, od_watch_main, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        started = 0;
    }
    return started;
}

static int od_watch_stop(struct od_watch *w, pthread_t th)
{
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(th, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    return w->fired;
}

static int od_is_timeout(const char *state)
{
    /* HYT00/HYT01: ODBC timeouts; 57014: PostgreSQL's "canceling statement
     * due to statement timeout"; HY008: operation cancelled (the watchdog). */
    return strcmp(state, "HYT00") == 0 || strcmp(state, "HYT01") == 0 ||
           strcmp(state, "57014") == 0 || strcmp(state, "HY008") == 0;
}

static enum ab_err od_query(void *conn, const char *sql, const struct chk_params *p,
                            int timeout_s, struct chk_row *row, ab_errmsg *em)
{
    struct od_conn *c = conn;
    struct od_stmt *s;
    char *state = c->state;
    state[0] = '\0';
    enum ab_err e = od_stmt_get(c, sql, &s, em);
    if (e)
        return e;
    if ((e = od_bind(s, p, em)))
        goto out;
    SQLSetStmtAttr(s->h, SQL_ATTR_QUERY_TIMEOUT, (SQLPOINTER)(SQLULEN)timeout_s, 0);
    struct od_watch w;
    pthread_t th;
    int watching = od_watch_start(&w, &th, s->h, timeout_s);
    SQLRETURN rc = SQLExecute(s->h);
    if (!ok(rc) && rc != SQL_NO_DATA) {
        int fired = watching ? od_watch_stop(&w, th) : 0;
        watching = 0;
        e = od_diag(SQL_HANDLE_STMT, s->h, state, AB_ESOURCE, "SQLExecute", em);
        if (fired || od_is_timeout(state))
            e = ab_failctx(em, AB_ETIMEOUT, "query timed out after %ds", timeout_s);
        goto out;
    }
    SQLSMALLINT ncols = 0;
    SQLNumResultCols(s->h, &ncols);
    row->ncols = ncols;
    row->nrows = 0;
    if (ncols > 0) {
        rc = SQLFetch(s->h);
        if (ok(rc)) {
            row->nrows = 1;
            e = od_value(s, row, em);
            if (!e) {
                rc = SQLFetch(s->h);
                if (ok(rc))
                    row->nrows = 2;
            }
        }
        if (!e && !ok(rc) && rc != SQL_NO_DATA) {
            e = od_diag(SQL_HANDLE_STMT, s->h, state, AB_ESOURCE, "SQLFetch", em);
            if (od_is_timeout(state))
                e = ab_failctx(em, AB_ETIMEOUT, "query timed out after %ds", timeout_s);
        }
    }
    if (watching && od_watch_stop(&w, th) && !e)
        e = ab_fail(em, AB_ETIMEOUT, "query timed out after %ds", timeout_s);
out:
    SQLFreeStmt(s->h, SQL_CLOSE);
    SQLFreeStmt(s->h, SQL_RESET_PARAMS);
    return e;
}

static enum ab_err od_prepare(void *conn, const char *sql, const struct chk_params *p,
                              int timeout_s, ab_errmsg *em)
{
    struct od_conn *c = conn;
    SQLHSTMT h = NULL;
    ab_buf pos;
    int ids[CHK_MAX_PARAMS], nids;
    ab_buf_init(&pos, 1 << 20);
    enum ab_err e = chk_sql_positional(sql, &pos, ids, &nids, em);
    if (e)
        goto out;
    for (int i = 0; i < nids; i++) {
        ab_time t;
        if ((e = chk_param_get(p, ids[i], &t, em)))
            goto out;
    }
    if (!ok(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &h))) {
        h = NULL;
        e = od_diag(SQL_HANDLE_DBC, c->dbc, NULL, AB_ESOURCE, "SQLAllocHandle", em);
        goto out;
    }
    SQLSetStmtAttr(h, SQL_ATTR_QUERY_TIMEOUT, (SQLPOINTER)(SQLULEN)timeout_s, 0);
    if (!ok(SQLPrepare(h, (SQLCHAR *)ab_buf_str(&pos), SQL_NTS))) {
        e = od_diag(SQL_HANDLE_STMT, h, NULL, AB_ESOURCE, "SQLPrepare", em);
        goto out;
    }
    /* Many drivers only send the statement to the server when asked to
     * describe it; an unknown table shows up here, not in SQLPrepare. */
    SQLSMALLINT ncols;
    if (!ok(SQLNumResultCols(h, &ncols)))
        e = od_diag(SQL_HANDLE_STMT, h, NULL, AB_ESOURCE, "SQLNumResultCols", em);
out:
    if (h) {
        SQLFreeStmt(h, SQL_CLOSE);
        SQLFreeHandle(SQL_HANDLE_STMT, h);
    }
    ab_buf_free(&pos);
    return e;
}

static char od_quote_char(void *conn)
{
    return ((struct od_conn *)conn)->quote;
}

/* SQLSTATE class 08 is "connection exception"; some drivers also know
 * that the link is dead without having tried. */
static int od_broken(void *conn)
{
    struct od_conn *c = conn;
    SQLUINTEGER dead = SQL_CD_FALSE;
    if (strncmp(c->state, "08", 2) == 0)
        return 1;
    return ok(SQLGetConnectAttr(c->dbc, SQL_ATTR_CONNECTION_DEAD, &dead, 0, NULL)) &&
           dead == SQL_CD_TRUE;
}

const struct chk_source_ops chk_source_odbc = {
    .kind = CFG_SRC_ODBC,
    .name = "odbc",
    .open = od_open,
    .close = od_close,
    .query = od_query,
    .prepare = od_prepare,
    .quote_char = od_quote_char,
    .broken = od_broken,
};
