/*
 * store_alerts.h - alerts and what is told about them: the alerts with
 * their claims (store/store_alerts.c), the notices waiting to be emailed
 * (store_notices.c), the history and what people said
 * (store_alerts.c), whether escalation stopped (store_climb.c), and the
 * reply commands the inbox recorded (store_cycles.c).
 *
 * Every claim is a compare-and-set in the transaction that records it,
 * so two processes on one database never send the same notice twice.
 */
#ifndef AB_STORE_ALERTS_H
#define AB_STORE_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_err.h"
#include "common/ab_status.h"
#include "common/ab_time.h"
#include "store/store.h"

struct store_alert {
    int64_t id;
    char *check;
    char *item;
    char *kind;           /* "check", "heartbeat", "inbox", "flapping" */
    int priority;         /* 1 highest */
    enum ab_status status;
    char *message;
    ab_time opened;
    ab_time last_notified; /* AB_TIME_NONE if never */
    int notify_count;
    int level;            /* escalation level, 0 = first recipients */
    ab_time resolved;     /* AB_TIME_NONE while open */
    int resolved_notified;
    ab_time dismissed_at; /* AB_TIME_NONE unless dismissed */
    char *dismissed_by;
    char *dismiss_note;
    ab_time dismissed_until; /* AB_TIME_NONE: until resolved */
    char *held_by;        /* parent check holding it, or NULL */
    char *thread_msgid;   /* Message-ID of the first notice */
    char *previous_status; /* the status before its latest change; NULL when
                              it opened on a check never seen Healthy */
    int64_t cycle_id;     /* heartbeat: the cycle its latest verdict is about; 0 */
};
void store_alert_free(struct store_alert *a);

/*
 * Open an alert.  The database allows one open alert per check and item,
 * so of two processes racing, one gets AB_EEXIST: that is the claim.
 */
enum ab_err store_alert_open(store *st, const char *check, const char *item,
                             const char *kind, int priority,
                             enum ab_status status, const char *message,
                             ab_time now, int64_t *id, ab_errmsg *em) AB_MUST_CHECK;
/* The open alert of check/item, or AB_ENOTFOUND. */
enum ab_err store_alert_find_open(store *st, const char *check, const char *item,
                                  struct store_alert **out, ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_alert_get(store *st, int64_t id, struct store_alert **out,
                            ab_errmsg *em) AB_MUST_CHECK;
/* A worse or better status while it stays open (the status it leaves
 * becomes previous_status). */
enum ab_err store_alert_set_status(store *st, int64_t id, int priority,
                                   enum ab_status status, const char *message,
                                   ab_errmsg *em) AB_MUST_CHECK;
/* The status before the alert (NULL: none, the check was never seen
 * Healthy); set_status keeps it as the status before each change. */
enum ab_err store_alert_set_previous(store *st, int64_t id, const char *previous,
                                     ab_errmsg *em) AB_MUST_CHECK;
/* The heartbeat cycle the alert's latest verdict is about (0: none). */
enum ab_err store_alert_set_cycle(store *st, int64_t id, int64_t cycle_id,
                                  ab_errmsg *em) AB_MUST_CHECK;
/* Was check/item ever seen Healthy: a Healthy result, or a resolved alert? */
enum ab_err store_alert_seen_healthy(store *st, const char *check, const char *item,
                                     int *yes, ab_errmsg *em) AB_MUST_CHECK;
/*
 * Claim the right to send notification number expect_count + 1: succeeds
 * only if nobody else has since (compare-and-set on notify_count), else
 * AB_EEXIST.  Sets last_notified, level, and the thread id if unset.
 */
enum ab_err store_alert_claim_notify(store *st, int64_t id, int expect_count,
                                     ab_time at, int level, const char *thread_msgid,
                                     ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_alert_resolve(store *st, int64_t id, ab_time at,
                                ab_errmsg *em) AB_MUST_CHECK;
/* Claim the resolved notice (once); AB_EEXIST if already claimed. */
enum ab_err store_alert_claim_resolved_notice(store *st, int64_t id,
                                              ab_errmsg *em) AB_MUST_CHECK;
/* Dismiss (until may be AB_TIME_NONE); undismiss clears it. */
enum ab_err store_alert_dismiss(store *st, int64_t id, const char *by,
                                const char *note, ab_time until, ab_time at,
                                ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_alert_undismiss(store *st, int64_t id, ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_alert_set_held(store *st, int64_t id, const char *held_by,
                                 ab_errmsg *em) AB_MUST_CHECK;
/* Open alerts by priority then age; with include_closed, newest closed
 * ones after them, up to limit in all (0: no limit).  Free each and the
 * array. */
enum ab_err store_alert_list(store *st, int include_closed, size_t limit,
                             struct store_alert ***out, size_t *n,
                             ab_errmsg *em) AB_MUST_CHECK;
/* A notice waiting to be emailed (store/store_notices.c). */
struct store_notice {
    int64_t id;
    ab_time created;
    char *rcpt;
    int64_t alert_id;
    char *message;      /* template: alert-opened, alert-resolved, ... */
    int level;
    char *seq;          /* "n3" or "resolved": part of the Message-ID */
    int priority;
    ab_time not_before; /* quiet hours end */
};
void store_notices_free(struct store_notice *v, size_t n);
enum ab_err store_notice_add(store *st, const struct store_notice *n,
                             ab_errmsg *em) AB_MUST_CHECK;
/* Every notice due at now (not_before <= now), by recipient then age. */
enum ab_err store_notices_due(store *st, ab_time now, struct store_notice **out,
                              size_t *n, ab_errmsg *em) AB_MUST_CHECK;
/* Remove a notice once its email is queued (same transaction). */
enum ab_err store_notice_done(store *st, int64_t id, ab_errmsg *em) AB_MUST_CHECK;
/* The earliest not_before still waiting, or AB_TIME_NONE. */
ab_time store_notices_next(store *st);

/* The alert's history: opened, notified, escalated, dismissed, ... */
enum ab_err store_alert_event(store *st, int64_t id, ab_time at, const char *event,
                              const char *by, const char *detail,
                              ab_errmsg *em) AB_MUST_CHECK;

/* One entry of an alert's history. */
struct store_alert_ev {
    ab_time at;
    char *event;  /* "note", "reply", ... */
    char *by;     /* may be NULL */
    char *detail; /* may be NULL */
};
/* What people said about alert id (events "note" and "reply"): the
 * newest limit of them, oldest first.  Free with store_alert_notes_free. */
enum ab_err store_alert_notes(store *st, int64_t id, size_t limit,
                              struct store_alert_ev **out, size_t *n,
                              ab_errmsg *em) AB_MUST_CHECK;
void store_alert_notes_free(struct store_alert_ev *v, size_t n);

/* Was alert id ever dismissed or snoozed (store/store_climb.c)?  Its
 * escalation climbs no further once it was. */
enum ab_err store_alert_climb_stopped(store *st, int64_t id, int *yes,
                                      ab_errmsg *em) AB_MUST_CHECK;

/* Reply commands the inbox recorded and nobody acted on yet. */
struct store_reply_cmd {
    int64_t id;            /* inbox_messages.id */
    char *token;
    char *from_addr;
    char *detail;          /* contains "cmd=dismiss", "cmd=snooze:SECS" or "cmd=note:TEXT" */
    ab_time received;
};
void store_reply_cmds_free(struct store_reply_cmd *v, size_t n);
enum ab_err store_reply_cmds_pending(store *st, struct store_reply_cmd **out,
                                     size_t *n, ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_reply_cmd_done(store *st, int64_t id, ab_errmsg *em) AB_MUST_CHECK;

#endif
