/*
 * test_engine_debounce.c - what one result means for an item's alert
 * (engine/eng_debounce.c), from plain facts: no database, no engine.
 *
 * Each table row is one situation the engine meets (confirm after N,
 * recover after M, flapping, worse news, a verdict, maintenance, a
 * dismissal or a snooze) and the decision it must come to.
 */
#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"
#include "common/ab_time.h"
#include "engine/eng_debounce.h"
#include "tests/unit/harness.h"

#define H AB_HEALTHY
#define D AB_DEGRADED
#define F AB_FAILING
#define O AB_OFFLINE

struct db_case {
    const char *name;
    struct eng_db_in in;
    /* expected */
    struct eng_db_state after;
    int flipped, changed, flapping;
    enum eng_db_action action;
    int priority, update, worse, announce, tell_resolved;
};

/* An alert open at status s, priority p, message m, told t times. */
#define ALERT(s, p, m, t) {.open = 1, .priority = (p), .status = (s), .message = (m), .told = (t)}

static const struct db_case db_cases[] = {
    {"the first bad result of confirm=3 changes nothing yet",
     {.before = {H, 4, 0}, .result = F, .confirm = 3, .recover = 1},
     {H, 0, 1}, 0, 0, 0, ENG_DB_NONE, 0, 0, 0, 0, 0},
    {"the third bad result in a row of confirm=3 opens at Failing, P2",
     {.before = {H, 0, 2}, .result = F, .confirm = 3, .recover = 1},
     {F, 0, 3}, 1, 1, 0, ENG_DB_OPEN, 2, 0, 0, 0, 0},
    {"confirm=1 opens at once; Offline is P1",
     {.before = {H, 9, 0}, .result = O, .confirm = 1, .recover = 1},
     {O, 0, 1}, 1, 1, 0, ENG_DB_OPEN, 1, 0, 0, 0, 0},
    {"a good result between bad ones starts the count again",
     {.before = {H, 0, 2}, .result = H, .confirm = 3, .recover = 1},
     {H, 1, 0}, 0, 0, 0, ENG_DB_NONE, 0, 0, 0, 0, 0},
    {"the check's priority= wins over the status's",
     {.before = {H, 0, 0}, .result = D, .confirm = 1, .recover = 1, .priority = 1},
     {D, 0, 1}, 1, 1, 0, ENG_DB_OPEN, 1, 0, 0, 0, 0},
    {"one good result of recover=2 keeps the alert, quietly",
     {.before = {F, 0, 3}, .result = H, .confirm = 3, .recover = 2,
      .alert = ALERT(F, 2, "Failing", 1)},
     {F, 1, 0}, 0, 0, 0, ENG_DB_KEEP, 2, 0, 0, 0, 0},
    {"the second good result of recover=2 resolves and tells who was told",
     {.before = {F, 1, 0}, .result = H, .confirm = 3, .recover = 2,
      .alert = ALERT(F, 2, "Failing", 1)},
     {H, 2, 0}, 1, 1, 0, ENG_DB_RESOLVE, 0, 0, 0, 0, 1},
    {"an alert nobody was told about (held) resolves without a notice",
     {.before = {F, 0, 1}, .result = H, .confirm = 1, .recover = 1,
      .alert = ALERT(F, 2, "Failing", 0)},
     {H, 1, 0}, 1, 1, 0, ENG_DB_RESOLVE, 0, 0, 0, 0, 0},
    {"a flip past flap-limit is flapping: the resolve is not told",
     {.before = {F, 0, 1}, .result = H, .confirm = 1, .recover = 1, .flips = 3,
      .flap_limit = 3, .alert = ALERT(F, 2, "Failing", 1)},
     {H, 1, 0}, 1, 1, 1, ENG_DB_RESOLVE, 0, 0, 0, 0, 0},
    {"reaching flap-limit is not over it",
     {.before = {H, 0, 0}, .result = F, .confirm = 1, .recover = 1, .flips = 2,
      .flap_limit = 3},
     {F, 0, 1}, 1, 1, 0, ENG_DB_OPEN, 2, 0, 0, 0, 0},
    {"an item over the limit still flaps without a new flip",
     {.before = {H, 2, 0}, .result = H, .confirm = 1, .recover = 1, .flips = 4,
      .flap_limit = 3},
     {H, 3, 0}, 0, 0, 1, ENG_DB_NONE, 0, 0, 0, 0, 0},
    {"flap-limit 0 is off, however many flips",
     {.before = {H, 0, 0}, .result = F, .confirm = 1, .recover = 1, .flips = 99},
     {F, 0, 1}, 1, 1, 0, ENG_DB_OPEN, 2, 0, 0, 0, 0},
    {"Degraded to Failing: a more urgent priority is worse news",
     {.before = {D, 0, 5}, .result = F, .confirm = 1, .recover = 1,
      .alert = ALERT(D, 3, "Degraded", 1)},
     {F, 0, 6}, 0, 1, 0, ENG_DB_KEEP, 2, 1, 1, 1, 0},
    {"Degraded to Failing waits for confirm too",
     {.before = {D, 0, 1}, .result = F, .confirm = 3, .recover = 1,
      .alert = ALERT(D, 3, "Degraded", 1)},
     {D, 0, 2}, 0, 0, 0, ENG_DB_KEEP, 3, 0, 0, 0, 0},
    {"Failing to Degraded is better: stored, not announced",
     {.before = {F, 0, 5}, .result = D, .confirm = 1, .recover = 1,
      .alert = ALERT(F, 2, "Failing", 1)},
     {D, 0, 6}, 0, 1, 0, ENG_DB_KEEP, 3, 1, 0, 0, 0},
    {"priority= fixed: a worse status at the same priority is worse",
     {.before = {D, 0, 5}, .result = F, .confirm = 1, .recover = 1, .priority = 1,
      .alert = ALERT(D, 1, "Degraded", 1)},
     {F, 0, 6}, 0, 1, 0, ENG_DB_KEEP, 1, 1, 1, 1, 0},
    {"priority= fixed: Offline to Degraded is not worse",
     {.before = {O, 0, 5}, .result = D, .confirm = 1, .recover = 1, .priority = 1,
      .alert = ALERT(O, 1, "Offline", 1)},
     {D, 0, 6}, 0, 1, 0, ENG_DB_KEEP, 1, 1, 0, 0, 0},
    {"a priority rising without a status change (priority= raised) is worse",
     {.before = {F, 0, 5}, .result = F, .confirm = 1, .recover = 1, .priority = 1,
      .message = "Failing", .alert = ALERT(F, 2, "Failing", 1)},
     {F, 0, 6}, 0, 0, 0, ENG_DB_KEEP, 1, 0, 1, 1, 0},
    {"a new message is stored but is not news",
     {.before = {F, 0, 5}, .result = F, .message = "5 rows", .confirm = 1, .recover = 1,
      .alert = ALERT(F, 2, "3 rows", 1)},
     {F, 0, 6}, 0, 0, 0, ENG_DB_KEEP, 2, 1, 0, 0, 0},
    {"the same status and message: nothing to store",
     {.before = {F, 0, 5}, .result = F, .confirm = 1, .recover = 1,
      .alert = ALERT(F, 2, "Failing", 1)},
     {F, 0, 6}, 0, 0, 0, ENG_DB_KEEP, 2, 0, 0, 0, 0},
    {"a heartbeat verdict about a cycle is news of its own",
     {.before = {F, 0, 1}, .result = F, .message = "nobody confirmed", .confirm = 1,
      .recover = 1, .cycle_id = 7, .alert = ALERT(F, 2, "nobody confirmed", 1)},
     {F, 0, 2}, 0, 0, 0, ENG_DB_KEEP, 2, 0, 0, 1, 0},
    {"a Healthy verdict resolves the heartbeat's alert",
     {.before = {F, 0, 1}, .result = H, .confirm = 1, .recover = 1, .cycle_id = 8,
      .alert = ALERT(F, 2, "nobody confirmed", 1)},
     {H, 1, 0}, 1, 1, 0, ENG_DB_RESOLVE, 0, 0, 0, 0, 1},
};

