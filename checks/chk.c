/*
 * chk.c - the front door: chk_run, chk_validate.
 *
 * chk_run picks the kind's backend from a const table, lets it append
 * item results, and then does what is common to every kind: the
 * execution time, item names made unique (the engine keys its state by
 * check and item), the worst status, and for Action checks (seed 001)
 * the remedy command when the outcome is not Healthy.  The context and
 * its connections are chk_ctx.c's: the SQL kinds reach them through
 * chk_sql.c, which must not call back into the file that lists the kinds.
 */
#include "checks/chk_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"

extern char **environ;

static const struct chk_kind *const kinds[] = {
    &chk_kind_freshness, &chk_kind_count, &chk_kind_sql,
    &chk_kind_command,   &chk_kind_plugin,
};

void chk_outcome_free(struct chk_outcome *o)
{
    if (!o)
        return;
    struct chk_res r = {o->results, o->nresults, o->nresults};
    chk_res_free(&r);
    ab_free(o->remedy_note);
    ab_free(o);
}

static const struct chk_kind *kind_of(const struct cfg_check *c)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i]->kind == c->kind)
            return kinds[i];
    return NULL;
}

/* Give repeated item names a "#2", "#3" suffix. */
static enum ab_err unique_items(struct chk_res *r)
{
    for (size_t i = 1; i < r->n; i++) {
        int dup = 0;
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->v[i].item, r->v[j].item) == 0)
                dup++;
        if (!dup)
            continue;
        for (int k = dup + 1;; k++) {
            char name[512];
            snprintf(name, sizeof name, "%s#%d", r->v[i].item, k);
            int taken = 0;
            for (size_t j = 0; j < r->n && !taken; j++)
                taken = strcmp(r->v[j].item, name) == 0;
            if (taken)
                continue;
            char *n = ab_strdup(name);
            if (!n)
                return AB_ENOMEM;
            ab_free((char *)r->v[i].item);
            r->v[i].item = n;
            break;
        }
    }
    return AB_OK;
}

/* The environment of a remedy: ours, plus what it is reacting to. */
static char **remedy_env(const struct cfg_check *c, const struct chk_outcome *o)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **env = ab_calloc(n + 4, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "ACKBEAT_", 8) != 0)
            env[k++] = environ[i];
    ab_buf b[3];
    for (int i = 0; i < 3; i++)
        ab_buf_init(&b[i], 8192);
    const char *msg = o->results[0].message ? o->results[0].message : "";
    if (ab_buf_printf(&b[0], "ACKBEAT_CHECK=%s", c->name ? c->name : "") ||
        ab_buf_printf(&b[1], "ACKBEAT_STATUS=%s", ab_status_name(o->status)) ||
        ab_buf_printf(&b[2], "ACKBEAT_MESSAGE=%.4000s", msg)) {
        for (int i = 0; i < 3; i++)
            ab_buf_free(&b[i]);
        ab_free(env);
        return NULL;
    }
    for (int i = 0; i < 3; i++)
        env[k++] = ab_buf_steal(&b[i]);
    env[k] = NULL;
    return env;
}

static void remedy_env_free(char **env)
{
    if (!env)
        return;
    size_t k = 0;
    while (env[k])
        k++;
    /* Our three strings are the last ones; the rest belong to environ. */
    for (size_t i = k >= 3 ? k - 3 : 0; i < k; i++)
        ab_free(env[i]);
    ab_free(env);
}

