/*
 * eng.h - the engine: one tick of ackbeat's work at a given time.
 *
 * A tick decides what is due (schedules/), runs it (checks/), records
 * runs and results (store/), turns results into alert transitions, renders
 * notices (templates/) and queues them (mailer/ outbox), then drains the
 * outbox.  The engine never reads the clock: "now" is every call's
 * parameter, which is what lets a test walk through a month in seconds.
 *
 * An eng borrows its config and store; both must outlive it.  A config
 * reload is eng_set_config() with a model that loaded cleanly.
 */
#ifndef AB_ENG_H
#define AB_ENG_H

#include <stddef.h>
#include <stdint.h>

#include "checks/chk.h"
#include "common/ab_err.h"
#include "common/ab_time.h"
#include "config/cfg.h"
#include "store/store.h"
#include "store/store_alerts.h"
#include "store/store_checkstate.h"
#include "store/store_claims.h"
#include "store/store_cycles.h"
#include "store/store_deliveries.h"
#include "store/store_metrics.h"
#include "store/store_outbox.h"
#include "store/store_pings.h"
#include "store/store_runs.h"
#include "store/store_silences.h"
#include "store/store_web.h"

typedef struct eng eng;

/*
 * template_dir is the folder of the default templates (may be NULL when
 * the config names a templates folder that has every message).
 */
enum ab_err eng_new(const cfg *c, store *st, const char *template_dir,
                    eng **out, ab_errmsg *em) AB_MUST_CHECK;
void eng_free(eng *e);

/* Swap in a new model (borrowed; the old one may be freed after). */
enum ab_err eng_set_config(eng *e, const cfg *c, ab_errmsg *em) AB_MUST_CHECK;

/* Send nothing: queue notices but do not drain the outbox (for tests
 * and for `tick --no-send`). */
void eng_set_send(eng *e, int send);

struct eng_tick_stats {
    size_t checks_run;      /* checks executed */
    size_t checks_cached;   /* results reused from the cache */
    size_t checks_held;     /* skipped: maintenance */
    size_t checks_elsewhere; /* due, but claimed by another node (eng_node.c) */
    size_t alerts_opened;
    size_t alerts_resolved;
    size_t notices_queued;  /* emails put in the outbox */
    size_t mail_sent;
    size_t mail_failed;     /* given up on for good */
    size_t mail_deferred;   /* will be retried */
    size_t errors;          /* steps that failed and were logged */
};

/*
 * One pass of all due work at now.  A failing check, send or poll is
 * recorded and logged and the tick goes on; an error is returned only
 * when the state database itself fails.
 */
enum ab_err eng_tick(eng *e, ab_time now, struct eng_tick_stats *stats,
                     ab_errmsg *em) AB_MUST_CHECK;

/* When the next tick has work: the earliest fire time, retry or poll
 * after now (never later than now + the config's tick). */
ab_time eng_next_wakeup(eng *e, ab_time now);

/*
 * Run one check now regardless of its schedule (`ackbeat run-check`),
 * record it and evaluate alerts as a tick would.  *run_id is the stored
 * run; the outcome is returned for printing (free with chk_outcome_free).
 */
enum ab_err eng_run_check(eng *e, const char *name, ab_time now,
                          struct chk_outcome **out, int64_t *run_id,
                          ab_errmsg *em) AB_MUST_CHECK;

/*
 * A target reports its own result (`ackbeat report`, POST /report):
 * stored as a run with trigger "report" and evaluated like any other.
 */
enum ab_err eng_report(eng *e, const char *check, const char *item,
                       enum ab_status status, int has_value, double value,
                       const char *message, ab_time now,
                       ab_errmsg *em) AB_MUST_CHECK;

/*
 * A job that reports in (HTTP /ping, email to LOCAL+NAME@, `ackbeat
 * report`): record the ping and evaluate the check at once.  via is
 * "http", "email" or "cli"; exit_code is used with STORE_PING_EXIT.
 */
enum ab_err eng_ping(eng *e, const char *check, enum store_ping_kind kind,
                     int exit_code, const char *via, const char *detail,
                     ab_time now, ab_errmsg *em) AB_MUST_CHECK;
/*
 * A ping that carries a run id (Healthchecks' ?rid=, engine/eng_pingrun.c):
 * a start and the finish with the same rid are one run; the finish's
 * detail says how long that run took, and a run with no finish of its own
 * within grace= makes the check Failing.  rid NULL: eng_ping.  AB_EINVAL
 * when rid is not a UUID (em says what is wanted).  The _atomic form is
 * one transaction with all it leads to (HTTP).
 */
