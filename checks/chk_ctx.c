/*
 * chk_ctx.c - the checks context: one open connection per source, kept
 * between runs, and the table of source backends that opens them.
 *
 * The cache is keyed by the source's name and everything that identifies
 * its database, so a config reload that points a source elsewhere gets a
 * new connection.  It is a file of its own, below the kinds (chk.c lists
 * them) and beside the sources, so that chk_sql.c, which asks it for
 * connections, does not call back into chk.c.
 */
#include "checks/chk_int.h"

#include <string.h>

#include "common/ab_mem.h"

static const struct chk_source_ops *const sources[] = {
    &chk_source_sqlite,
    &chk_source_odbc,
};

struct chk_conn_ent {
    char *name, *path, *connection, *username;
    enum cfg_source_kind kind;
    const struct chk_source_ops *ops;
    void *conn;
};

struct chk_ctx {
    struct chk_conn_ent *v;
    size_t n, cap;
};

chk_ctx *chk_ctx_new(void)
{
    return ab_calloc(1, sizeof(chk_ctx));
}

static void ent_free(struct chk_conn_ent *e)
{
    if (e->ops && e->conn)
        e->ops->close(e->conn);
    ab_free(e->name);
    ab_free(e->path);
    ab_free(e->connection);
    ab_free(e->username);
    memset(e, 0, sizeof *e);
}

void chk_ctx_close_all(chk_ctx *ctx)
{
    if (!ctx)
        return;
    for (size_t i = 0; i < ctx->n; i++)
        ent_free(&ctx->v[i]);
    ctx->n = 0;
}

void chk_ctx_free(chk_ctx *ctx)
{
    if (!ctx)
        return;
    chk_ctx_close_all(ctx);
    ab_free(ctx->v);
    ab_free(ctx);
}

size_t chk_ctx_open_count(const chk_ctx *ctx)
{
    return ctx ? ctx->n : 0;
}

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static struct chk_conn_ent *ent_find(chk_ctx *ctx, const struct cfg_source *s)
{
    for (size_t i = 0; i < ctx->n; i++) {
        struct chk_conn_ent *e = &ctx->v[i];
        if (e->kind == s->kind && same(e->name, s->name) && same(e->path, s->path) &&
            same(e->connection, s->connection) && same(e->username, s->username))
            return e;
    }
    return NULL;
}

enum ab_err chk_ctx_conn(chk_ctx *ctx, const struct cfg_source *src,
                         int timeout_s, const struct chk_source_ops **ops,
                         void **conn, int *reused, ab_errmsg *em)
{
    struct chk_conn_ent *e = ent_find(ctx, src);
    if (reused)
        *reused = e != NULL;
    if (e) {
        *ops = e->ops;
        *conn = e->conn;
        return AB_OK;
    }
    const struct chk_source_ops *o = NULL;
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
        if (sources[i]->kind == src->kind)
            o = sources[i];
    if (!o)
        return ab_fail(em, AB_EINVAL, "unknown source kind %d", (int)src->kind);
    if (ctx->n == ctx->cap) {
        size_t nc = ctx->cap ? ctx->cap * 2 : 4;
        struct chk_conn_ent *nv = ab_realloc(ctx->v, nc * sizeof *nv);
        if (!nv)
            return AB_ENOMEM;
        ctx->v = nv;
        ctx->cap = nc;
    }
    struct chk_conn_ent ne = {0};
    ne.kind = src->kind;
    ne.ops = o;
    if ((src->name && !(ne.name = ab_strdup(src->name))) ||
        (src->path && !(ne.path = ab_strdup(src->path))) ||
        (src->connection && !(ne.connection = ab_strdup(src->connection))) ||
        (src->username && !(ne.username = ab_strdup(src->username)))) {
        ent_free(&ne);
        return AB_ENOMEM;
    }
    enum ab_err err = o->open(src, timeout_s, &ne.conn, em);
    if (err) {
        ne.conn = NULL;
        ent_free(&ne);
        return err;
    }
    ctx->v[ctx->n++] = ne;
    *ops = o;
    *conn = ne.conn;
    return AB_OK;
}

void chk_ctx_conn_drop(chk_ctx *ctx, const struct cfg_source *src)
{
    struct chk_conn_ent *e = ent_find(ctx, src);
    if (!e)
        return;
    ent_free(e);
    *e = ctx->v[--ctx->n];
}
