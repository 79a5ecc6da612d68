/*
 * chk_sql.c - what the SQL check kinds share: the query timeout,
 * identifier quoting, running a query on a check's source, and reading
 * one value back.  The named parameters are chk_params.c's: the source
 * backends bind them, and must not call back into this file, which asks
 * the context (chk_ctx.c) for their connections.
 *
 * Table and column names come from the config, so they are never pasted
 * into SQL as they are: each dotted part is validated and quoted with the
 * source's identifier quote (doubled inside, though we refuse it anyway).
 * Quoting makes names case-sensitive on PostgreSQL: write them as stored
 * (lower case for tables created without quotes).
 */
#include "checks/chk_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int chk_query_timeout(const struct cfg_check *c)
{
    int64_t t = c->timeout > 0 ? c->timeout : 0;
    int64_t s = c->source && c->source->timeout > 0 ? c->source->timeout : 0;
    if (t == 0 || (s > 0 && s < t))
        t = s;
    if (t <= 0)
        t = CHK_DEFAULT_QUERY_TIMEOUT;
    return t > 86400 ? 86400 : (int)t;
}

enum ab_err chk_sql_ident(const char *ident, char q, ab_buf *out, ab_errmsg *em)
{
    if (!ident || !*ident)
        return ab_fail(em, AB_EINVAL, "empty table or column name");
    const char *p = ident;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n == 0 || n > 128)
            return ab_fail(em, AB_EINVAL, "bad name '%s': empty or too long part",
                           ident);
        for (size_t i = 0; i < n; i++)
            if (iscntrl((unsigned char)p[i]) || p[i] == q || p[i] == '"' ||
                p[i] == '`' || p[i] == '[' || p[i] == ']')
                return ab_fail(em, AB_EINVAL,
                               "bad name '%s': quotes, brackets and control "
                               "characters are not allowed",
                               ident);
        enum ab_err e;
        if ((e = ab_buf_putc(out, q)) || (e = ab_buf_append(out, p, n)) ||
            (e = ab_buf_putc(out, q)))
            return e;
        if (!dot)
            break;
        if ((e = ab_buf_putc(out, '.')))
            return e;
        p = dot + 1;
    }
    return AB_OK;
}

static const char *src_desc(const struct cfg_source *s, char *buf, size_t len)
{
    snprintf(buf, len, "source '%s'", s->name ? s->name : "?");
    return buf;
}

enum ab_err chk_sql_query(chk_ctx *ctx, const struct cfg_check *c,
                          const char *sql, const struct chk_params *p,
                          struct chk_row *row, ab_errmsg *em)
{
    const struct chk_source_ops *ops;
    void *conn;
    char d[256];
    int timeout = chk_query_timeout(c), reused;
    memset(row, 0, sizeof *row);
    enum ab_err e = chk_ctx_conn(ctx, c->source, timeout, &ops, &conn, &reused, em);
    if (e)
        return e == AB_ENOMEM ? e : ab_failctx(em, e, "%s", src_desc(c->source, d, sizeof d));
    e = ops->query(conn, sql, p, timeout, row, em);
    if (e && e != AB_ENOMEM && e != AB_ETIMEOUT && reused && ops->broken(conn)) {
        chk_ctx_conn_drop(ctx, c->source);
        ab_errmsg_clear(em);
        memset(row, 0, sizeof *row);
        e = chk_ctx_conn(ctx, c->source, timeout, &ops, &conn, NULL, em);
        if (e)
            return e == AB_ENOMEM ? e : ab_failctx(em, e, "%s", src_desc(c->source, d, sizeof d));
        e = ops->query(conn, sql, p, timeout, row, em);
    }
    if (e && e != AB_ENOMEM) {
        /* Reopen next time: the connection may be what broke (a server
         * restart, a dropped TCP session, a cancelled statement). */
        chk_ctx_conn_drop(ctx, c->source);
        return ab_failctx(em, e, "%s", src_desc(c->source, d, sizeof d));
    }
    return e;
}