enum ab_err eng_ping_rid(eng *e, const char *check, enum store_ping_kind kind, int exit_code,
                         const char *via, const char *detail, const char *rid, ab_time now,
                         ab_errmsg *em) AB_MUST_CHECK;
enum ab_err eng_ping_rid_atomic(eng *e, const char *check, enum store_ping_kind kind,
                                int exit_code, const char *via, const char *detail,
                                const char *rid, ab_time now, ab_errmsg *em) AB_MUST_CHECK;
/* Is rid a run id (a UUID, 8-4-4-4-12 hex digits)? */
int eng_rid_valid(const char *rid);

/* The daemon's start time: silence before a full period after it is
 * not yet a missing report. */
void eng_set_started(eng *e, ab_time t);
/* A command given --now: what the inbox records is stamped with the
 * tick's now, not with the time the mail server received it. */
void eng_set_stamp_now(eng *e, int on);

/*
 * Open a heartbeat cycle now (`ackbeat send`): tokens, one email per
 * recipient, all queued in one transaction.  *cycle_id may be NULL.
 */
enum ab_err eng_cycle_open(eng *e, const struct cfg_check *k, ab_time now,
                           int64_t *cycle_id, ab_errmsg *em) AB_MUST_CHECK;

/* What one inbox poll did. */
struct eng_inbox_result {
    int polled;          /* 0: not due yet */
    size_t fetched, duplicates;
    size_t counts[8];    /* per inbox class (inbox/inbox.h enum inbox_class) */
    char error[512];     /* why the mailbox could not be read; "" if it was */
};
/*
 * Poll the inbox if its interval has passed (or always, with force).
 * A mailbox that cannot be read is not an error here: it is recorded
 * (the verdicts then wait) and described in res->error.
 */
enum ab_err eng_inbox_poll(eng *e, ab_time now, int force,
                           struct eng_inbox_result *res, ab_errmsg *em) AB_MUST_CHECK;

/* Act on reply commands (dismiss, snooze, note) the inbox recorded. */
enum ab_err eng_reply_commands(eng *e, ab_time now, ab_errmsg *em) AB_MUST_CHECK;

/* Dismiss or snooze an alert (until = AB_TIME_NONE: until resolved). */
enum ab_err eng_dismiss(eng *e, int64_t alert_id, const char *by,
                        const char *note, ab_time until, ab_time now,
                        ab_errmsg *em) AB_MUST_CHECK;

/* ---- what /metrics reads (engine/eng_metrics.c) --------------------------------
 * One read of everything the metrics page shows, so that web/ asks the
 * engine and never the store. */
struct eng_check_metrics {
    const struct cfg_check *k; /* borrowed from the config */
    int status;                /* worst debounced status of its items; -1: none yet */
    int has_run;               /* a completed run exists: */
    ab_time last_run;          /*   its start */
    int64_t exec_ms;           /*   its execution time */
    int has_value;
    double value;              /* its first item's value */
    int64_t runs_total;        /* completed runs ever (retention folded in) */
};
struct eng_cycle_metrics {
    const struct cfg_check *k; /* the heartbeat check, borrowed */
    size_t asked, confirmed, bounced;
    int quorum;
};
struct eng_metrics {
    struct eng_check_metrics *checks; /* config order */
    size_t nchecks;
    struct eng_cycle_metrics *cycles; /* the newest open cycle of each heartbeat */
    size_t ncycles;
    struct store_metric_counts counts; /* pings, inbox classes, mail sent/failed */
    int have_alerts;
    struct store_webq_alert_counts alerts;
    int have_outbox;
    struct store_outbox_counts outbox;
    int have_inbox;                    /* an <inbox> is configured and was read */
    struct store_webq_inbox inbox;     /* inbox.last_error is owned */
};
/* Fill *out as of now; free with eng_metrics_free (also after an error). */
enum ab_err eng_metrics_read(eng *e, ab_time now, struct eng_metrics *out,
                             ab_errmsg *em) AB_MUST_CHECK;
void eng_metrics_free(struct eng_metrics *m);

/* ---- what people read (engine/eng_words.c) ------------------------------------
 * One wording for what came back from a person asked, shared by `acks`,
 * `status`, the web and the "nobody confirmed" notice, so that they never
 * disagree.  These read the config and the store only (a view may have no
 * engine). */

