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
                       enum store_status status, int has_value, double value,
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
/* The ping check whose token= is token (for /ping/TOKEN), or NULL. */
const struct cfg_check *eng_ping_find(eng *e, const char *token);

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

#endif
