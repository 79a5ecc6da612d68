/*
 * eng_metrics.c - the numbers /metrics shows, read in one place: each check's
 * status, last run and totals, the open heartbeat cycles, alert, outbox
 * and inbox figures.  web/ renders them; only the engine reads the store.
 */
#include "engine/eng_int.h"

#include <string.h>

#include "common/ab_mem.h"

static void check_row(eng *e, const struct store_metric_counts *mc,
                      struct eng_check_metrics *m)
{
    m->status = store_check_worst(e->st, m->k->name);
    struct store_run *run = NULL;
    if (store_run_last(e->st, m->k->name, &run, NULL) == AB_OK) {
        m->has_run = 1;
        m->last_run = run->started;
        m->exec_ms = run->execution_ms;
        if (run->nresults && run->results[0].has_value) {
            m->has_value = 1;
            m->value = run->results[0].value;
        }
        store_run_free(run);
    }
    for (size_t j = 0; j < mc->nruns; j++)
        if (strcmp(mc->runs[j].name, m->k->name) == 0)
            m->runs_total = mc->runs[j].n;
}

/* The newest open cycle of heartbeat k, counted; 0 if none is open. */
static int cycle_row(eng *e, const struct cfg_check *k, struct eng_cycle_metrics *m,
                     ab_errmsg *em, enum ab_err *err)
{
    struct store_cycle **v = NULL;
    size_t n = 0;
    *err = store_cycle_list(e->st, k->name, 1, 1, &v, &n, em);
    if (*err || n == 0) {
        store_cycle_list_free(v, n);
        return 0;
    }
    const struct store_cycle *c = v[0];
    m->k = k;
    m->asked = c->nrcpts;
    m->confirmed = c->confirmed;
    m->quorum = c->quorum;
    for (size_t i = 0; i < c->nrcpts; i++)
        if (c->rcpts[i].bounced != AB_TIME_NONE && c->rcpts[i].confirmed == AB_TIME_NONE)
            m->bounced++;
    store_cycle_list_free(v, n);
    return 1;
}

enum ab_err eng_metrics_read(eng *e, ab_time now, struct eng_metrics *out, ab_errmsg *em)
{
    memset(out, 0, sizeof *out);
    enum ab_err err = store_metric_counts(e->st, &out->counts, em);
    if (err)
        return err;
    size_t n = cfg_check_count(e->c);
    out->checks = ab_calloc(n ? n : 1, sizeof *out->checks);
    out->cycles = ab_calloc(n ? n : 1, sizeof *out->cycles);
    if (!out->checks || !out->cycles) {
        eng_metrics_free(out);
        return AB_ENOMEM;
    }
    out->nchecks = n;
    for (size_t i = 0; i < n; i++) {
        struct eng_check_metrics *m = &out->checks[i];
        m->k = cfg_check_at(e->c, i);
        check_row(e, &out->counts, m);
        if (m->k->kind == CFG_HEARTBEAT &&
            cycle_row(e, m->k, &out->cycles[out->ncycles], em, &err))
            out->ncycles++;
        if (err) {
            eng_metrics_free(out);
            return err;
        }
    }
    /* The rest is best effort: a family that cannot be read is left out
     * rather than failing the whole page. */
    out->have_alerts = store_webq_alert_counts(e->st, now, &out->alerts, NULL) == AB_OK;
    out->have_outbox = store_outbox_counts(e->st, &out->outbox, NULL) == AB_OK;
    out->have_inbox = cfg_global(e->c)->inbox.enabled &&
                      store_webq_inbox(e->st, &out->inbox, NULL) == AB_OK;
    return AB_OK;
}

void eng_metrics_free(struct eng_metrics *m)
{
    if (!m)
        return;
    ab_free(m->checks);
    ab_free(m->cycles);
    store_metric_counts_free(&m->counts);
    if (m->have_inbox)
        ab_free(m->inbox.last_error);
    memset(m, 0, sizeof *m);
}