/* The zone times in mail to email are written in: the person's own
 * timezone=, else the site's.  Borrowed from the config. */
const char *eng_zone_for(const cfg *c, const char *email);

/* A stored bounce detail ("failed: kim@x.example: 550 5.1.1 user unknown",
 * "delayed: ...") as a reason for people, written into buf: the "failed:"
 * or "delayed:" word goes, and so does the address when it is recipient's
 * own ("550 5.1.1 user unknown"; a forwarding target stays: "forwarded to
 * kim@y.example: 550 ...").  *delayed (may be NULL) is set for a delay
 * warning.  Returns buf ("" for NULL). */
char *eng_bounce_reason(const char *detail, const char *recipient, int *delayed, char *buf,
                        size_t len);

/* An inbox detail without the internal words (via=, cmd=, unverified). */
char *eng_inbox_words(const char *detail, char *buf, size_t len);

enum eng_rcpt_state {
    ENG_RCPT_CONFIRMED = 0,
    ENG_RCPT_BOUNCED,
    ENG_RCPT_UNVERIFIED, /* a reply that proves nothing: the reason says why */
    ENG_RCPT_AUTOREPLY,
    ENG_RCPT_DELAYED,    /* a delay warning: not a failure, not flagged */
    ENG_RCPT_WAITING,    /* nothing yet, before the deadline */
    ENG_RCPT_NO_REPLY,   /* nothing, and the deadline has passed */
};
struct eng_rcpt_words {
    enum eng_rcpt_state state;
    const char *word;   /* "confirmed", "bounced", "unverified reply",
                           "auto-reply only", "delayed", "waiting", "no reply" */
    const char *cls;    /* "healthy", "failing", "degraded", "unknown" (pages) */
    ab_time when;       /* of the confirmation, bounce or auto-reply; or NONE */
    char by[320];       /* a confirmation by someone else: who; else "" */
    char reason[768];   /* "550 5.1.1 user unknown", "from lee@elsewhere.example:
                           not the address asked"; "" if none */
    char flag[768];     /* "missed 2 in a row", "bounced before: 550 ..."; "" */
};
/*
 * What came back from r in cycle c, as of now.  st may be NULL (then no
 * flag and no unverified reason).  A flag clears on a confirmation newer
 * than its cause: this cycle's, or one recorded for the address since.
 */
void eng_rcpt_words(const cfg *c, store *st, const struct store_cycle *cy,
                    const struct store_cycle_rcpt *r, ab_time now,
                    struct eng_rcpt_words *out);
/*
 * Why an address is flagged, in words, or 0 when it is not: "missed 2 in a
 * row" (missed_limit or more), "bounced: 550 ..." (a bounce with no
 * confirmation since).  confirmed_at is the newest confirmation the
 * caller knows of (AB_TIME_NONE if none) beyond rr->last_confirmed.
 */
int eng_recipient_flag(const struct store_recipient *rr, int missed_limit,
                       ab_time confirmed_at, char *buf, size_t len);

/* Where a ping check with a token= is pinged: by mail at LOCAL+TOKEN@DOMAIN
 * (LOCAL@DOMAIN: <inbox reply-address>), over HTTP at /ping/TOKEN (after
 * <web base-url> when set).  Each returns 1 with buf filled, or 0 (buf "")
 * when the check has no token or there is no inbox / no web. */
int eng_ping_address(const cfg *c, const struct cfg_check *k, char *buf, size_t len);
int eng_ping_url(const cfg *c, const struct cfg_check *k, char *buf, size_t len);

/* ---- silences and pauses (engine/eng_silence.c) --------------------------------
 * These read the store only, so the CLI and the web can ask without an
 * engine.  A silence drops the notices of the alerts it matches while it
 * is active (the check still runs and records); a pause stops the check
 * altogether. */

/* Does silence s match check k's item at now (window, glob, item, tag)? */
int eng_silence_matches(const struct store_silence *s, const struct cfg_check *k,
                        const char *item, ab_time now);
/* The id of the first silence matching k/item at now, or 0. */
int64_t eng_silenced(store *st, const struct cfg_check *k, const char *item, ab_time now);
/* Is check paused at now?  *until (may be NULL) gets its end
 * (AB_TIME_NONE: until resumed). */
int eng_paused(store *st, const char *check, ab_time now, ab_time *until);
/* One matcher "check=GLOB", "item=ITEM" or "tag=TAG" into s (its strings
 * are s's: store_silences_free).  AB_EINVAL naming the matcher. */
