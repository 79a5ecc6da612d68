/*
 * web_pages.c - the data behind a check's page, and the pieces the status
 * page (web_page_status.c) shares with it: a check's row, a heartbeat
 * cycle.  Each gathers what the page shows into a JSON object for
 * web/pages/NAME.html.mustache; the templates decide how it looks.
 */
#include "web/web_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"

#define CYCLES_ON_STATUS 10
#define RUNS_ON_CHECK 60

static void set_status(json_t *o, int s)
{
    json_object_set_new(o, "status", json_string(s < 0 ? "No data" : eng_status_name(s)));
    json_object_set_new(o, "cls", json_string(web_status_class(s)));
}

static void set_exec(json_t *o, int64_t ms)
{
    char buf[32];
    if (ms < 1000)
        snprintf(buf, sizeof buf, "%lld ms", (long long)ms);
    else
        snprintf(buf, sizeof buf, "%.1f s", (double)ms / 1000.0);
    json_object_set_new(o, "exec", json_string(buf));
}

/* A value for people: a freshness check's is an age ("3 days 4 hours"),
 * any other a number with grouped digits ("1,009,800"). */
static void human_value(const struct cfg_check *k, double v, char *buf, size_t len)
{
    if (k->kind == CFG_FRESHNESS && v >= 0 && v < 9e15)
        ab_duration_human((int64_t)v, buf, len);
    else
        ab_number_human(v, buf, len);
}

/* One check as a row of the status page (and the head of its page). */
json_t *web_check_row(const struct eng_live_check *x, ab_time now)
{
    const struct cfg_check *k = x->k;
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(k->name));
    const char *label = k->label ? k->label : k->name;
    json_object_set_new(o, "label", web_jstr(label));
    if (strcmp(label, k->name) != 0)
        json_object_set_new(o, "show_label", json_true());
    json_object_set_new(o, "kind", json_string(cfg_check_kind_name(k->kind)));
    set_status(o, x->status);
    const struct store_run *r = x->last;
    if (r) {
        web_set_time(o, "last_run", r->started, now);
        set_exec(o, r->execution_ms);
        char val[AB_HUMAN_LEN];
        if (r->nresults && r->results[0].has_value) {
            human_value(k, r->results[0].value, val, sizeof val);
            json_object_set_new(o, "value", json_string(val));
        }
        if (r->nresults && r->results[0].message)
            json_object_set_new(o, "message", web_jstr(r->results[0].message));
        if (r->nresults > 1)
            json_object_set_new(o, "nitems", json_integer((json_int_t)r->nresults));
    }
    /* A heartbeat's next run is when its next cycle opens, as `status`
     * says; a ping check has none of its own (the job decides). */
    if (x->has_sched && k->kind != CFG_PING)
        web_set_time(o, "next_run", x->next_run, now);
    if (k->schedule_name)
        json_object_set_new(o, "schedule", json_string(k->schedule_name));
    const struct store_alert *a = x->alert;
    if (a) {
        json_t *ja = json_object();
        json_object_set_new(ja, "id", json_integer(a->id));
        json_object_set_new(ja, "priority", json_integer(a->priority));
        if (a->dismissed_at != AB_TIME_NONE)
            json_object_set_new(ja, "dismissed", json_true());
        json_object_set_new(o, "alert", ja);
    }
    return o;
}

/* One heartbeat cycle: who confirmed, who bounced, who only auto-replied,
 * in the words `acks` and the notice use (engine/eng_words.c): the reason of
 * a bounce, why a reply is unverified, "no reply" once the deadline has
 * passed, and who is flagged; never the inbox's own words (via=...). */
