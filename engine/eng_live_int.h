/*
 * eng_live_int.h - private to engine/eng_live*.c: reading the live read
 * model's parts from the store (eng_live_read.c), for the policy of when
 * to read them (eng_live.c).
 */
#ifndef AB_ENG_LIVE_INT_H
#define AB_ENG_LIVE_INT_H

#include "engine/eng_int.h"

/* How many of the newest cycles the status page lists. */
#define ENG_LIVE_RECENT 10

/* Read everything into v (empty before; its gen is left alone).  Each
 * part is best effort, as in eng_view_check.  AB_ENOMEM only. */
enum ab_err eng_live_read_all(eng *e, ab_time now, struct eng_live_view *v) AB_MUST_CHECK;
/* Read again the parts every check shares (open alerts, silences, pauses,
 * the outbox, the inbox) and point each check at its alert. */
enum ab_err eng_live_read_shared(eng *e, ab_time now,
                                 struct eng_live_view *v) AB_MUST_CHECK;
/* Read again check i's own parts (status, last run, schedule, cycles). */
enum ab_err eng_live_read_check(eng *e, ab_time now, struct eng_live_view *v,
                                size_t i) AB_MUST_CHECK;
/* Read again the newest cycles of all heartbeats. */
enum ab_err eng_live_read_recent(eng *e, ab_time now,
                                 struct eng_live_view *v) AB_MUST_CHECK;
/* The earliest cycle deadline after now in v (the words "waiting" turn
 * into "no reply" then), AB_TIME_NONE if none. */
ab_time eng_live_next_deadline(const struct eng_live_view *v, ab_time now);
/* Free what v holds (v itself is the caller's). */
void eng_live_view_clear(struct eng_live_view *v);

#endif