TEST(debounce_table)
{
    for (size_t i = 0; i < sizeof db_cases / sizeof db_cases[0]; i++) {
        const struct db_case *c = &db_cases[i];
        struct eng_db_out o;
        memset(&o, 0x5a, sizeof o);
        eng_debounce(&c->in, &o);
        int ok = o.after.status == c->after.status &&
                 o.after.good_streak == c->after.good_streak &&
                 o.after.bad_streak == c->after.bad_streak && o.flipped == c->flipped &&
                 o.changed == c->changed && o.flapping == c->flapping &&
                 o.action == c->action && o.priority == c->priority &&
                 o.update == c->update && o.worse == c->worse &&
                 o.announce == c->announce && o.tell_resolved == c->tell_resolved;
        if (!ok)
            t_fail(__FILE__, __LINE__,
                   "%s: got status %d streaks %d/%d flipped %d changed %d flapping %d "
                   "action %d priority %d update %d worse %d announce %d tell %d",
                   c->name, o.after.status, o.after.good_streak, o.after.bad_streak,
                   o.flipped, o.changed, o.flapping, o.action, o.priority, o.update,
                   o.worse, o.announce, o.tell_resolved);
    }
}

/* A walk through results one at a time, as the engine feeds them. */
TEST(confirm_then_recover_walk)
{
    const enum ab_status seq[] = {F, F, H, F, F, F, H, F, H, H};
    const enum eng_db_action want[] = {ENG_DB_NONE, ENG_DB_NONE, ENG_DB_NONE,
                                       ENG_DB_NONE, ENG_DB_NONE, ENG_DB_OPEN,
                                       ENG_DB_KEEP, ENG_DB_KEEP, ENG_DB_KEEP,
                                       ENG_DB_RESOLVE};
    struct eng_db_state s = {H, 0, 0};
    int open = 0;
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        struct eng_db_in in = {.before = s, .result = seq[i], .confirm = 3, .recover = 2};
        if (open)
            in.alert = (struct eng_db_alert)ALERT(F, 2, "Failing", 1);
        struct eng_db_out o;
        eng_debounce(&in, &o);
        if (o.action != want[i])
            t_fail(__FILE__, __LINE__, "result %zu: action %d, expected %d", i, o.action,
                   want[i]);
        open = o.action == ENG_DB_OPEN || o.action == ENG_DB_KEEP;
        s = o.after;
    }
    CHECK_INT(s.status, H);
    CHECK_INT(s.good_streak, 2);
}

