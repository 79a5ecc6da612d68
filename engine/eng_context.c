/*
 * eng_context.c - the data a notice's templates see (templates/README.md
 * lists every variable; keep the two in step): the site and the person,
 * an alert with its check, latest run and notes, a digest's line, and a
 * heartbeat's cycle with who was asked and what came back.
 */
#include "engine/eng_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"

static void set_str(json_t *o, const char *k, const char *v)
{
    if (v)
        json_object_set_new(o, k, json_string(v));
}

/*
 * Times as the person the mail is for reads them ("Sunday 8 November
 * 2026, 08:00 CST", in their timezone= or the site's), with the ISO UTC
 * form beside as KEY_iso for templates that compute with it.  zone is
 * taken from the context's recipient (ctx_zone).
 */
static void set_time_in(json_t *o, const char *k, ab_time t, const char *zone)
{
    char buf[AB_HUMAN_LEN], key[64];
    if (t == AB_TIME_NONE)
        return;
    json_object_set_new(o, k, json_string(ab_time_human(t, zone, buf, sizeof buf)));
    snprintf(key, sizeof key, "%s_iso", k);
    json_object_set_new(o, key, json_string(ab_time_format(t, buf, sizeof buf)));
}

/* "2 days 3 hours", "45 minutes": the two largest units, for people. */
static void human_age(int64_t secs, char *buf, size_t len)
{
    ab_duration_human(secs < 0 ? 0 : secs, buf, len);
}

/* A link into the web pages when <web base-url> is set, else nothing. */
static void set_link(eng *e, json_t *o, const char *fmt, const char *arg)
{
    const char *base = cfg_global(e->c)->web.base_url;
    if (!base || !*base)
        return;
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    char url[2048], path[1024];
    snprintf(path, sizeof path, fmt, arg);
    snprintf(url, sizeof url, "%.*s%s", (int)bl, base, path);
    json_object_set_new(o, "url", json_string(url));
}

json_t *eng_ctx_base(eng *e, const char *email, ab_time now)
{
    const struct cfg_global *g = cfg_global(e->c);
    json_t *root = json_object();
    json_t *site = json_object();
    set_str(site, "name", g->name);
    set_str(site, "url", g->web.base_url);
    json_object_set_new(root, "site", site);
    set_time_in(root, "now", now, eng_zone_for(e->c, email));
    json_t *ab = json_object();
    set_str(ab, "version", AB_VERSION);
    json_object_set_new(root, "ackbeat", ab);
    json_t *rcpt = json_object();
    if (email) {
        const struct cfg_person *p = cfg_person_by_email(e->c, email);
        set_str(rcpt, "email", email);
        set_str(rcpt, "name", p ? (p->display ? p->display : p->name) : NULL);
    }
    json_object_set_new(root, "recipient", rcpt);
    return root;
}

static const char *priority_name(int p)
{
    switch (p) {
    case 1: return "P1";
    case 2: return "P2";
    default: return "P3";
    }
}

/* Whole numbers as integers: "259200", not "2.592e+05". */
static json_t *number(double v)
{
    if (v == (double)(int64_t)v && v > -9e15 && v < 9e15)
        return json_integer((json_int_t)v);
    return json_real(v);
}

/* A value as people read it: a freshness check's is an age ("3 days 4
 * hours"), any other a number with grouped digits ("1,009,800"). */
static void set_value(json_t *o, const struct cfg_check *k, double v)
{
    char buf[AB_HUMAN_LEN];
    json_object_set_new(o, "value_raw", number(v));
    if (k->kind == CFG_FRESHNESS && v >= 0 && v < 9e15)
        ab_duration_human((int64_t)v, buf, sizeof buf);
    else
        ab_number_human(v, buf, sizeof buf);
    json_object_set_new(o, "value", json_string(buf));
}

