/*
 * chk_res.c - the list of item results an outcome is built from.
 *
 * ab_result's strings are const for its readers; here they are our own
 * allocations, which chk_res_free (and chk_outcome_free) give back.
 */
#include "checks/chk_int.h"

#include <stdarg.h>
#include <stdio.h>

#include "common/ab_mem.h"

enum ab_err chk_res_add(struct chk_res *r, const char *item,
                        enum ab_status st, int has_value, double value,
                        const char *perfdata, const char *fmt, ...)
{
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 4;
        struct ab_result *nv = ab_realloc(r->v, nc * sizeof *nv);
        if (!nv)
            return AB_ENOMEM;
        r->v = nv;
        r->cap = nc;
    }
    ab_buf b;
    ab_buf_init(&b, 64 * 1024);
    va_list ap;
    va_start(ap, fmt);
    enum ab_err e = ab_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    /* A message past the cap is cut, not an error. */
    if (e == AB_ERANGE)
        e = AB_OK;
    struct ab_result *res = &r->v[r->n];
    res->item = ab_strdup(item ? item : "");
    res->status = st;
    res->has_value = has_value;
    res->value = has_value ? value : 0;
    res->message = e ? NULL : ab_buf_steal(&b);
    res->perfdata = perfdata ? ab_strdup(perfdata) : NULL;
    ab_buf_free(&b);
    if (e || !res->item || !res->message || (perfdata && !res->perfdata)) {
        ab_free((char *)res->item);
        ab_free((char *)res->message);
        ab_free((char *)res->perfdata);
        return AB_ENOMEM;
    }
    r->n++;
    return AB_OK;
}

enum ab_err chk_res_offline(struct chk_res *r, const char *msg)
{
    return chk_res_add(r, "", AB_OFFLINE, 0, 0, NULL, "%s", msg);
}

void chk_res_free(struct chk_res *r)
{
    for (size_t i = 0; i < r->n; i++) {
        ab_free((char *)r->v[i].item);
        ab_free((char *)r->v[i].message);
        ab_free((char *)r->v[i].perfdata);
    }
    ab_free(r->v);
    r->v = NULL;
    r->n = r->cap = 0;
}