json_t *web_cycle_obj(const struct store_cycle *c, const struct eng_rcpt_words *words,
                      ab_time now)
{
    json_t *o = json_object();
    json_object_set_new(o, "check", web_jstr(c->check));
    json_object_set_new(o, "status", web_jstr(c->status));
    const char *cls = strcmp(c->status, "Healthy") == 0   ? "healthy"
                      : strcmp(c->status, "Failing") == 0 ? "failing"
                                                          : "pending";
    json_object_set_new(o, "cls", json_string(cls));
    web_set_time(o, "opened", c->opened, now);
    web_set_time(o, "deadline", c->deadline, now);
    size_t confirmed = 0;
    json_t *rs = json_array();
    for (size_t i = 0; i < c->nrcpts; i++) {
        const struct store_cycle_rcpt *r = &c->rcpts[i];
        const struct eng_rcpt_words *rw = &words[i];
        json_t *x = json_object();
        json_object_set_new(x, "address", web_jstr(r->address));
        if (rw->state == ENG_RCPT_CONFIRMED)
            confirmed++;
        if (rw->by[0])
            json_object_set_new(x, "by", web_jstr(rw->by));
        json_object_set_new(x, "state", json_string(rw->word));
        json_object_set_new(x, "cls", json_string(rw->cls));
        web_set_time(x, "when", rw->when, now);
        /* A confirmation shows what the person wrote; anything else why. */
        const char *detail = rw->state == ENG_RCPT_CONFIRMED ? r->excerpt : rw->reason;
        if (detail && *detail)
            json_object_set_new(x, "detail", web_jstr(detail));
        if (rw->flag[0])
            json_object_set_new(x, "flag", web_jstr(rw->flag));
        json_array_append_new(rs, x);
    }
    json_object_set_new(o, "rcpts", rs);
    json_object_set_new(o, "confirmed", json_integer((json_int_t)confirmed));
    json_object_set_new(o, "total", json_integer((json_int_t)c->nrcpts));
    json_object_set_new(o, "quorum", json_integer(c->quorum > 0 ? c->quorum
                                                                : (int)c->nrcpts));
    return o;
}

static json_t *cycles_json(web *w, const char *check, ab_time now)
{
    struct store_cycle **v = NULL;
    size_t n = 0;
    ab_errmsg em = {{0}};
    json_t *arr = json_array();
    if (eng_view_cycles(w->e, check, 0, CYCLES_ON_STATUS, &v, &n, &em) != AB_OK) {
        ab_log(AB_LOG_WARN, "web: heartbeat cycles: %s", em.text);
        return arr;
    }
    for (size_t i = 0; i < n; i++) {
        struct eng_rcpt_words *words = ab_calloc(v[i]->nrcpts ? v[i]->nrcpts : 1,
                                                 sizeof *words);
        if (!words)
            break;
        for (size_t j = 0; j < v[i]->nrcpts; j++)
            eng_view_rcpt_words(w->e, v[i], &v[i]->rcpts[j], now, &words[j]);
        json_array_append_new(arr, web_cycle_obj(v[i], words, now));
        ab_free(words);
    }
    eng_view_cycles_free(v, n);
    return arr;
}

static json_t *run_row(const struct cfg_check *k, const struct store_run *r, ab_time now)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    web_set_time(o, "started", r->started, now);
    json_object_set_new(o, "trigger", web_jstr(r->trigger));
    set_exec(o, r->execution_ms);
    if (r->from_cache)
        json_object_set_new(o, "cache", json_true());
    if (r->remedy_note)
        json_object_set_new(o, "remedy", web_jstr(r->remedy_note));
    json_t *res = json_array();
    for (size_t i = 0; i < r->nresults; i++) {
        const struct ab_result *x = &r->results[i];
        json_t *y = json_object();
        if (x->item && *x->item)
            json_object_set_new(y, "item", web_jstr(x->item));
        set_status(y, (int)x->status);
        if (x->has_value) {
            char v[AB_HUMAN_LEN];
            human_value(k, x->value, v, sizeof v);
            json_object_set_new(y, "value", json_string(v));
        }
        if (x->message)
            json_object_set_new(y, "message", web_jstr(x->message));
        json_array_append_new(res, y);
    }
    json_object_set_new(o, "results", res);
    return o;
}

/* The thresholds a check's value is judged by, in the value's units. */
static size_t thresholds(const struct cfg_check *k, struct web_mark *m)
{
    size_t n = 0;
    switch (k->kind) {
    case CFG_SQL:
        if (k->has_warn)
            m[n++] = (struct web_mark){"warn", k->warn, 0};
        if (k->has_crit)
            m[n++] = (struct web_mark){"crit", k->crit, 1};
        break;
    case CFG_COUNT:
        if (k->has_warn_below)
            m[n++] = (struct web_mark){"warn below", k->warn_below, 0};
        if (k->has_min)
            m[n++] = (struct web_mark){"min", k->min, 1};
        break;
    case CFG_FRESHNESS:
        if (k->warn_age > 0)
            m[n++] = (struct web_mark){"warn age", (double)k->warn_age, 0};
        if (k->max_age > 0)
            m[n++] = (struct web_mark){"max age", (double)k->max_age, 1};
        break;
    default:
        break;
    }
    return n;
}