/* The alert itself: status, priority, times, level, the notice's number. */
static json_t *alert_object(eng *e, const struct store_alert *a, const char *zone,
                            ab_time now)
{
    json_t *al = json_object();
    char age[AB_HUMAN_LEN], id[32];
    json_object_set_new(al, "id", json_integer(a->id));
    json_object_set_new(al, "priority", json_integer(a->priority));
    set_str(al, "priority_name", priority_name(a->priority));
    /* A resolved notice reports the new state; the alert row keeps the
     * bad status it had, which becomes the previous one.  An open alert's
     * previous status is the one before its latest change ("was
     * Degraded"); an alert on a check never seen Healthy has none and is
     * new (alert.new), never a made-up "was Healthy". */
    int resolved = a->resolved != AB_TIME_NONE;
    set_str(al, "status", resolved ? "Healthy" : ab_status_name(a->status));
    if (resolved)
        set_str(al, "previous_status", ab_status_name(a->status));
    else if (a->previous_status && strcmp(a->previous_status, ab_status_name(a->status)))
        set_str(al, "previous_status", a->previous_status);
    json_object_set_new(al, "new", json_boolean(!resolved && !a->previous_status));
    set_time_in(al, "opened", a->opened, zone);
    human_age(now - a->opened, age, sizeof age);
    set_str(al, "age", age);
    json_object_set_new(al, "level", json_integer(a->level));
    /* The number of this notice, counting it. */
    json_object_set_new(al, "notify_count",
                        json_integer(a->notify_count + (a->resolved == AB_TIME_NONE)));
    set_time_in(al, "resolved", a->resolved, zone);
    set_str(al, "held_by", a->held_by);
    snprintf(id, sizeof id, "%lld", (long long)a->id);
    set_link(e, al, "/alerts#alert-%s", id);
    return al;
}

static json_t *check_object(eng *e, const struct cfg_check *k)
{
    json_t *ck = json_object();
    set_str(ck, "name", k->name);
    set_str(ck, "label", k->label);
    set_str(ck, "kind", cfg_check_kind_name(k->kind));
    set_str(ck, "type", k->type);
    set_str(ck, "source", k->source ? k->source->name : NULL);
    set_str(ck, "description", k->description);
    set_link(e, ck, "/checks/%s", k->name);
    return ck;
}

static void set_result(json_t *o, const struct cfg_check *k, const struct ab_result *r)
{
    set_str(o, "item", r->item);
    set_str(o, "status", ab_status_name(r->status));
    if (r->has_value)
        set_value(o, k, r->value);
    set_str(o, "message", r->message);
}

/* The latest run's results (run, items, and result: the alert's item's),
 * so a notice says what was seen. */
static void add_latest_run(eng *e, json_t *root, const struct cfg_check *k,
                           const struct store_alert *a, const char *zone)
{
    json_t *items = json_array();
    json_t *result = json_object();
    struct store_run *run = NULL;
    if (store_run_last(e->st, k->name, &run, NULL) == AB_OK) {
        json_t *rn = json_object();
        set_time_in(rn, "started", run->started, zone);
        json_object_set_new(rn, "execution_ms", json_integer(run->execution_ms));
        json_object_set_new(root, "run", rn);
        for (size_t i = 0; i < run->nresults; i++) {
            const struct ab_result *r = &run->results[i];
            json_t *it = json_object();
            set_result(it, k, r);
            /* A list of one unnamed item says nothing the result does not. */
            if (run->nresults > 1 || (r->item && *r->item))
                json_array_append_new(items, it);
            else
                json_decref(it);
            if (strcmp(r->item ? r->item : "", a->item) == 0)
                set_result(result, k, r);
        }
        store_run_free(run);
    }
    if (!json_object_size(result)) {
        set_str(result, "item", a->item);
        set_str(result, "status", ab_status_name(a->status));
        set_str(result, "message", a->message);
    }
    json_object_set_new(root, "result", result);
    json_object_set_new(root, "items", items);
}

/* What people said about it (reply "note ...", or any reply to a notice):
 * the promise of the reply hint is that everyone notified sees it in the
 * next notice. */
static json_t *notes_array(eng *e, const struct store_alert *a, const char *zone)
{
    json_t *notes = json_array();
    struct store_alert_ev *ev = NULL;
    size_t nev = 0;
    if (store_alert_notes(e->st, a->id, 10, &ev, &nev, NULL) == AB_OK) {
        for (size_t i = 0; i < nev; i++) {
            json_t *o = json_object();
            set_time_in(o, "at", ev[i].at, zone);
            set_str(o, "by", ev[i].by ? ev[i].by : "someone");
            set_str(o, "kind", ev[i].event);
            set_str(o, "text", ev[i].detail ? ev[i].detail : "");
            json_array_append_new(notes, o);
        }
        store_alert_notes_free(ev, nev);
    }
    return notes;
}

