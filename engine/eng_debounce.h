/*
 * eng_debounce.h - private to engine/: what one result means for an item's
 * alert, decided from plain facts (engine/eng_debounce.c).
 *
 * No store, no engine handle, no clock: the caller reads the item's state
 * and open alert, passes them in, and carries out the decision (stores the
 * state, opens, updates or resolves the alert, queues the notice).  So the
 * rules (confirm after N, recover after M, flapping, worse news, what
 * holds a notice, which notice it is) are one function each, tested
 * without a database (tests/unit/test_engine_debounce.c).
 */
#ifndef AB_ENG_DEBOUNCE_H
#define AB_ENG_DEBOUNCE_H

#include <stdint.h>

#include "common/ab_status.h"
#include "common/ab_time.h"

/* An item's debounced state, as kept from one result to the next. */
struct eng_db_state {
    enum ab_status status; /* the status alerts are based on */
    int good_streak;       /* consecutive Healthy results */
    int bad_streak;        /* consecutive non-Healthy results */
};

/* The item's open alert, as far as the decision needs it. */
struct eng_db_alert {
    int open;              /* 0: none (the rest is not read) */
    int priority;          /* 1 highest */
    enum ab_status status;
    const char *message;   /* may be NULL */
    int told;              /* notices sent about it (notify_count) */
};

struct eng_db_in {
    struct eng_db_state before;
    enum ab_status result; /* the new result's status */
    const char *message;   /* its message; NULL: the status's name */
    int confirm, recover;  /* the check's thresholds (1: at once) */
    int priority;          /* the check's priority= (0: by status) */
    int64_t cycle_id;      /* a heartbeat verdict: the cycle it is about; else 0 */
    int flips;             /* status changes in the 24 hours before now */
    int flap_limit;        /* alerting/@flap-limit (0: off) */
    struct eng_db_alert alert;
};

enum eng_db_action {
    ENG_DB_NONE,    /* Healthy and no alert: nothing to do */
    ENG_DB_OPEN,    /* not Healthy and no alert: open one */
    ENG_DB_KEEP,    /* not Healthy and an alert: it stays open */
    ENG_DB_RESOLVE, /* Healthy and an alert: resolve it */
};

struct eng_db_out {
    struct eng_db_state after;
    int flipped;   /* Healthy to not Healthy or back: record a flip */
    int changed;   /* the status changed at all (since = now) */
    int flapping;  /* with this result's flip counted: over the limit */
    enum eng_db_action action;
    int priority;  /* OPEN, KEEP: the alert's priority from now */
    int update;    /* KEEP: status or message differ from the alert's */
    int worse;     /* KEEP: a more urgent priority, or a worse status at
                    * the same priority (priority= fixed) */
    int announce;  /* KEEP: news (worse, or a verdict about cycle_id) */
    int tell_resolved; /* RESOLVE: tell who was told, unless it flaps */
};

/* Fold one result into the item's state and say what the alert does. */
void eng_debounce(const struct eng_db_in *in, struct eng_db_out *out);

/* Priority of a status: Offline 1, Failing 2, Degraded 3 (seed 001), or
 * the check's fixed priority= when not 0. */
int eng_db_priority(int fixed, enum ab_status s);

/* What may hold an alert's notices, as the caller found it. */
struct eng_db_hold {
    int maintenance; /* a maintenance window covers the check */
    int flapping;    /* the item flaps (its "~flapping" alert speaks) */
    int parent_bad;  /* a depends-on parent is not Healthy */
    int dismissed;   /* dismissed, or snoozed and the snooze not over */
};
/* Why notices must wait ("maintenance", "flapping", "dependency",
 * "dismissed", in that order), or NULL when they may go out. */
const char *eng_db_held(const struct eng_db_hold *h);

/* Is a dismissal (at; until, AB_TIME_NONE: until resolved) in force? */
int eng_db_dismissed(ab_time at, ab_time until, ab_time now);

/* The first notice of an alert: a heartbeat nobody confirmed says so with
 * its own detailed message. */
const char *eng_db_opened_message(int heartbeat, enum ab_status status);

/* News about an alert: one that just opened, or one that stays open and
 * got worse or a new heartbeat verdict. */
struct eng_db_news {
    int heartbeat;         /* the check is a heartbeat */
    enum ab_status status; /* the alert's status now */
    int told;              /* notices sent about it so far */
    int worse;             /* the news is worse (ends any dismissal) */
    ab_time dismissed_at, dismissed_until, now;
    struct eng_db_hold hold; /* .dismissed is worked out here */
};
struct eng_db_notice {
    int undismiss;       /* the news ends the dismissal: a plain one ends
                          * with its episode, a snooze only when worse */
    const char *held;    /* why the notice waits (eng_db_held), or NULL */
    const char *message; /* the template to send; NULL when held */
};
void eng_db_notice(const struct eng_db_news *in, struct eng_db_notice *out);

/* The status changes of the last 24 hours in flips (space-separated ISO
 * times, NULL as ""), as of now. */
int eng_db_recent_flips(const char *flips, ab_time now);
/* flips with those older than 24 hours dropped and now added; *count is
 * how many it holds.  Caller frees with ab_free; NULL: out of memory. */
char *eng_db_record_flip(const char *flips, ab_time now, int *count);

#endif