enum ab_err eng_silence_parse(const char *arg, struct store_silence *s,
                              ab_errmsg *em) AB_MUST_CHECK;
/* "check=orders-* tag=finance" for listings. */
void eng_silence_describe(const struct store_silence *s, char *buf, size_t len);

/* ---- the read model: what the CLI, the pages, the API and /metrics show ----
 * (engine/eng_view*.c).  cli/ and web/ never read the store: they open an
 * engine and format what these give them.  The store's row types (struct
 * store_run, store_alert, ...) are the view's types; each is freed by
 * the eng_view_*_free named beside it. */

/* How eng_open opens the state. */
enum eng_open_flags {
    ENG_OPEN_VIEW = 1, /* read and small writes only (silences, pauses, acks,
                          dismissals without notices): no templates are
                          loaded, so a view never fails on them; do not tick */
};
/*
 * Open the state database the config names (<ackbeat state=>) and an
 * engine that owns it (eng_free closes it).  template_dir as eng_new.
 * On failure em holds the store's own words ("state.db: ..."), or, with
 * AB_ECONFIG (which opening the store never returns), why the templates
 * or the digest's schedule did not load while the state did.
 */
enum ab_err eng_open(const cfg *c, const char *template_dir, int flags, eng **out,
                     ab_errmsg *em) AB_MUST_CHECK;
/* The configured state for people to read: the file, or the URL without
 * its password (store_url_display).  NULL on OOM; free with ab_free. */
char *eng_state_display(const cfg *c);
/*
 * `ackbeat migrate` (engine/eng_migrate.c): copy the state at from (a path
 * or a postgresql:// URL) into the empty state at to, ids, reply tokens
 * and Message-ID salt kept, in one transaction on to.  Each is opened
 * (and so migrated to this binary's schema version) first; a password is
 * used for a URL only.  AB_EEXIST naming the table when to is not empty,
 * AB_EBUSY when a daemon runs on the file from.  fn (may be NULL) hears
 * each table's row count as it is copied.
 */
typedef void (*eng_migrate_progress)(const char *table, int64_t rows, void *ud);
enum ab_err eng_migrate(const char *from, const char *from_password, const char *to,
                        const char *to_password, eng_migrate_progress fn, void *ud,
                        ab_errmsg *em) AB_MUST_CHECK;
/* A path or URL as it may be shown (no password).  Free with ab_free. */
char *eng_locator_display(const char *locator);
/* One daemon per database (store_lock_daemon): AB_EBUSY naming the holder. */
enum ab_err eng_lock_daemon(eng *e, ab_errmsg *em) AB_MUST_CHECK;
/* AB_ESTORE when the state file was deleted or replaced since it opened. */
enum ab_err eng_check_state_file(eng *e, ab_errmsg *em) AB_MUST_CHECK;
/* The store itself, borrowed, for the commands that are a thin face on a
 * module that records (send-test: the mailer's outbox; classify: the
 * inbox's rules).  The views never need it. */
store *eng_state(eng *e);

/* "Healthy", "Degraded", "Failing", "Offline" (anything else: "Offline"),
 * and back, case-insensitive (-1: none of them). */
const char *eng_status_name(int s);
int eng_status_parse(const char *s);
/* "queued", "sent", "failed". */
const char *eng_outbox_status_name(int s);

/* One check as every view shows it (engine/eng_view_checks.c). */
struct eng_check_view {
    const struct cfg_check *k;  /* borrowed from the config */
    int status;                 /* worst debounced status of its items; -1: none yet */
    struct store_run *last;     /* newest complete run, or NULL */
    int has_sched;              /* the check was seen: */
    ab_time next_run;           /*   when it is next due (AB_TIME_NONE: unknown) */
    struct store_alert *alert;  /* the open alert of the check itself, or NULL */
    int64_t silenced_by;        /* the first silence matching it now, or 0 */
    int paused;                 /* paused now, */
    ab_time paused_until;       /*   until then (AB_TIME_NONE: until resumed) */
};
/* Fill *out as of now.  Each part is best effort: what cannot be read is
 * left empty (as for a check never run).  Free with eng_view_check_free. */
void eng_view_check(eng *e, const struct cfg_check *k, ab_time now,
                    struct eng_check_view *out);
void eng_view_check_free(struct eng_check_view *v);
/* The worst debounced status of a check, -1 when none yet. */
int eng_view_status(eng *e, const char *check);
/* Is check paused at now (*until may be NULL)?  The id of the first
 * silence matching k/item at now, or 0. */