static enum ab_err run_remedy(const struct cfg_check *c, struct chk_outcome *o,
                              ab_errmsg *em)
{
    char **env = remedy_env(c, o);
    if (!env)
        return AB_ENOMEM;
    const char *argv[] = {"/bin/sh", "-c", c->remedy, NULL};
    struct chk_proc_spec spec = {0};
    struct chk_proc_res r;
    spec.argv = argv;
    spec.envp = (const char *const *)env;
    spec.timeout_s = c->timeout > 0 ? (int)c->timeout : CHK_DEFAULT_PROC_TIMEOUT;
    spec.out_cap = 4096;
    enum ab_err e = chk_proc_run(&spec, &r, em);
    remedy_env_free(env);
    if (e)
        return e;
    char how[128], line[512], note[800];
    chk_proc_describe(&r, spec.timeout_s, how, sizeof how);
    chk_first_line(r.out, line, sizeof line);
    o->remedy_ran = r.end != CHK_PROC_NOSTART;
    o->remedy_exit = r.end == CHK_PROC_EXITED ? r.code : -1;
    if (r.end == CHK_PROC_EXITED && r.code == 0)
        snprintf(note, sizeof note, "remedy ran: %s", how);
    else if (r.end == CHK_PROC_NOSTART)
        snprintf(note, sizeof note, "remedy %s", how);
    else
        snprintf(note, sizeof note, "remedy ran: %s%s%s", how, line[0] ? ": " : "", line);
    chk_proc_res_free(&r);
    ab_log(AB_LOG_INFO, "check %s: %s", c->name ? c->name : "?", note);
    if (!(o->remedy_note = ab_strdup(note)))
        return AB_ENOMEM;
    return AB_OK;
}

enum ab_err chk_run(chk_ctx *ctx, const struct cfg_check *c, ab_time now,
                    struct chk_outcome **out, ab_errmsg *em)
{
    if (!ctx || !c || !out)
        return ab_fail(em, AB_EINVAL, "chk_run: missing argument");
    *out = NULL;
    const struct chk_kind *k = kind_of(c);
    if (!k)
        return ab_fail(em, AB_EINVAL,
                       "check '%s': kind %d (heartbeat, ping) is not run by checks/",
                       c->name ? c->name : "?", (int)c->kind);
    struct chk_res r = {0};
    struct chk_outcome *o = NULL;
    int64_t t0 = chk_mono_ms();
    enum ab_err e = k->run(ctx, c, now, &r, em);
    int64_t t1 = chk_mono_ms();
    if (e) {
        if (e != AB_ENOMEM)
            ab_failctx(em, e, "check '%s'", c->name ? c->name : "?");
        goto out;
    }
    if (r.n == 0 && (e = chk_res_offline(&r, "the check produced no result")))
        goto out;
    if ((e = unique_items(&r)))
        goto out;
    if (!(o = ab_calloc(1, sizeof *o))) {
        e = AB_ENOMEM;
        goto out;
    }
    o->results = r.v;
    o->nresults = r.n;
    memset(&r, 0, sizeof r);
    o->execution_ms = t1 - t0;
    o->status = AB_HEALTHY;
    o->remedy_exit = -1;
    for (size_t i = 0; i < o->nresults; i++)
        if (o->results[i].status > o->status)
            o->status = o->results[i].status;
    if (o->status != AB_HEALTHY && c->type && strcasecmp(c->type, "Action") == 0 &&
        c->remedy && *c->remedy && (e = run_remedy(c, o, em)))
        goto out;
    *out = o;
    o = NULL;
out:
    chk_res_free(&r);
    chk_outcome_free(o);
    return e;
}

enum ab_err chk_validate(const struct cfg_check *c, chk_ctx *ctx, ab_errmsg *em)
{
    if (!c)
        return ab_fail(em, AB_EINVAL, "chk_validate: no check");
    const struct chk_kind *k = kind_of(c);
    if (!k)
        return AB_OK; /* heartbeat and ping checks have nothing to probe here */
    chk_ctx *own = NULL;
    if (!ctx && !(ctx = own = chk_ctx_new()))
        return AB_ENOMEM;
    enum ab_err e = k->validate(ctx, c, em);
    if (e && e != AB_ENOMEM)
        ab_failctx(em, e, "check '%s'", c->name ? c->name : "?");
    chk_ctx_free(own);
    return e;
}
