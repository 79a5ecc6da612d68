/*
 * store.h - the state database: the only place with SQL about state.
 *
 * One SQLite file in WAL mode holds everything ackbeat must not forget:
 * runs and results, alerts, heartbeat cycles and their tokens and
 * acknowledgements, the outbox, and the inbox's progress.  Every instant
 * is stored as ISO 8601 UTC text ("2026-12-01T08:00:00Z") so that
 * `sqlite3 state.db` is readable by a person, and compares correctly as
 * text.
 *
 * The schema is versioned (PRAGMA user_version); store_open() applies the
 * missing migrations in one transaction and refuses a database written by
 * a newer ackbeat.  A store handle is not thread-safe: one per thread.
 *
 * Sections below follow the tables; each section's functions live in the
 * store/ file named in its heading.
 */
#ifndef AB_STORE_H
#define AB_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_err.h"
#include "common/ab_status.h"
#include "common/ab_time.h"
#include "common/ab_token.h"

typedef struct store store;

/* ===== core (store/store.c) ========================================== */

/* The newest schema version this binary knows. */
#define STORE_SCHEMA_VERSION 8

/*
 * Open (creating if needed) the database at path, switch it to WAL, and
 * migrate it.  AB_EVERSION if the file is newer than this binary.
 * On success *out is owned by the caller: store_close() it.
 */
enum ab_err store_open(const char *path, store **out, ab_errmsg *em) AB_MUST_CHECK;
void store_close(store *st);

/*
 * The file under a running daemon: AB_ESTORE, saying which, when the
 * database at the opened path was deleted or replaced since store_open
 * (device and inode compared).  Cheap: one stat(2); call it every tick.
 */
enum ab_err store_check_file(store *st, ab_errmsg *em) AB_MUST_CHECK;
/*
 * One daemon per database: an advisory lock held until store_close (or
 * the process's death).  AB_EBUSY with a clear message when another
 * process holds it.  One-shot commands do not take it.
 */
enum ab_err store_lock_daemon(store *st, ab_errmsg *em) AB_MUST_CHECK;
/*
 * This database's random Message-ID part (hex, "" for a database that
 * sent alert notices before it had one).  out has len bytes (>= 16).
 */
enum ab_err store_msgid_salt(store *st, char *out, size_t len,
                             ab_errmsg *em) AB_MUST_CHECK;

/* The schema version of the open database. */
int store_schema_version(store *st);

/*
 * Transactions.  store_begin() takes the write lock at once (BEGIN
 * IMMEDIATE) so that two ackbeat processes serialise on claims instead of
 * failing half-way; the busy timeout absorbs short waits.  Calls nest:
 * an inner begin/commit is a savepoint, and only the outermost commit
 * makes anything durable.  Every begin is paired with exactly one commit
 * or rollback.
 */