int eng_view_paused(eng *e, const char *check, ab_time now, ab_time *until);
int64_t eng_view_silenced(eng *e, const struct cfg_check *k, const char *item,
                          ab_time now);

/* Up to limit runs of check, newest first (*out: eng_view_runs_free). */
enum ab_err eng_view_runs(eng *e, const char *check, size_t limit, struct store_run ***out,
                          size_t *n, ab_errmsg *em) AB_MUST_CHECK;
void eng_view_runs_free(struct store_run **v, size_t n);
/* Every item of check with its debounced state (eng_view_items_free). */
enum ab_err eng_view_items(eng *e, const char *check, struct store_check_state ***out,
                           size_t *n, ab_errmsg *em) AB_MUST_CHECK;
void eng_view_items_free(struct store_check_state **v, size_t n);
/* A ping check's newest start and finish. */
enum ab_err eng_view_ping(eng *e, const char *check, struct store_ping_summary *out,
                          ab_errmsg *em) AB_MUST_CHECK;

/* Heartbeat cycles and people (engine/eng_view_people.c). */
/* Cycles newest first: of check (NULL: all), open_only as
 * store_cycle_list; free with eng_view_cycles_free. */
enum ab_err eng_view_cycles(eng *e, const char *check, int open_only, size_t limit,
                            struct store_cycle ***out, size_t *n,
                            ab_errmsg *em) AB_MUST_CHECK;
void eng_view_cycles_free(struct store_cycle **v, size_t n);
/* eng_rcpt_words with this engine's config and state. */
void eng_view_rcpt_words(eng *e, const struct store_cycle *cy,
                         const struct store_cycle_rcpt *r, ab_time now,
                         struct eng_rcpt_words *out);
/* One flagged address (bounced, or no confirmation min_missed cycles in
 * a row, with no confirmation since), as `status` lists them. */
struct eng_flagged {
    char *address;
    int missed_in_a_row;
    ab_time bounced;            /* AB_TIME_NONE if it never bounced */
    char *bounce_detail;        /* as stored, or NULL */
    char *bounce_reason;        /* eng_bounce_reason of it, or NULL */
    char *why;                  /* "missed 2 in a row", "bounced: 550 ..." */
};
struct eng_flagged_view {
    int min_missed;             /* the smallest missed-limit= of the heartbeats */
    struct eng_flagged *v;
    size_t n;
};
/* Fill *out (empty when the state cannot be read); eng_view_flagged_free. */
void eng_view_flagged(eng *e, struct eng_flagged_view *out);
void eng_view_flagged_free(struct eng_flagged_view *f);
/* A confirmation taken by other means (`ackbeat ack`): see store_ack_manual. */
enum ab_err eng_ack_manual(eng *e, const char *token, const char *by, const char *note,
                           ab_time now, int64_t *cycle_id, ab_errmsg *em) AB_MUST_CHECK;

/* Alerts, the outbox, the inbox (engine/eng_view_alerts.c). */
/* As store_alert_list; free with eng_view_alerts_free. */
enum ab_err eng_view_alerts(eng *e, int include_closed, size_t limit,
                            struct store_alert ***out, size_t *n,
                            ab_errmsg *em) AB_MUST_CHECK;
void eng_view_alerts_free(struct store_alert **v, size_t n);
/* One alert (AB_ENOTFOUND); free with eng_view_alert_free. */
enum ab_err eng_view_alert(eng *e, int64_t id, struct store_alert **out,
                           ab_errmsg *em) AB_MUST_CHECK;
void eng_view_alert_free(struct store_alert *a);
/* What people said about an alert, the newest limit, oldest first. */
enum ab_err eng_view_alert_notes(eng *e, int64_t id, size_t limit,
                                 struct store_alert_ev **out, size_t *n,
                                 ab_errmsg *em) AB_MUST_CHECK;
void eng_view_alert_notes_free(struct store_alert_ev *v, size_t n);
enum ab_err eng_view_alert_counts(eng *e, ab_time now, struct store_webq_alert_counts *out,
                                  ab_errmsg *em) AB_MUST_CHECK;
enum ab_err eng_view_outbox_counts(eng *e, struct store_outbox_counts *out,
                                   ab_errmsg *em) AB_MUST_CHECK;
/* `ackbeat outbox`: the counts, the queued and failed mail (all: sent
 * too; limit > 0: the newest limit), and the channel deliveries alike. */
