/*
 * eng_debounce.c - what one result means for an item's alert, from plain
 * facts (engine/eng_debounce.h): no store, no engine, no clock.
 *
 * A bad result must repeat `confirm` times before the status leaves
 * Healthy, and a good one `recover` times before it returns, which damps
 * flapping data; an alert is open exactly while the debounced status is
 * not Healthy.  Data that flips anyway (more changes in a day than
 * alerting/@flap-limit) is flapping: its own alert opens and resolves
 * without notices and one "flapping" alert speaks for it
 * (engine/eng_evaluate.c).  Worse news (Degraded to Failing, a priority
 * rising) is announced as worse, not as a routine repeat.
 */
#include "engine/eng_debounce.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_buf.h"

int eng_db_priority(int fixed, enum ab_status s)
{
    if (fixed)
        return fixed;
    switch (s) {
    case AB_OFFLINE: return 1;
    case AB_FAILING: return 2;
    default: return 3;
    }
}

/* The streaks and the debounced status after one result. */
static void fold(const struct eng_db_in *in, struct eng_db_state *s)
{
    *s = in->before;
    if (in->result == AB_HEALTHY) {
        s->good_streak++;
        s->bad_streak = 0;
        if (s->good_streak >= in->recover)
            s->status = AB_HEALTHY;
    } else {
        s->bad_streak++;
        s->good_streak = 0;
        if (s->bad_streak >= in->confirm)
            s->status = in->result;
    }
}

void eng_debounce(const struct eng_db_in *in, struct eng_db_out *out)
{
    memset(out, 0, sizeof *out);
    fold(in, &out->after);
    enum ab_status now = out->after.status, was = in->before.status;
    out->flipped = (was == AB_HEALTHY) != (now == AB_HEALTHY);
    out->changed = was != now;
    out->flapping = in->flap_limit > 0 && in->flips + out->flipped > in->flap_limit;
    const struct eng_db_alert *a = &in->alert;
    if (now == AB_HEALTHY) {
        out->action = a->open ? ENG_DB_RESOLVE : ENG_DB_NONE;
        /* The flapping alert speaks for an item that flaps. */
        out->tell_resolved = a->open && a->told > 0 && !out->flapping;
        return;
    }
    out->priority = eng_db_priority(in->priority, now);
    if (!a->open) {
        out->action = ENG_DB_OPEN;
        return;
    }
    out->action = ENG_DB_KEEP;
    const char *msg = in->message ? in->message : ab_status_name(now);
    out->update = a->status != now || !a->message || strcmp(a->message, msg) != 0;
    out->worse =
        out->priority < a->priority || (out->priority == a->priority && now > a->status);
    out->announce = out->worse || in->cycle_id != 0;
}

const char *eng_db_held(const struct eng_db_hold *h)
{
    if (h->maintenance)
        return "maintenance";
    if (h->flapping)
        return "flapping";
    if (h->parent_bad)
        return "dependency";
    if (h->dismissed)
        return "dismissed";
    return NULL;
}

int eng_db_dismissed(ab_time at, ab_time until, ab_time now)
{
    if (at == AB_TIME_NONE)
        return 0;
    return until == AB_TIME_NONE || now < until;
}

const char *eng_db_opened_message(int heartbeat, enum ab_status status)
{
    return heartbeat && status == AB_FAILING ? "nobody-confirmed" : "alert-opened";
}

void eng_db_notice(const struct eng_db_news *in, struct eng_db_notice *out)
{
    memset(out, 0, sizeof *out);
    /* A dismissal silences the news it was given on: a heartbeat's each
     * cycle is news of its own, so a plain dismissal ends with the next
     * verdict; a snooze keeps its end time unless the news is worse. */
    out->undismiss = in->dismissed_at != AB_TIME_NONE &&
                     (in->worse || in->dismissed_until == AB_TIME_NONE);
    struct eng_db_hold h = in->hold;
    h.dismissed = !out->undismiss &&
                  eng_db_dismissed(in->dismissed_at, in->dismissed_until, in->now);
    if ((out->held = eng_db_held(&h)))
        return;
    out->message = in->told == 0 ? eng_db_opened_message(in->heartbeat, in->status)
                   : in->worse   ? "alert-worse"
                   : in->heartbeat && in->status == AB_FAILING ? "nobody-confirmed"
                                                               : "alert-repeated";
}

/* How many of the times in flips are of the 24 hours before now; with
 * keep, those are also written to it.  -1: out of memory. */
static int each_flip(const char *flips, ab_time now, ab_buf *keep)
{
    int n = 0;
    for (const char *p = flips ? flips : ""; *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (!len)
            break;
        char one[AB_ISO_LEN];
        snprintf(one, sizeof one, "%.*s",
                 (int)(len < AB_ISO_LEN - 1 ? len : AB_ISO_LEN - 1), p);
        ab_time t;
        if (ab_time_parse(one, &t) == AB_OK && now - t < 86400) {
            if (keep && ab_buf_printf(keep, "%s%s", keep->len ? " " : "", one))
                return -1;
            n++;
        }
        p += len;
    }
    return n;
}

int eng_db_recent_flips(const char *flips, ab_time now)
{
    return each_flip(flips, now, NULL);
}

char *eng_db_record_flip(const char *flips, ab_time now, int *count)
{
    ab_buf b;
    ab_buf_init(&b, 1 << 16);
    char iso[AB_ISO_LEN];
    int n = each_flip(flips, now, &b);
    *count = n < 0 ? 0 : n;
    if (n < 0 || ab_buf_printf(&b, "%s%s", b.len ? " " : "",
                               ab_time_format(now, iso, sizeof iso))) {
        ab_buf_free(&b);
        return NULL;
    }
    (*count)++;
    return ab_buf_steal(&b);
}