struct notice_case {
    const char *name;
    struct eng_db_news in;
    int undismiss;
    const char *held, *message; /* NULL: none */
};

#define NOW 1000000
#define NONE AB_TIME_NONE

static const struct notice_case notice_cases[] = {
    {"a new alert is announced as opened",
     {.status = F, .dismissed_at = NONE, .dismissed_until = NONE, .now = NOW},
     0, NULL, "alert-opened"},
    {"a new heartbeat alert at Failing says nobody confirmed",
     {.heartbeat = 1, .status = F, .dismissed_at = NONE, .dismissed_until = NONE, .now = NOW},
     0, NULL, "nobody-confirmed"},
    {"a held heartbeat verdict (Offline: inbox unreadable) opens as an alert",
     {.heartbeat = 1, .status = O, .dismissed_at = NONE, .dismissed_until = NONE, .now = NOW},
     0, NULL, "alert-opened"},
    {"held during maintenance",
     {.status = F, .dismissed_at = NONE, .dismissed_until = NONE, .now = NOW,
      .hold = {.maintenance = 1}},
     0, "maintenance", NULL},
    {"maintenance is named before a bad parent",
     {.status = F, .dismissed_at = NONE, .dismissed_until = NONE, .now = NOW,
      .hold = {.maintenance = 1, .parent_bad = 1, .flapping = 1}},
     0, "maintenance", NULL},
    {"flapping before a bad parent",
     {.status = F, .dismissed_at = NONE, .dismissed_until = NONE, .now = NOW,
      .hold = {.parent_bad = 1, .flapping = 1}},
     0, "flapping", NULL},
    {"a bad parent speaks for its child",
     {.status = F, .dismissed_at = NONE, .dismissed_until = NONE, .now = NOW,
      .hold = {.parent_bad = 1}},
     0, "dependency", NULL},
    {"worse news about a told alert",
     {.status = F, .told = 2, .worse = 1, .dismissed_at = NONE, .dismissed_until = NONE,
      .now = NOW},
     0, NULL, "alert-worse"},
    {"worse news never told before is still the opening notice",
     {.status = F, .told = 0, .worse = 1, .dismissed_at = NONE, .dismissed_until = NONE,
      .now = NOW},
     0, NULL, "alert-opened"},
    {"a new failed cycle of a told heartbeat says nobody confirmed again",
     {.heartbeat = 1, .status = F, .told = 1, .dismissed_at = NONE,
      .dismissed_until = NONE, .now = NOW},
     0, NULL, "nobody-confirmed"},
    {"a new held verdict of a told heartbeat is a repeat",
     {.heartbeat = 1, .status = O, .told = 1, .dismissed_at = NONE,
      .dismissed_until = NONE, .now = NOW},
     0, NULL, "alert-repeated"},
    {"a plain dismissal ends with a new verdict",
     {.heartbeat = 1, .status = F, .told = 1, .dismissed_at = NOW - 50,
      .dismissed_until = NONE, .now = NOW},
     1, NULL, "nobody-confirmed"},
    {"a plain dismissal ends with worse news",
     {.status = F, .told = 1, .worse = 1, .dismissed_at = NOW - 50,
      .dismissed_until = NONE, .now = NOW},
     1, NULL, "alert-worse"},
    {"a snooze keeps its end time through a verdict: held",
     {.heartbeat = 1, .status = F, .told = 1, .dismissed_at = NOW - 50,
      .dismissed_until = NOW + 3600, .now = NOW},
     0, "dismissed", NULL},
    {"a snooze ends with worse news",
     {.status = F, .told = 1, .worse = 1, .dismissed_at = NOW - 50,
      .dismissed_until = NOW + 3600, .now = NOW},
     1, NULL, "alert-worse"},
    {"a snooze that ran out holds nothing",
     {.heartbeat = 1, .status = F, .told = 1, .dismissed_at = NOW - 50,
      .dismissed_until = NOW, .now = NOW},
     0, NULL, "nobody-confirmed"},
    {"worse news ends a dismissal even in maintenance, but is held",
     {.status = F, .told = 1, .worse = 1, .dismissed_at = NOW - 50,
      .dismissed_until = NONE, .now = NOW, .hold = {.maintenance = 1}},
     1, "maintenance", NULL},
};

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