struct eng_outbox_view {
    struct store_outbox_counts counts;
    struct store_outbox_entry *msgs;
    size_t nmsgs;
    struct store_delivery **deliveries;
    size_t ndeliveries;
};
enum ab_err eng_view_outbox(eng *e, int all, size_t limit, struct eng_outbox_view *out,
                            ab_errmsg *em) AB_MUST_CHECK;
void eng_view_outbox_free(struct eng_outbox_view *v); /* also after an error */
/* Is some mail due to be sent at now (worth waking the daemon for)? */
int eng_view_outbox_due(eng *e, ab_time now);
/* The inbox over every mailbox read; free inbox->last_error (ab_free). */
enum ab_err eng_view_inbox(eng *e, struct store_webq_inbox *out,
                           ab_errmsg *em) AB_MUST_CHECK;

/* Writes the views trigger (engine/eng_view_write.c). */
/* A ping over HTTP or a report of several items, each in one
 * transaction with all it leads to: recorded whole or not at all. */
enum ab_err eng_ping_atomic(eng *e, const char *check, enum store_ping_kind kind,
                            int exit_code, const char *via, const char *detail,
                            ab_time now, ab_errmsg *em) AB_MUST_CHECK;
struct eng_report_item {
    const char *item;
    enum ab_status status;
    int has_value;
    double value;
    const char *message;
};
enum ab_err eng_report_atomic(eng *e, const char *check, const struct eng_report_item *v,
                              size_t n, ab_time now, ab_errmsg *em) AB_MUST_CHECK;
/* One ping of a batch, as the web took it. */
struct eng_ping_in {
    const char *check;          /* a ping check's name */
    enum store_ping_kind kind;
    int exit_code;              /* for STORE_PING_EXIT */
    const char *via, *detail;   /* detail may be NULL */
    const char *rid;            /* a run id (eng_ping_rid), or NULL */
    ab_time at;
    enum ab_err err;            /* out: AB_OK when written into the batch */
};
/* Group commit (engine/eng_pingbatch.c): write v[0..n) in order in one
 * transaction, committed before it returns: each ping stored, each run
 * of pings of one check that say the same judged until the check is
 * settled on it, then at its last.  A run that fails is undone alone
 * (its err set and logged); the rest goes on.  Returns AB_OK when the
 * transaction was committed (or had nothing left to commit): then each
 * v[i].err says whether that ping is durable.  Otherwise nothing of it
 * is, whatever the errs say. */
enum ab_err eng_ping_batch(eng *e, struct eng_ping_in *v, size_t n,
                           ab_errmsg *em) AB_MUST_CHECK;
/* How many emails this engine has queued from notices since it was made:
 * a caller that sees it unchanged across its work knows there is no new
 * mail to wake the sender for (the web's ping batches). */
uint64_t eng_mail_queued(const eng *e);
/* Silences (store_silence_add, _list, _expire) and pauses. */
enum ab_err eng_silence_add(eng *e, const struct store_silence *s, int64_t *id,
                            ab_errmsg *em) AB_MUST_CHECK;
enum ab_err eng_view_silences(eng *e, int all, ab_time now, struct store_silence **out,
                              size_t *n, ab_errmsg *em) AB_MUST_CHECK;
void eng_view_silences_free(struct store_silence *v, size_t n);
enum ab_err eng_silence_expire(eng *e, int64_t id, ab_time now,
                               ab_errmsg *em) AB_MUST_CHECK;
/* Pause check until (AB_TIME_NONE: until resumed); resume: AB_ENOTFOUND
 * when it was not paused. */
enum ab_err eng_pause(eng *e, const char *check, ab_time until, const char *by,
                      const char *note, ab_time now, ab_errmsg *em) AB_MUST_CHECK;
enum ab_err eng_resume(eng *e, const char *check, ab_errmsg *em) AB_MUST_CHECK;
/* The pauses in force at now, with by, note and until (engine/eng_pauses.c). */
enum ab_err eng_view_pauses(eng *e, ab_time now, struct store_pause **out, size_t *n,
                            ab_errmsg *em) AB_MUST_CHECK;
void eng_view_pauses_free(struct store_pause *v, size_t n);