enum ab_err web_page_check(web *w, const struct web_request *rq,
                           struct web_response *rs, const char *name, ab_time now)
{
    const struct cfg_check *k = cfg_check_find(w->c, name);
    if (!k)
        return web_reply_error(w, rq, rs, 404, "There is no check of that name.", now);
    const struct eng_live_check *lx = eng_live_find(web_live(w, now), k->name);
    if (!lx)
        return web_reply_error(w, rq, rs, 404, "There is no check of that name.", now);
    json_t *d = json_object();
    json_t *c = web_check_row(lx, now);
    if (k->description)
        json_object_set_new(c, "description", web_jstr(k->description));
    json_object_set_new(d, "check", c);
    json_object_set_new(d, "title", json_string(k->name));

    struct store_run **v = NULL;
    size_t n = 0;
    ab_errmsg em = {{0}};
    if (eng_view_runs(w->e, k->name, RUNS_ON_CHECK, &v, &n, &em) != AB_OK) {
        json_decref(d);
        ab_log(AB_LOG_ERROR, "web: runs of %s: %s", k->name, em.text);
        return web_reply_error(w, rq, rs, 500, "The state database failed.", now);
    }
    struct web_mark marks[2];
    size_t nm = thresholds(k, marks);
    ab_buf svg;
    ab_buf_init(&svg, 1u << 20);
    struct web_chart how = {.marks = marks, .nmarks = nm,
                            .seconds = k->kind == CFG_FRESHNESS};
    if (web_svg_chart(&svg, v, n, &how) == AB_OK && svg.len)
        json_object_set_new(d, "chart", json_string(ab_buf_str(&svg)));
    ab_buf_free(&svg);
    json_t *runs = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(runs, run_row(k, v[i], now));
    eng_view_runs_free(v, n);
    json_object_set_new(d, "runs", runs);

    /* Items with their debounced state (a check may watch many). */
    struct store_check_state **cs = NULL;
    size_t ncs = 0;
    if (eng_view_items(w->e, k->name, &cs, &ncs, NULL) == AB_OK) {
        json_t *items = json_array();
        for (size_t i = 0; i < ncs; i++) {
            json_t *x = json_object();
            json_object_set_new(x, "item", web_jstr(*cs[i]->item ? cs[i]->item : "(check)"));
            set_status(x, (int)cs[i]->status);
            web_set_time(x, "since", cs[i]->since, now);
            json_array_append_new(items, x);
        }
        eng_view_items_free(cs, ncs);
        if (ncs > 1)
            json_object_set_new(d, "items", items);
        else
            json_decref(items);
    }
    if (k->kind == CFG_PING) {
        struct store_ping_summary ps;
        if (eng_view_ping(w->e, k->name, &ps, NULL) == AB_OK) {
            json_t *p = json_object();
            web_set_time(p, "start", ps.last_start, now);
            web_set_time(p, "finish", ps.last_finish, now);
            if (ps.last_finish != AB_TIME_NONE)
                json_object_set_new(p, "ok", json_boolean(ps.finish_ok));
            if (ps.via[0])
                json_object_set_new(p, "via", json_string(ps.via));
            /* Issue 12: where the job reports, by mail and over HTTP. */
            char addr[1024];
            if (eng_ping_address(w->c, k, addr, sizeof addr))
                json_object_set_new(p, "address", web_jstr(addr));
            if (eng_ping_url(w->c, k, addr, sizeof addr))
                json_object_set_new(p, "url", web_jstr(addr));
            json_object_set_new(d, "ping", p);
        }
    }
    if (k->kind == CFG_HEARTBEAT)
        json_object_set_new(d, "cycles", cycles_json(w, k->name, now));
    web_silence_data(w, rq, d, k, now);
    return web_reply_page(w, rs, 200, "check", d, now);
}