TEST(notice_table)
{
    for (size_t i = 0; i < sizeof notice_cases / sizeof notice_cases[0]; i++) {
        const struct notice_case *c = &notice_cases[i];
        struct eng_db_notice o;
        eng_db_notice(&c->in, &o);
        if (o.undismiss != c->undismiss || !same(o.held, c->held) ||
            !same(o.message, c->message))
            t_fail(__FILE__, __LINE__, "%s: got undismiss %d held %s message %s", c->name,
                   o.undismiss, o.held ? o.held : "-", o.message ? o.message : "-");
    }
}

TEST(dismissed_until_resolved_or_until_its_end)
{
    CHECK(!eng_db_dismissed(NONE, NONE, NOW));
    CHECK(eng_db_dismissed(NOW - 1, NONE, NOW));
    CHECK(eng_db_dismissed(NOW - 1, NOW + 1, NOW));
    CHECK(!eng_db_dismissed(NOW - 1, NOW, NOW));
    struct eng_db_hold h = {.dismissed = 1};
    CHECK_STR(eng_db_held(&h), "dismissed");
    h.dismissed = 0;
    CHECK(eng_db_held(&h) == NULL);
}

TEST(priorities_of_seed_001)
{
    CHECK_INT(eng_db_priority(0, O), 1);
    CHECK_INT(eng_db_priority(0, F), 2);
    CHECK_INT(eng_db_priority(0, D), 3);
    CHECK_INT(eng_db_priority(2, O), 2);
}

static ab_time at(const char *iso)
{
    ab_time t = 0;
    if (ab_time_parse(iso, &t) != AB_OK)
        t = 0;
    return t;
}

TEST(flips_of_the_last_day_are_kept_and_counted)
{
    const char *flips = "2026-03-01T09:00:00Z 2026-03-02T08:00:00Z junk "
                        "2026-03-02T09:30:00Z";
    ab_time now = at("2026-03-02T10:00:00Z");
    /* 25 hours ago is out; the unparseable word is skipped. */
    CHECK_INT(eng_db_recent_flips(flips, now), 2);
    CHECK_INT(eng_db_recent_flips(NULL, now), 0);
    CHECK_INT(eng_db_recent_flips("", now), 0);
    int n = -1;
    char *s = eng_db_record_flip(flips, now, &n);
    CHECK(s != NULL);
    CHECK_INT(n, 3);
    CHECK_STR(s, "2026-03-02T08:00:00Z 2026-03-02T09:30:00Z 2026-03-02T10:00:00Z");
    CHECK_INT(eng_db_recent_flips(s, now), 3);
    ab_free(s);
    s = eng_db_record_flip(NULL, now, &n);
    CHECK(s != NULL);
    CHECK_INT(n, 1);
    CHECK_STR(s, "2026-03-02T10:00:00Z");
    ab_free(s);
}