enum ab_err store_begin(store *st, ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_commit(store *st, ab_errmsg *em) AB_MUST_CHECK;
void store_rollback(store *st);

/* PRAGMA integrity_check == "ok"; detail names the first problem. */
enum ab_err store_integrity_check(store *st, ab_errmsg *em) AB_MUST_CHECK;

/* Test seam: make the Nth following SQLite step fail (n < 0: off). */
void store_fail_after(store *st, long n);

/* Small key/value table for bookkeeping (last tick, start-up time). */
enum ab_err store_meta_get(store *st, const char *key, char **value,
                           ab_errmsg *em) AB_MUST_CHECK; /* *value NULL if unset; free with ab_free */
enum ab_err store_meta_set(store *st, const char *key, const char *value,
                           ab_errmsg *em) AB_MUST_CHECK;

/* ===== runs and results (store/store_runs.c) ================================ */

/* The statuses and struct ab_result (the old names store_status and
 * store_result still work) are common/ab_status.h's. */

/* Start a run (status Pending).  type is "Information" or "Action";
 * trigger is "schedule", "manual", "report" or "cache". */
enum ab_err store_run_begin(store *st, const char *check, const char *type,
                            const char *trigger, ab_time started,
                            int64_t *run_id, ab_errmsg *em) AB_MUST_CHECK;
/* Store the results and mark the run Complete, in one transaction. */
enum ab_err store_run_complete(store *st, int64_t run_id, int64_t execution_ms,
                               int from_cache, const struct ab_result *res,
                               size_t nres, const char *remedy_note,
                               ab_errmsg *em) AB_MUST_CHECK;

/* A past run with its results; free with store_run_free. */
struct store_run {
    int64_t id;
    char *check;
    char *type;
    char *trigger;
    int complete;
    ab_time started;
    int64_t execution_ms;
    int from_cache;
    char *remedy_note;
    struct ab_result *results; /* strings owned by the run */
    size_t nresults;
};
void store_run_free(struct store_run *r);
/* The newest Complete run of check, or AB_ENOTFOUND. */
enum ab_err store_run_last(store *st, const char *check, struct store_run **out,
                           ab_errmsg *em) AB_MUST_CHECK;
/* The newest Complete run that really executed (not from the cache). */
enum ab_err store_run_last_fresh(store *st, const char *check,
                                 struct store_run **out, ab_errmsg *em) AB_MUST_CHECK;
/* Up to limit runs, newest first; caller frees each and the array (ab_free). */
enum ab_err store_run_history(store *st, const char *check, size_t limit,
                              struct store_run ***out, size_t *n,
                              ab_errmsg *em) AB_MUST_CHECK;

/* ===== check state between ticks (store/store_checkstate.c) ================ */

/* The engine's memory of one check item: debouncing and flapping. */
struct store_check_state {
    char *check;
    char *item;
    enum ab_status status; /* the status alerts are based on */
    ab_time since;            /* when status last changed */
    int bad_streak;           /* consecutive non-Healthy results */
    int good_streak;          /* consecutive Healthy results */
    char *flips;              /* space-separated ISO times of recent changes */
    int64_t last_run_id;
};
void store_check_state_free(struct store_check_state *s);
/* AB_ENOTFOUND when the item has no state yet. */
enum ab_err store_check_state_get(store *st, const char *check, const char *item,
                                  struct store_check_state **out,
                                  ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_check_state_put(store *st, const struct store_check_state *s,
                                  ab_errmsg *em) AB_MUST_CHECK;
/* All items of a check (or of every check when check is NULL). */
enum ab_err store_check_state_list(store *st, const char *check,
                                   struct store_check_state ***out, size_t *n,
                                   ab_errmsg *em) AB_MUST_CHECK;

/* The worst debounced status over a check's items, as an enum
 * ab_status; -1 when the check has no state yet (or on error). */
int store_check_worst(store *st, const char *check);

/* When a check was first seen and last fired, and when it is next due. */
struct store_sched_state {
    ab_time first_seen;
    ab_time last_fire; /* AB_TIME_NONE if never */
    ab_time next_due;  /* AB_TIME_NONE if unknown */
};
/* AB_ENOTFOUND if the check has never been seen. */
enum ab_err store_sched_get(store *st, const char *check,
                            struct store_sched_state *out, ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_sched_put(store *st, const char *check,
                            const struct store_sched_state *s, ab_errmsg *em) AB_MUST_CHECK;

/* Every check's bookkeeping at once, sorted by name (byte order, as
 * strcmp), for a tick over many checks.  Free with store_sched_rows_free. */
struct store_sched_row {
    char *check;
    struct store_sched_state state;
};
enum ab_err store_sched_all(store *st, struct store_sched_row **out, size_t *n,
                            ab_errmsg *em) AB_MUST_CHECK;
void store_sched_rows_free(struct store_sched_row *v, size_t n);

/* ===== alerts (store/store_alerts.c) ======================================== */

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

/* ===== retention (store/store_retention.c) ================================== */

/*
 * Delete history older than `before`: complete runs and their results
 * (never a check's newest run), pings (never a check's newest start and
 * finish), and resolved alerts with their events and notices.  Open
 * alerts, queued mail and heartbeat cycles are never touched.  In one
 * transaction; *deleted (may be NULL) gets the number of runs deleted.
 */
enum ab_err store_purge_history(store *st, ab_time before, int64_t *deleted,
                                ab_errmsg *em) AB_MUST_CHECK;

/* ===== pings from jobs that report in (store/store_pings.c) ================= */

enum store_ping_kind {
    STORE_PING_START = 0,   /* the job started */
    STORE_PING_SUCCESS = 1, /* it finished well */
    STORE_PING_FAIL = 2,    /* it finished badly */
    STORE_PING_EXIT = 3,    /* it finished with an exit code */
};
const char *store_ping_kind_name(enum store_ping_kind k);
enum ab_err store_ping_add(store *st, const char *check, ab_time at,
                           enum store_ping_kind kind, int exit_code,
                           const char *via, const char *detail,
                           ab_errmsg *em) AB_MUST_CHECK;
/* The newest start and the newest finish (success, fail or exit) of a
 * check; AB_TIME_NONE when there is none.  *finish_ok tells whether the
 * newest finish was good (success, or exit 0). */
struct store_ping_summary {
    ab_time last_start;
    ab_time last_finish;
    int finish_ok;
    int exit_code;     /* of the newest finish, -1 if not an exit ping */
    char via[16];      /* "http", "email", "cli" */
    char detail[256];  /* the newest finish's message (cut), "" if none */
};
enum ab_err store_ping_summary(store *st, const char *check,
                               struct store_ping_summary *out,
                               ab_errmsg *em) AB_MUST_CHECK;

/* ===== heartbeat cycles, tokens, acknowledgements (store/store_cycles.c) ==== */

/* One person asked in a cycle, and what came back. */
struct store_cycle_rcpt {
    char *address;
    char *token;
    ab_time issued;
    ab_time confirmed;      /* first verified acknowledgement, or AB_TIME_NONE */
    char *confirmed_by;     /* who sent it (a delegate, perhaps); NULL if none */
    char *excerpt;          /* first lines of the reply; NULL if none */
    int unverified;         /* acks from senders that are not allowed */
    ab_time bounced;        /* AB_TIME_NONE unless a bounce names this token */
    char *bounce_detail;
    ab_time autoreplied;    /* an auto-reply (out of office) came back */
    char *autoreply_detail;
};

/* A heartbeat cycle (seed 000): one firing, its tokens, its verdict. */
struct store_cycle {
    int64_t id;
    char *check;
    ab_time opened, deadline;
    ab_time reminder_at;    /* AB_TIME_NONE: no reminder */
    int reminded;
    int quorum;             /* confirmations needed */
    char *status;           /* "Pending", "Healthy", "Failing", "Held" */
    ab_time verdict_at;     /* AB_TIME_NONE while Pending */
    struct store_cycle_rcpt *rcpts; /* by address */
    size_t nrcpts;
    size_t confirmed;       /* recipients with a verified acknowledgement */
};
void store_cycle_free(struct store_cycle *c);
void store_cycle_list_free(struct store_cycle **v, size_t n);

enum ab_err store_cycle_open(store *st, const char *check, ab_time opened,
                             ab_time deadline, ab_time reminder_at, int quorum,
                             int64_t *id, ab_errmsg *em) AB_MUST_CHECK;
/* Record a token issued to recipient in cycle (message_id: its heartbeat's). */
enum ab_err store_cycle_add_token(store *st, int64_t cycle_id, const char *token,
                                  const char *recipient, ab_time issued,
                                  const char *message_id, ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_cycle_get(store *st, int64_t id, struct store_cycle **out,
                            ab_errmsg *em) AB_MUST_CHECK;
/* Cycles newest first: of check (NULL: all); with open_only, only those
 * still Pending or Held.  Free with store_cycle_list_free. */
enum ab_err store_cycle_list(store *st, const char *check, int open_only,
                             size_t limit, struct store_cycle ***out, size_t *n,
                             ab_errmsg *em) AB_MUST_CHECK;
/* Set the verdict unless it already is that: AB_EEXIST then (a claim). */
enum ab_err store_cycle_verdict(store *st, int64_t id, const char *status,
                                ab_time at, ab_errmsg *em) AB_MUST_CHECK;
/* Claim the reminder of a cycle (once); AB_EEXIST if already claimed. */
enum ab_err store_cycle_claim_reminder(store *st, int64_t id, ab_errmsg *em) AB_MUST_CHECK;
/*
 * A confirmation taken by other means (by phone: `ackbeat ack`): an
 * acknowledgement of token by `by`, verified.  *cycle_id is the token's
 * cycle.  AB_ENOTFOUND if the token was never issued.
 */
enum ab_err store_ack_manual(store *st, const char *token, const char *by,
                             const char *note, ab_time at, int64_t *cycle_id,
                             ab_errmsg *em) AB_MUST_CHECK;

/* The newest unverified acknowledgement of token (store/store_unverified.c):
 * who sent it and the inbox's note on its message (*detail may be NULL:
 * a manual one).  Caller ab_free's both.  AB_ENOTFOUND when none. */
enum ab_err store_ack_unverified(store *st, const char *token, char **by, char **detail,
                                 ab_errmsg *em) AB_MUST_CHECK;

/* Per address: cycles missed in a row, last confirmation, last bounce. */
struct store_recipient {
    char *address;
    int missed_streak;
    ab_time last_confirmed;
    ab_time bounced_at;
    char *bounce_detail;
};
void store_recipient_free(struct store_recipient *r);
/* After a verdict: confirmed resets the streak, else it grows. */
enum ab_err store_recipient_tally(store *st, const char *address, int confirmed,
                                  ab_time at, ab_errmsg *em) AB_MUST_CHECK;
/* AB_ENOTFOUND when the address was never tallied nor bounced. */
enum ab_err store_recipient_get(store *st, const char *address,
                                struct store_recipient **out,
                                ab_errmsg *em) AB_MUST_CHECK;

/* Addresses that bounced or missed at least min_missed cycles in a row. */
enum ab_err store_recipient_flagged(store *st, int min_missed,
                                    struct store_recipient ***out, size_t *n,
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

/* ===== outbox (store/store_outbox.c) ======================================== */

/*
 * Every outgoing message is stored here before it is sent, with one row
 * per recipient.  A message is 'queued' while any recipient is; then
 * 'sent' when all were accepted, or 'failed' when any was refused for
 * good or the message grew too old.  The mailer (mailer/mail_outbox.c)
 * decides; these functions only record.
 */
enum store_outbox_status {
    STORE_OUTBOX_QUEUED = 0,
    STORE_OUTBOX_SENT = 1,
    STORE_OUTBOX_FAILED = 2,
};
const char *store_outbox_status_name(enum store_outbox_status s); /* "queued"... */

/*
 * Store a message (the bytes as they will be sent) and its recipients in
 * one transaction, queued and due at now.  Duplicate recipients are
 * stored once.  kind, ref and subject are for listings and may be NULL.
 * AB_EEXIST if message_id is already in the outbox.  *id may be NULL.
 */
enum ab_err store_outbox_put(store *st, const void *msg, size_t len,
                             const char *message_id, const char *sender,
                             const char *const *rcpts, size_t nrcpts,
                             const char *kind, const char *ref,
                             const char *subject, ab_time now, int64_t *id,
                             ab_errmsg *em) AB_MUST_CHECK;

/* Ids of queued messages with next_attempt <= now, oldest first, at most
 * limit (0: all).  Caller frees *ids with ab_free (NULL when *n == 0). */
enum ab_err store_outbox_due(store *st, ab_time now, size_t limit,
                             int64_t **ids, size_t *n,
                             ab_errmsg *em) AB_MUST_CHECK;

/* One message as the sender needs it. */
struct store_outbox_msg {
    int64_t id;
    enum store_outbox_status status;
    ab_time created;
    int attempts;
    char *message_id;
    char *sender;
    char *kind;     /* may be NULL */
    char *ref;      /* may be NULL */
    char *subject;  /* may be NULL */
    char *body;     /* len bytes, NUL-terminated as well */
    size_t len;
    char **rcpts;   /* the recipients still queued */
    size_t nrcpts;
    size_t nrcpts_total; /* all recipients, whatever their state */
};
/* Load message id; AB_ENOTFOUND if there is none.  Free with
 * store_outbox_msg_free. */
enum ab_err store_outbox_get(store *st, int64_t id, struct store_outbox_msg **out,
                             ab_errmsg *em) AB_MUST_CHECK;
void store_outbox_msg_free(struct store_outbox_msg *m);

/* The outcome of one attempt at one message. */
struct store_outbox_rcpt_update {
    const char *rcpt;
    enum store_outbox_status status; /* sent, failed, or queued (a retry) */
    const char *error;               /* the reply or local error, may be NULL */
};
struct store_outbox_attempt {
    const struct store_outbox_rcpt_update *rcpts;
    size_t nrcpts;
    ab_time now;
    ab_time next_attempt; /* used when recipients remain queued */
    int give_up;          /* fail every recipient still queued */
    const char *error;    /* the message's last error, may be NULL */
};
/*
 * Record an attempt in one transaction: update the recipients, count the
 * attempt, and settle the message: 'sent' (sent_at = now) when no
 * recipient is queued or failed, 'failed' when none is queued but one
 * failed, else queued until next_attempt.  Only a queued message is
 * changed (AB_ENOTFOUND otherwise).  *status (may be NULL) gets the
 * message's state afterwards.
 */
enum ab_err store_outbox_record(store *st, int64_t id,
                                const struct store_outbox_attempt *a,
                                enum store_outbox_status *status,
                                ab_errmsg *em) AB_MUST_CHECK;

/*
 * The same two for many messages in a row (a drain): the batch keeps its
 * statements prepared, which is most of what get and record cost.  It
 * borrows st; free it before store_close().  A batch is as
 * single-threaded as its store.
 */
typedef struct store_outbox_batch store_outbox_batch;
enum ab_err store_outbox_batch_new(store *st, store_outbox_batch **out,
                                   ab_errmsg *em) AB_MUST_CHECK;
void store_outbox_batch_free(store_outbox_batch *b);
enum ab_err store_outbox_batch_get(store_outbox_batch *b, int64_t id,
                                   struct store_outbox_msg **out,
                                   ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_outbox_batch_record(store_outbox_batch *b, int64_t id,
                                      const struct store_outbox_attempt *a,
                                      enum store_outbox_status *status,
                                      ab_errmsg *em) AB_MUST_CHECK;

/* Listings for `ackbeat outbox`. */
struct store_outbox_rcpt {
    char *rcpt;
    enum store_outbox_status status;
    char *last_error; /* may be NULL */
};
struct store_outbox_entry {
    int64_t id;
    enum store_outbox_status status;
    char *message_id;
    char *sender;
    char *kind, *ref, *subject; /* may be NULL */
    int attempts;
    ab_time created;
    ab_time next_attempt;
    ab_time sent_at;  /* AB_TIME_NONE unless sent */
    char *last_error; /* may be NULL */
    struct store_outbox_rcpt *rcpts;
    size_t nrcpts;
};
/*
 * Queued and failed messages (all != 0: sent ones too), oldest first; with
 * limit > 0 only the newest limit of them.  Free with
 * store_outbox_list_free(*out, *n).
 */
enum ab_err store_outbox_list(store *st, int all, size_t limit,
                              struct store_outbox_entry **out, size_t *n,
                              ab_errmsg *em) AB_MUST_CHECK;
void store_outbox_list_free(struct store_outbox_entry *v, size_t n);

/* Counts for status pages and metrics. */
struct store_outbox_counts {
    int64_t queued, sent, failed;
    ab_time oldest_queued; /* creation of the oldest queued; AB_TIME_NONE if none */
};
enum ab_err store_outbox_counts(store *st, struct store_outbox_counts *out,
                                ab_errmsg *em) AB_MUST_CHECK;

/* Retention: delete sent and failed messages created before `before`,
 * with their recipients; queued ones are never touched.  *deleted (may
 * be NULL) gets how many messages went. */
enum ab_err store_outbox_purge(store *st, ab_time before, int64_t *deleted,
                               ab_errmsg *em) AB_MUST_CHECK;

/* ===== inbox progress and seen messages (store/store_inbox.c) =============== */

/* Where reading a mailbox stands (inbox_state).  uidvalidity -1: never read. */
struct store_inbox_state {
    int64_t uidvalidity;
    int64_t last_uid;
    ab_time last_ok;      /* last poll that read the mailbox; AB_TIME_NONE */
    ab_time last_attempt;
    char *last_error;     /* NULL when the last attempt succeeded; ab_free */
};
/* AB_ENOTFOUND when the mailbox was never polled (st->uidvalidity = -1). */
enum ab_err store_inbox_state_get(store *st, const char *mailbox,
                                  struct store_inbox_state *out,
                                  ab_errmsg *em) AB_MUST_CHECK;
/* Advance the progress; call inside the transaction that records the
 * messages up to last_uid, so both commit or neither does. */
enum ab_err store_inbox_progress(store *st, const char *mailbox, int64_t uidvalidity,
                                 int64_t last_uid, ab_errmsg *em) AB_MUST_CHECK;
/* The outcome of a poll: err NULL = success (sets last_ok and clears
 * last_error), else the error text (last_ok is kept). */
enum ab_err store_inbox_attempt(store *st, const char *mailbox, ab_time now,
                                const char *err, ab_errmsg *em) AB_MUST_CHECK;

/* Was this message recorded already: same (mailbox, uidvalidity, uid), or
 * the same Message-ID in any mailbox (a rescan after a UIDVALIDITY change,
 * a copy in another folder)?  message_id may be NULL. */
enum ab_err store_inbox_seen(store *st, const char *mailbox, int64_t uidvalidity,
                             int64_t uid, const char *message_id, int *seen,
                             ab_errmsg *em) AB_MUST_CHECK;

/* One handled message and what it means.  All borrowed. */
struct store_inbox_rec {
    const char *mailbox;
    int64_t uidvalidity, uid;
    const char *message_id; /* required: a synthetic one when the mail had none */
    ab_time received;
    const char *klass;      /* "ack", "autoreply", "bounce", "forged", "ping",
                               "unrelated", "skipped" */
    const char *token;      /* NULL when none */
    int issued;             /* token was issued (only then are tokens rows touched) */
    const char *from_addr;
    const char *detail;     /* free text for inbox_messages.detail */
    /* ack: of a heartbeat's cycle, or a reply to an alert's notice */
    int64_t cycle_id;
    int64_t alert_id;       /* non-zero: a reply to an alert (no acks row) */
    const char *for_addr;   /* the token's recipient */
    int verified;
    const char *excerpt;
    int has_cmd;            /* the reply carries a command (dismiss, ...) */
    /* bounce: only a bounce of an issued token flags anyone, and then
     * the token's recipient (for_addr), whatever address failed */
    const char *bounce_line; /* who failed and why, for people */
    int delay;              /* a delay warning: recorded, no address flagged */
    /* ping */
    const char *ping_check;
};
/*
 * Record rec: an inbox_messages row, plus per class an acks row (unique
 * on message_id) or, for a reply to an alert, an alert_events 'reply'
 * row, tokens.bounced_at/bounce_detail and recipients.bounced_at,
 * tokens.autoreply_at/autoreply_detail, or a pings row (via 'email').
 * Idempotent: *dup = 1 and nothing changes when store_inbox_seen() would
 * say so.  Call inside a transaction (store_begin).
 */
enum ab_err store_inbox_record(store *st, const struct store_inbox_rec *rec,
                               int *dup, ab_errmsg *em) AB_MUST_CHECK;

/* ===== tokens (store/store_tokens.c) ======================================== */

/* A heartbeat's token: its cycle and recipient (*recipient: ab_free).
 * AB_ENOTFOUND when token was never issued. */
enum ab_err store_token_lookup(store *st, const char *token, int64_t *cycle_id,
                               char **recipient, ab_errmsg *em) AB_MUST_CHECK;

/* The token that recipient's notices about alert_id carry: the one
 * issued before, else a fresh one recorded at now.  Call inside the
 * transaction that queues the notice. */
enum ab_err store_alert_token(store *st, int64_t alert_id, const char *recipient,
                              ab_time now, char token[AB_TOKEN_LEN + 1],
                              ab_errmsg *em) AB_MUST_CHECK;
/* The alert an alert token was issued for, and to whom (*recipient:
 * ab_free).  AB_ENOTFOUND when it was not. */
enum ab_err store_alert_token_lookup(store *st, const char *token, int64_t *alert_id,
                                     char **recipient, ab_errmsg *em) AB_MUST_CHECK;
/* Either kind: sets *cycle_id for a heartbeat's token or *alert_id for an
 * alert's (the other 0).  AB_ENOTFOUND when token was never issued. */
enum ab_err store_token_owner(store *st, const char *token, int64_t *cycle_id,
                              int64_t *alert_id, char **recipient,
                              ab_errmsg *em) AB_MUST_CHECK;

/* Everyone who was sent a notice of alert_id with a reply token, in the
 * order they were first told.  Free each string and the array. */
enum ab_err store_alert_notified(store *st, int64_t alert_id, char ***out, size_t *n,
                                 ab_errmsg *em) AB_MUST_CHECK;

/* The heartbeat token that was live for addr at time at: the newest one
 * issued to it no later than at (an hour of clock skew allowed).
 * *recipient: ab_free.  AB_ENOTFOUND when there is none. */
enum ab_err store_token_live_for(store *st, const char *addr, ab_time at,
                                 char token[AB_TOKEN_LEN + 1], int64_t *cycle_id,
                                 char **recipient, ab_errmsg *em) AB_MUST_CHECK;

/* ===== web queries (store/store_webq.c) === */

/* The inbox over every mailbox read so far (for metrics and the status
 * page): how many, the newest successful read and attempt (AB_TIME_NONE
 * if never), and the newest error (NULL if none; the caller ab_free's it). */
struct store_webq_inbox {
    int mailboxes;
    ab_time last_ok;
    ab_time last_attempt;
    char *last_error;
};
enum ab_err store_webq_inbox(store *st, struct store_webq_inbox *out,
                             ab_errmsg *em) AB_MUST_CHECK;

/* Open alerts: all of them, and the active ones (not dismissed, or a
 * snooze that ended by now) in all and by priority (index 1-3; 4 holds 4
 * and lower priorities; 0 is unused). */
struct store_webq_alert_counts {
    int64_t open;
    int64_t active;
    int64_t by_priority[5];
};
enum ab_err store_webq_alert_counts(store *st, ab_time now,
                                    struct store_webq_alert_counts *out,
                                    ab_errmsg *em) AB_MUST_CHECK;

/* ---- totals for /metrics' counters (store_metrics.c) ------------------------------
 * Never decreasing: what retention purges is folded into meta first. */
struct store_count {
    char *name;  /* check, inbox class, or mail status */
    char *sub;   /* pings: the kind ("start", "success", "fail", "exit"); else NULL */
    int64_t n;
};
struct store_metric_counts {
    struct store_count *runs;   /* completed runs per check, by name */
    size_t nruns;
    struct store_count *pings;  /* pings per check and kind */
    size_t npings;
    struct store_count *inbox;  /* inbox messages per class */
    size_t ninbox;
    int64_t mail_sent, mail_failed; /* outgoing mail, per recipient */
};
/* Fill *out (free with store_metric_counts_free, also after an error). */
enum ab_err store_metric_counts(store *st, struct store_metric_counts *out,
                                ab_errmsg *em) AB_MUST_CHECK;
void store_metric_counts_free(struct store_metric_counts *c);
/* Called by the purges, in their transaction, just before they delete:
 * add what they are about to delete to the folded totals. */
enum ab_err store_metric_fold_runs(store *st, ab_time before, ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_metric_fold_pings(store *st, ab_time before, ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_metric_fold_mail(store *st, ab_time before, ab_errmsg *em) AB_MUST_CHECK;

/* ===== channel deliveries (store/store_deliveries.c) ==========================
 * A notice for a channel (webhook, ntfy, slack, matrix, command) waits
 * here as the outbox's mail does: stored first, in the transaction that
 * decides it, then sent by the channels' drain, retried with backoff,
 * and marked sent once the endpoint accepted it.  (channel, txn) is
 * unique: queueing the same notice twice is AB_EEXIST, as a repeated
 * Message-ID is for mail, and txn is the idempotency key a receiver sees
 * (Matrix's transaction id), so a retry is never a second message. */
struct store_delivery {
    int64_t id;
    char *channel;        /* the channel's name */
    char *kind;           /* the notice: "alert-opened", "alert-resolved", ... */
    char *ref;            /* the alert id, may be NULL */
    char *txn;            /* stable per notice and channel */
    char *summary;        /* one line for listings, may be NULL */
    char *body;           /* what the channel's kind sends (JSON) */
    size_t len;
    enum store_outbox_status status;
    int attempts;
    ab_time created, next_attempt, sent_at;
    char *last_error;     /* may be NULL */
};
void store_delivery_free(struct store_delivery *d);
void store_deliveries_free(struct store_delivery **v, size_t n);
/* Queue one (status queued, due at now).  *id may be NULL. */
enum ab_err store_delivery_put(store *st, const char *channel, const char *kind,
                               const char *ref, const char *txn, const char *summary,
                               const char *body, size_t len, ab_time now, int64_t *id,
                               ab_errmsg *em) AB_MUST_CHECK;
/* Ids of queued deliveries due at now, oldest first (free with ab_free). */
enum ab_err store_delivery_due(store *st, ab_time now, int64_t **ids, size_t *n,
                               ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_delivery_get(store *st, int64_t id, struct store_delivery **out,
                               ab_errmsg *em) AB_MUST_CHECK;
/* Record an attempt: status sent (sent_at = now), failed (given up), or
 * queued again with next_attempt.  error may be NULL.  AB_ENOTFOUND if
 * the delivery is no longer queued. */
enum ab_err store_delivery_record(store *st, int64_t id, enum store_outbox_status status,
                                  ab_time now, ab_time next_attempt, const char *error,
                                  ab_errmsg *em) AB_MUST_CHECK;
/* Queued and failed deliveries (all: sent too), oldest first; limit > 0:
 * the newest limit. */
enum ab_err store_delivery_list(store *st, int all, size_t limit,
                                struct store_delivery ***out, size_t *n,
                                ab_errmsg *em) AB_MUST_CHECK;
/* Retention: delete sent and failed deliveries created before `before`;
 * queued ones are never touched.  *deleted (may be NULL) gets how many. */
enum ab_err store_delivery_purge(store *st, ab_time before, int64_t *deleted,
                                 ab_errmsg *em) AB_MUST_CHECK;

/* Is mail failing (store/store_deliveries.c, for the channel fallback)?  The
 * creation time of the oldest queued outbox message that has been tried
 * at least once and is still queued, or AB_TIME_NONE when there is none
 * (mail flows); *last_error (may be NULL; caller frees) its last error. */
enum ab_err store_mail_failing_since(store *st, ab_time *since, char **last_error,
                                     ab_errmsg *em) AB_MUST_CHECK;

/* Was alert id ever dismissed or snoozed (store/store_climb.c)?  Its
 * escalation climbs no further once it was. */
enum ab_err store_alert_climb_stopped(store *st, int64_t id, int *yes,
                                      ab_errmsg *em) AB_MUST_CHECK;

/* ===== silences and pauses (store/store_silences.c) ==========================
 * A silence matches alerts by check name (a glob), item and tag; each
 * matcher NULL matches anything.  It is active from starts until ends,
 * or until expired (set by `silence expire`). */
struct store_silence {
    int64_t id;
    char *check_glob, *item, *tag; /* NULL: any */
    ab_time starts, ends, created, expired; /* expired: AB_TIME_NONE unless */
    char *created_by, *comment;    /* comment may be NULL */
};
void store_silences_free(struct store_silence *v, size_t n);
enum ab_err store_silence_add(store *st, const struct store_silence *s, int64_t *id,
                              ab_errmsg *em) AB_MUST_CHECK;
/* Silences not yet ended or expired at now (all: every one), by id. */
enum ab_err store_silence_list(store *st, int all, ab_time now, struct store_silence **out,
                               size_t *n, ab_errmsg *em) AB_MUST_CHECK;
/* End one now; AB_ENOTFOUND if there is no such silence still running. */
enum ab_err store_silence_expire(store *st, int64_t id, ab_time now,
                                 ab_errmsg *em) AB_MUST_CHECK;

struct store_pause {
    char *check;
    ab_time until;  /* AB_TIME_NONE: until resumed */
    char *by, *note;
    ab_time at;
};
void store_pauses_free(struct store_pause *v, size_t n);
/* Pause check (replacing an earlier pause), or resume it (AB_ENOTFOUND
 * if it was not paused). */
enum ab_err store_pause_set(store *st, const char *check, ab_time until, const char *by,
                            const char *note, ab_time now, ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_pause_clear(store *st, const char *check, ab_errmsg *em) AB_MUST_CHECK;
/* Every pause still in force at now. */
enum ab_err store_pause_list(store *st, ab_time now, struct store_pause **out, size_t *n,
                             ab_errmsg *em) AB_MUST_CHECK;

/* ===== the monthly report (store/store_report.c) ==============================
 * Read-only looks at one window [from, to) of history. */

/* An alert open at some time in the window (one outage of its check);
 * resolved is AB_TIME_NONE while it is still open. */
struct store_outage {
    char *check, *item, *status;
    ab_time opened, resolved;
};
void store_outages_free(struct store_outage *v, size_t n);
/* Alerts opened before to and not resolved by from, by check and opening
 * (names starting with '~' left out).  Free with store_outages_free. */
enum ab_err store_report_outages(store *st, ab_time from, ab_time to,
                                 struct store_outage **out, size_t *n,
                                 ab_errmsg *em) AB_MUST_CHECK;

/* One person asked by one heartbeat check in the window's cycles. */
struct store_answer_rate {
    char *check, *recipient;
    int64_t asked;     /* cycles (tokens) that asked them */
    int64_t confirmed; /* of those, with a verified acknowledgement */
    int64_t bounced;   /* of those, whose request bounced */
};
void store_answer_rates_free(struct store_answer_rate *v, size_t n);
/* Over the cycles opened in the window, by check and recipient. */
enum ab_err store_report_answer_rates(store *st, ab_time from, ab_time to,
                                      struct store_answer_rate **out, size_t *n,
                                      ab_errmsg *em) AB_MUST_CHECK;

/* Who bounced in the window: how often, when last, and the newest detail
 * as stored ("failed: kim@x.example: 550 5.1.1 ..."; may be NULL). */
struct store_report_bounce {
    char *recipient, *detail;
    int64_t count;
    ab_time last;
};
void store_report_bounces_free(struct store_report_bounce *v, size_t n);
enum ab_err store_report_bounces(store *st, ab_time from, ab_time to,
                                 struct store_report_bounce **out, size_t *n,
                                 ab_errmsg *em) AB_MUST_CHECK;

#endif