json_t *eng_ctx_alert(eng *e, const struct cfg_check *k,
                      const struct store_alert *a, const char *email, ab_time now)
{
    json_t *root = eng_ctx_base(e, email, now);
    const char *zone = eng_zone_for(e->c, email);
    json_object_set_new(root, "alert", alert_object(e, a, zone, now));
    json_object_set_new(root, "check", check_object(e, k));
    add_latest_run(e, root, k, a, zone);
    json_object_set_new(root, "notes", notes_array(e, a, zone));
    /* Off unless the notice carries a token (eng_notify.c turns it on, with
     * reply_address and reference): a digest or a resolved notice has
     * nothing a reply could act on. */
    json_object_set_new(root, "reply_hint", json_false());
    return root;
}

/*
 * A digest lists many alerts, each with its check's message, and a
 * check's message may be its whole output (a plugin's is kept up to
 * 1 MiB): listed a hundred times it would pass the mail's size.  In a
 * digest it is clipped, on a character's boundary, with an ellipsis;
 * the alert's own notice and page keep all of it.
 */
#define DIGEST_MESSAGE_MAX 1000

static void clip_message(json_t *o, const char *msg)
{
    if (!msg)
        return;
    size_t n = strlen(msg);
    if (n <= DIGEST_MESSAGE_MAX) {
        set_str(o, "message", msg);
        return;
    }
    n = DIGEST_MESSAGE_MAX;
    while (n && ((unsigned char)msg[n] & 0xC0) == 0x80)
        n--; /* not inside a UTF-8 sequence */
    char *cut = ab_malloc(n + 4);
    if (!cut)
        return;
    memcpy(cut, msg, n);
    memcpy(cut + n, "\xe2\x80\xa6", 4); /* U+2026 and the NUL */
    set_str(o, "message", cut);
    ab_free(cut);
}

json_t *eng_ctx_digest_item(eng *e, const struct cfg_check *k,
                            const struct store_alert *a, ab_time now)
{
    json_t *o = json_object();
    char age[AB_HUMAN_LEN], id[32];
    json_object_set_new(o, "id", json_integer(a->id));
    json_object_set_new(o, "priority", json_integer(a->priority));
    set_str(o, "status", a->resolved != AB_TIME_NONE ? "Healthy" : ab_status_name(a->status));
    set_str(o, "check", a->check);
    set_str(o, "label", k ? k->label : a->check);
    /* A digest goes to one person; the zone is the site's unless the
     * caller's context says otherwise (send_group sets recipient). */
    set_time_in(o, "opened", a->opened, cfg_global(e->c)->timezone);
    human_age(now - a->opened, age, sizeof age);
    set_str(o, "age", age);
    clip_message(o, a->message);
    snprintf(id, sizeof id, "%lld", (long long)a->id);
    set_link(e, o, "/alerts#alert-%s", id);
    return o;
}

void eng_ctx_digest_more(eng *e, json_t *root, size_t unlisted)
{
    if (!unlisted)
        return;
    json_t *more = json_object();
    json_object_set_new(more, "count", json_integer((json_int_t)unlisted));
    set_link(e, more, "/alerts%s", "");
    json_object_set_new(root, "more", more);
}

/* ---- heartbeats: the cycle a notice or a request is about ---- */

size_t eng_cycle_quorum(const struct store_cycle *c)
{
    return c->quorum > 0 ? (size_t)c->quorum : c->nrcpts;
}

/* The zone of the person a context is for (recipient.email). */
static const char *ctx_zone(eng *e, json_t *root)
{
    json_t *r = json_object_get(root, "recipient");
    return eng_zone_for(e->c, json_string_value(json_object_get(r, "email")));
}