enum ab_err chk_sql_prepare(chk_ctx *ctx, const struct cfg_check *c,
                            const char *sql, const struct chk_params *p,
                            ab_errmsg *em)
{
    const struct chk_source_ops *ops;
    void *conn;
    char d[256];
    int timeout = chk_query_timeout(c);
    enum ab_err e = chk_ctx_conn(ctx, c->source, timeout, &ops, &conn, NULL, em);
    if (e)
        return e == AB_ENOMEM ? e : ab_failctx(em, e, "%s", src_desc(c->source, d, sizeof d));
    e = ops->prepare(conn, sql, p, timeout, em);
    if (e && e != AB_ENOMEM) {
        chk_ctx_conn_drop(ctx, c->source);
        return ab_failctx(em, e, "%s", src_desc(c->source, d, sizeof d));
    }
    return e;
}

enum ab_err chk_sql_quote_char(chk_ctx *ctx, const struct cfg_check *c, char *q,
                               ab_errmsg *em)
{
    const struct chk_source_ops *ops;
    void *conn;
    char d[256];
    enum ab_err e = chk_ctx_conn(ctx, c->source, chk_query_timeout(c), &ops, &conn,
                                 NULL, em);
    if (e)
        return e == AB_ENOMEM ? e : ab_failctx(em, e, "%s", src_desc(c->source, d, sizeof d));
    *q = ops->quote_char(conn);
    return AB_OK;
}

const char *chk_vtype_name(enum chk_vtype t)
{
    switch (t) {
    case CHK_V_NULL: return "NULL";
    case CHK_V_INT: return "an integer";
    case CHK_V_REAL: return "a real number";
    case CHK_V_TEXT: return "text";
    case CHK_V_CIVIL: return "a timestamp";
    }
    return "?";
}

int chk_value_number(const struct chk_value *v, double *out)
{
    switch (v->type) {
    case CHK_V_INT:
        *out = (double)v->i;
        return 1;
    case CHK_V_REAL:
        *out = v->r;
        return isfinite(v->r);
    case CHK_V_TEXT: {
        /* Numeric text counts: drivers hand DECIMAL and friends over as
         * text, and SQLite columns with TEXT affinity store numbers so. */
        const char *s = v->text;
        while (isspace((unsigned char)*s))
            s++;
        if (!*s)
            return 0;
        char *end;
        double d = strtod(s, &end);
        while (isspace((unsigned char)*end))
            end++;
        if (*end || !isfinite(d) || end == s)
            return 0;
        /* strtod takes "inf", "nan" and hex; a database number is decimal. */
        for (const char *q = s; q < end; q++)
            if (isalpha((unsigned char)*q) && *q != 'e' && *q != 'E')
                return 0;
        *out = d;
        return 1;
    }
    default:
        return 0;
    }
}

const char *chk_row_shape_error(const struct chk_row *row, char *buf, size_t len)
{
    if (row->nrows == 0)
        return "the query returned no rows";
    if (row->ncols != 1) {
        snprintf(buf, len, "the query returned %d columns; expected one", row->ncols);
        return buf;
    }
    if (row->nrows > 1)
        return "the query returned more than one row; expected one "
               "(use an aggregate or LIMIT 1)";
    return NULL;
}

enum ab_err chk_sql_need(const struct cfg_check *c, ab_errmsg *em)
{
    if (!c->source)
        return ab_fail(em, AB_EINVAL, "no source");
    if (!(c->query && *c->query) && !(c->table && *c->table && c->column && *c->column))
        return ab_fail(em, AB_EINVAL, "neither table and column nor a query");
    return AB_OK;
}

enum ab_err chk_sql_table_query(chk_ctx *ctx, const struct cfg_check *c,
                                const char *fmt, int where_col, ab_buf *out,
                                ab_errmsg *em)
{
    char q;
    ab_buf col, tab;
    ab_buf_init(&col, 1024);
    ab_buf_init(&tab, 1024);
    enum ab_err e = chk_sql_quote_char(ctx, c, &q, em);
    if (e)
        goto out;
    if ((e = chk_sql_ident(c->column, q, &col, em)) ||
        (e = chk_sql_ident(c->table, q, &tab, em)))
        goto out;
    if ((e = ab_buf_puts(out, "SELECT ")) ||
        (e = ab_buf_printf(out, fmt, ab_buf_str(&col))) ||
        (e = ab_buf_printf(out, " FROM %s", ab_buf_str(&tab))))
        goto out;
    if (where_col)
        e = ab_buf_printf(out, " WHERE %s >= :period_start AND %s < :period_end",
                          ab_buf_str(&col), ab_buf_str(&col));
out:
    ab_buf_free(&col);
    ab_buf_free(&tab);
    return e == AB_ERANGE ? ab_fail(em, AB_EINVAL, "names too long") : e;
}
