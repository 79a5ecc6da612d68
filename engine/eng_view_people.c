/*
 * eng_view_people.c - the people side of the views: heartbeat cycles with
 * what came back from each person asked, and the addresses flagged for
 * bouncing or for no longer answering (seed 000: silence is a signal).
 *
 * The wording itself is engine/eng_words.c; this file only reads what
 * the wording needs, so that `acks`, `status`, the pages and the API
 * show the same people in the same words.
 */
#include "engine/eng_int.h"

#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"

/* How many recent cycles are searched for a confirmation newer than a
 * flag's cause (a phone `ack` clears the flag before the next verdict). */
#define FLAG_CYCLES 50

enum ab_err eng_view_cycles(eng *e, const char *check, int open_only, size_t limit,
                            struct store_cycle ***out, size_t *n, ab_errmsg *em)
{
    return store_cycle_list(e->st, check, open_only, limit, out, n, em);
}

void eng_view_cycles_free(struct store_cycle **v, size_t n)
{
    store_cycle_list_free(v, n);
}

void eng_view_rcpt_words(eng *e, const struct store_cycle *cy,
                         const struct store_cycle_rcpt *r, ab_time now,
                         struct eng_rcpt_words *out)
{
    eng_rcpt_words(e->c, e->st, cy, r, now, out);
}

/* The newest confirmation of address in the cycles listed, or NONE. */
static ab_time newest_confirmation(struct store_cycle *const *v, size_t n,
                                   const char *address)
{
    ab_time t = AB_TIME_NONE;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < v[i]->nrcpts; j++)
            if (!strcasecmp(v[i]->rcpts[j].address, address) &&
                v[i]->rcpts[j].confirmed != AB_TIME_NONE &&
                (t == AB_TIME_NONE || v[i]->rcpts[j].confirmed > t))
                t = v[i]->rcpts[j].confirmed;
    return t;
}

/* The smallest missed-limit= of the heartbeat checks (1000 with none). */
static int min_missed_limit(const cfg *c)
{
    int m = 1000;
    for (size_t i = 0; i < cfg_check_count(c); i++)
        if (cfg_check_at(c, i)->kind == CFG_HEARTBEAT &&
            cfg_check_at(c, i)->missed_limit < m)
            m = cfg_check_at(c, i)->missed_limit;
    return m;
}

/* Append rr to f when it is flagged; 0, or -1 when out of memory. */
static int add_flagged(struct eng_flagged_view *f, const struct store_recipient *rr,
                       ab_time confirmed_at)
{
    char why[1024], reason[768];
    if (!eng_recipient_flag(rr, f->min_missed, confirmed_at, why, sizeof why))
        return 0;
    struct eng_flagged *x = &f->v[f->n];
    memset(x, 0, sizeof *x);
    x->missed_in_a_row = rr->missed_streak;
    x->bounced = rr->bounced_at;
    x->address = ab_strdup(rr->address);
    x->why = ab_strdup(why);
    int bad = !x->address || !x->why;
    if (rr->bounce_detail) {
        eng_bounce_reason(rr->bounce_detail, rr->address, NULL, reason, sizeof reason);
        x->bounce_detail = ab_strdup(rr->bounce_detail);
        x->bounce_reason = ab_strdup(reason);
        bad |= !x->bounce_detail || !x->bounce_reason;
    }
    f->n++; /* freed with the rest, even half-filled */
    return bad ? -1 : 0;
}

void eng_view_flagged(eng *e, struct eng_flagged_view *out)
{
    memset(out, 0, sizeof *out);
    out->min_missed = min_missed_limit(e->c);
    struct store_recipient **fr = NULL;
    size_t nfr = 0;
    struct store_cycle **cy = NULL;
    size_t ncy = 0;
    if (store_recipient_flagged(e->st, out->min_missed, &fr, &nfr, NULL) == AB_OK &&
        store_cycle_list(e->st, NULL, 0, FLAG_CYCLES, &cy, &ncy, NULL) == AB_OK && nfr &&
        (out->v = ab_calloc(nfr, sizeof *out->v))) {
        for (size_t i = 0; i < nfr; i++)
            if (add_flagged(out, fr[i], newest_confirmation(cy, ncy, fr[i]->address)) < 0)
                break;
    }
    for (size_t i = 0; i < nfr; i++)
        store_recipient_free(fr[i]);
    ab_free(fr);
    store_cycle_list_free(cy, ncy);
}

void eng_view_flagged_free(struct eng_flagged_view *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        ab_free(f->v[i].address);
        ab_free(f->v[i].bounce_detail);
        ab_free(f->v[i].bounce_reason);
        ab_free(f->v[i].why);
    }
    ab_free(f->v);
    memset(f, 0, sizeof *f);
}

enum ab_err eng_ack_manual(eng *e, const char *token, const char *by, const char *note,
                           ab_time now, int64_t *cycle_id, ab_errmsg *em)
{
    return store_ack_manual(e->st, token, by, note, now, cycle_id, em);
}