void eng_ctx_heartbeat(eng *e, json_t *root, const struct cfg_check *k,
                       const struct store_cycle *c)
{
    const char *zone = ctx_zone(e, root);
    json_t *hb = json_object();
    json_object_set_new(hb, "name", json_string(k->name));
    json_object_set_new(hb, "label", json_string(k->label));
    if (k->description)
        json_object_set_new(hb, "description", json_string(k->description));
    json_object_set_new(root, "heartbeat", hb);
    json_t *cy = json_object();
    json_object_set_new(cy, "id", json_integer(c->id));
    set_time_in(cy, "opened", c->opened, zone);
    set_time_in(cy, "deadline", c->deadline, zone);
    json_object_set_new(root, "cycle", cy);
}

/* "REASON; FLAG", either part may be empty. */
static void join(char *buf, size_t len, const char *a, const char *b)
{
    snprintf(buf, len, "%s%s%s", a, *a && *b ? "; " : "", b);
}

/* Everything nobody-confirmed needs: who was asked and what came back,
 * in the words `acks` and the web use (engine/eng_words.c). */
void eng_ctx_cycle_outcomes(eng *e, json_t *root, const struct cfg_check *k,
                            const struct store_cycle *c)
{
    eng_ctx_heartbeat(e, root, k, c);
    const char *zone = ctx_zone(e, root);
    ab_time at = c->verdict_at != AB_TIME_NONE ? c->verdict_at : c->deadline;
    json_t *asked = json_array(), *bounced = json_array(), *autor = json_array(),
           *conf = json_array(), *flagged = json_array(), *unver = json_array();
    for (size_t i = 0; i < c->nrcpts; i++) {
        const struct store_cycle_rcpt *r = &c->rcpts[i];
        struct eng_rcpt_words w;
        eng_rcpt_words(e->c, e->st, c, r, at, &w);
        const struct cfg_person *p = cfg_person_by_email(e->c, r->address);
        json_t *a = json_object();
        json_object_set_new(a, "email", json_string(r->address));
        if (p)
            json_object_set_new(a, "name", json_string(p->display ? p->display : p->name));
        json_object_set_new(a, "outcome", json_string(w.word));
        char detail[1600];
        if (w.state == ENG_RCPT_CONFIRMED && w.by[0])
            snprintf(detail, sizeof detail, "by %s", w.by);
        else
            join(detail, sizeof detail, w.reason, w.flag);
        if (detail[0])
            json_object_set_new(a, "detail", json_string(detail));
        if (w.reason[0])
            json_object_set_new(a, "reason", json_string(w.reason));
        if (w.flag[0])
            json_object_set_new(a, "flag", json_string(w.flag));
        set_time_in(a, "at", w.when, zone);
        json_t *x = json_object();
        json_object_set_new(x, "email", json_string(r->address));
        if (w.reason[0])
            json_object_set_new(x, "detail", json_string(w.reason));
        switch (w.state) {
        case ENG_RCPT_CONFIRMED:
            set_time_in(x, "at", w.when, zone);
            if (w.by[0])
                json_object_set_new(x, "by", json_string(w.by));
            json_array_append_new(conf, x);
            break;
        case ENG_RCPT_BOUNCED: json_array_append_new(bounced, x); break;
        case ENG_RCPT_AUTOREPLY: json_array_append_new(autor, x); break;
        case ENG_RCPT_UNVERIFIED: json_array_append_new(unver, x); break;
        default: json_decref(x); break;
        }
        /* Seed 000: people change jobs.  Say so when the signs add up. */
        if (w.flag[0]) {
            json_t *f = json_object();
            json_object_set_new(f, "email", json_string(r->address));
            json_object_set_new(f, "why", json_string(w.flag));
            json_array_append_new(flagged, f);
        }
        json_array_append_new(asked, a);
    }
    json_object_set_new(root, "asked", asked);
    json_object_set_new(root, "bounced", bounced);
    json_object_set_new(root, "autoreplied", autor);
    json_object_set_new(root, "unverified", unver);
    json_object_set_new(root, "confirmed", conf);
    json_object_set_new(root, "flagged", flagged);
    json_object_set_new(root, "quorum", json_integer((json_int_t)eng_cycle_quorum(c)));
    json_object_set_new(root, "confirmed_count", json_integer((json_int_t)c->confirmed));
}