/* ---- the live read model (engine/eng_live*.c) ---------------------------------
 * What the status page, GET /api/checks and /metrics show, kept in memory
 * and brought up to date on change instead of read from the store for
 * every request.  An eng_live borrows its engine (and so its config and
 * store) and is used from the thread that uses the engine.  It refreshes
 * inside eng_live_get: the checks named by eng_live_touch (a ping, a
 * report, a pause: that check only), everything after eng_live_touch(NULL)
 * or eng_live_poke, and everything when the store's change marker says
 * another connection wrote (another thread's engine, the CLI, another
 * node), then at most once per a few times the last full read's cost, so
 * that a flood of outside writes cannot make every request a full read.
 * What depends on the time (a silence or pause that begins or ends, a
 * snooze running out) is derived at the caller's now from the facts kept,
 * by the eng_live_* helpers below, never frozen at the refresh. */
typedef struct eng_live eng_live;

/* A heartbeat cycle with what came back from each person asked, in the
 * words of eng_rcpt_words as of the refresh (words[i] is rcpts[i]'s). */
struct eng_live_cycle {
    struct store_cycle *c;
    struct eng_rcpt_words *words;
};
struct eng_live_check {
    const struct cfg_check *k;       /* borrowed from the config */
    int status;                      /* worst debounced status; -1: none yet */
    struct store_run *last;          /* newest complete run, or NULL */
    int has_sched;                   /* seen by a tick: */
    ab_time next_run;                /*   next due (AB_TIME_NONE: unknown) */
    const struct store_alert *alert; /* its own open alert (item ""), or NULL */
    struct eng_live_cycle *cycle;    /* heartbeat: the newest cycle, or NULL */
    struct store_cycle *open;        /* heartbeat: the newest open cycle, or NULL */
};
struct eng_live_view {
    uint64_t gen;                    /* differs after every change seen */
    ab_time at;                      /* the now of the last refresh */
    const cfg *c;                    /* the engine's config, borrowed */
    struct eng_live_check *checks;   /* config order */
    size_t nchecks;
    struct store_alert **alerts;     /* every open alert */
    size_t nalerts;
    struct store_silence *silences;  /* not yet ended at the refresh */
    size_t nsilences;
    struct store_pause *pauses;      /* in force at the refresh */
    size_t npauses;
    struct eng_live_cycle *recent;   /* the newest cycles of all heartbeats */
    size_t nrecent;
    int have_outbox;
    struct store_outbox_counts outbox;
    int have_inbox;                  /* an <inbox> is configured and was read */
    struct store_webq_inbox inbox;
};
/* A monotonic clock in milliseconds: the pace of outside refreshes is
 * measured with it (the engine reads no clock of its own). */
typedef int64_t (*eng_live_clock_fn)(void *ud);
/* NULL: out of memory.  e is borrowed and must outlive it. */
eng_live *eng_live_new(eng *e, eng_live_clock_fn mono_ms, void *ud);
void eng_live_free(eng_live *l);
/* This thread wrote through the engine: refresh check (NULL: everything)
 * before the next eng_live_get answers. */
void eng_live_touch(eng_live *l, const char *check);
/* This thread wrote only what every check shares (a dismissal, a
 * silence): the open alerts, silences, pauses, the outbox and the inbox
 * are read again, no check's own parts. */
void eng_live_touch_shared(eng_live *l);
/* Another thread of this process wrote (the daemon's tick): refresh
 * everything at the next eng_live_get, whatever the pace.  Safe from any
 * thread. */
void eng_live_poke(eng_live *l);
/* The model as of now, brought up to date as said above.  Borrowed until
 * the next eng_live_get or eng_live_free.  Never NULL: a part that cannot
 * be read is empty, as in the views. */
const struct eng_live_view *eng_live_get(eng_live *l, ab_time now);
/* The totals /metrics shows (runs, pings, inbox classes, mail), read when
 * something changed since they were last read.  NULL when they cannot be
 * read.  Borrowed like eng_live_get's answer. */
const struct store_metric_counts *eng_live_counts(eng_live *l);
/* The entry of k (by name), or NULL. */
const struct eng_live_check *eng_live_find(const struct eng_live_view *v, const char *name);
/* As eng_view_silenced / eng_view_paused, from the model at now. */
int64_t eng_live_silenced(const struct eng_live_view *v, const struct cfg_check *k,
                          ab_time now);
int eng_live_paused(const struct eng_live_view *v, const char *check, ab_time now,
                    ab_time *until);
/* As eng_view_alert_counts at now. */
void eng_live_alert_counts(const struct eng_live_view *v, ab_time now,
                           struct store_webq_alert_counts *out);
/* The worst status of all checks, -1 when none has one yet. */
int eng_live_worst(const struct eng_live_view *v);

/* ---- several nodes on one state (engine/eng_node.c, eng_view_nodes.c) --------
 * Each engine is a node, named in the claims it takes on checks' runs, in
 * the leader's lease (the inbox, heartbeats, notices and the other work
 * one node does at a time) and in the nodes table. */

/* This engine's node name (default "HOSTNAME:PID"; NULL or "" sets it
 * back).  Before the first tick.  AB_ENOMEM. */
enum ab_err eng_set_node(eng *e, const char *name, ab_errmsg *em) AB_MUST_CHECK;
/* Borrowed. */
const char *eng_node_name(eng *e);
/* A clean exit (`ackbeat run` stopping, `ackbeat tick` done): give the
 * leader's lease up at once, if held, so that another node (or the next
 * `tick` from cron) need not wait for it to run out. */
enum ab_err eng_leave(eng *e, ab_errmsg *em) AB_MUST_CHECK;

/* A thread that keeps this node's leases (claims, the leader's role, the
 * rows it sends) alive while the process lives, on a connection of its
 * own, so that they can be short: a node killed loses them within a tick
 * and a few seconds (eng_renew.c).  now: the engine's now at the start (the thread
 * goes on by the monotonic clock).  Start it after eng_set_node, stop it
 * after the last tick. */
typedef struct eng_renewer eng_renewer;
enum ab_err eng_renewer_start(eng *e, ab_time now, eng_renewer **out,
                              ab_errmsg *em) AB_MUST_CHECK;
void eng_renewer_stop(eng_renewer *r);

/* The nodes as `status` and the web show them. */
struct eng_nodes_view {
    struct store_node *v; /* by name */
    size_t n;
    int shared;           /* the state is PostgreSQL, made for several nodes */
};
/* Fill *out as of now; free with eng_view_nodes_free (also after an error). */
enum ab_err eng_view_nodes(eng *e, ab_time now, struct eng_nodes_view *out,
                           ab_errmsg *em) AB_MUST_CHECK;
void eng_view_nodes_free(struct eng_nodes_view *v);
/* Is there anything to show: more than one node, or a shared state? */
int eng_view_nodes_worth(const struct eng_nodes_view *v);
/* "12 seconds ago (Mon 7 Dec 2026 03:40 CST)": x's last sighting at now,
 * in the site's zone. */
char *eng_node_seen_words(const cfg *c, const struct store_node *x, ab_time now, char *buf,
                          size_t len);
/* "leader, 3 claims in flight", "1 claim in flight", "nothing". */
char *eng_node_holds_words(const struct store_node *x, char *buf, size_t len);
/* Was x seen lately (within ten ticks, at least ten minutes)?  The views
 * list those and count the rest: every cron `ackbeat tick` is a node. */
int eng_node_current(const cfg *c, const struct store_node *x, ab_time now);

/* ---- the state database's health (engine/eng_statewatch.c) ------------------
 * A PostgreSQL state can go away under a running node (a restart, a
 * failover): the node keeps running, retries with backoff, and says so. */

/* Can this engine's state be read at now?  Probed at most once per
 * second of now (the answer stands within it).  1: yes; 0: no, with the
 * reason in why (may be NULL).  Logs nothing. */
int eng_state_reachable(eng *e, ab_time now, char *why, size_t len);
/* Since when it has been unreachable as of the last probe; AB_TIME_NONE
 * while it is reachable (or was never asked). */
ab_time eng_state_down_since(eng *e);
/* The daemon, after each tick: probe, and log the outage once when it
 * begins and once when it ends (how long it lasted). */
void eng_state_watch(eng *e, ab_time now);

/* ---- the self-watch's daily message (engine/eng_selfwatch.c) ----------------
 * <watchdog admin=... daily="HH:MM"/>: a plain "still alive" message to
 * the admins once a day through the outbox, so that a silent ackbeat is
 * itself a signal.  Its Message-ID comes from its fire time, so a restart
 * never sends one day's message twice and a missed one follows. */
typedef struct eng_selfwatch eng_selfwatch;
/* started: the daemon's start, for the uptime.  NULL: out of memory. */
eng_selfwatch *eng_selfwatch_new(ab_time started);
void eng_selfwatch_free(eng_selfwatch *w);
/* Queue the day's message when its time has come at now and it is not in
 * the outbox yet (host: this machine's name, for the text).  Failures
 * are logged; the next call retries. */
void eng_selfwatch_daily(eng_selfwatch *w, eng *e, const char *host, ab_time now);

#endif
