/*
 * eng_int.h - private to engine/: the handle and the steps of a tick.
 */
#ifndef AB_ENG_INT_H
#define AB_ENG_INT_H

#include <jansson.h>

#include "engine/eng.h"
#include "mailer/mail.h"
#include "templates/tpl.h"

struct eng {
    const cfg *c;
    store *st;
    chk_ctx *chk;
    tpl_set *tpl;
    char *template_dir;
    int send;
    ab_time started; /* when the daemon started; AB_TIME_NONE for one-off commands */
    sched *digest;   /* the daily digest's time, or NULL when off */
    int stamp_now;   /* inbox: record at the tick's now (--now given) */
    int own_st;      /* st is ours (eng_open): eng_free closes it */
    /* One node of several on one state (eng_node.c). */
    char *node;           /* its name in claims, leases and the nodes table */
    int renewed;          /* a renewer (eng_renew.c) keeps its leases alive */
    int leader;           /* holds the lease "leader" as of lead_at */
    ab_time lead_at;      /* the now it was last asked at; AB_TIME_NONE: never */
    ab_time node_started; /* its "started" in the nodes table */
    int node_seen;        /* its row was written once */
    /* Scheduled checks are known to the state from this instant on
     * (eng_sched_register): the daemon's start, or after a reload the
     * first tick's now.  known is set once they are written. */
    ab_time known_from;
    int known;
    uint64_t mail_queued; /* notices made mail so far (eng_mail_queued) */
    uint64_t notices_made; /* notice rows written so far (eng_ping_judge) */
    /* Can the state be reached (eng_statewatch.c)?  Zero: not asked yet. */
    int state_asked;     /* state_at is set */
    ab_time state_at;    /* the now of the last probe */
    ab_time state_down;  /* unreachable since; 0 while reachable */
    int state_logged;    /* the outage was logged (eng_state_watch) */
    char state_why[256]; /* why it is unreachable */
};

/* A renewed lease (eng_renew.c) lasts a tick and this many seconds past
 * its renewal, renewed every half tick (at most every RENEW_SLACK s): a
 * node killed loses it within a tick and RENEW_SLACK s. */
#define ENG_RENEW_SLACK 5
#define ENG_RENEWED_LEASE(tick) ((tick) + ENG_RENEW_SLACK)

/* eng_view_open.c: open the configured state (a file, or PostgreSQL with
 * its password), for the engine and for eng_renew.c's own connection. */
enum ab_err eng_state_open(const cfg *c, store **st, ab_errmsg *em);

/* eng_node.c: the node's name (NULL or "": "HOSTNAME:PID"); AB_ENOMEM. */
enum ab_err eng_node_init(eng *e, const char *name);
/* Take or renew the lease "leader" for one tick at now (once per now);
 * only the database failing is returned.  eng_is_leader says the answer. */
enum ab_err eng_lead(eng *e, ab_time now, ab_errmsg *em);
int eng_is_leader(eng *e);
/* This node's row in the nodes table at now (failures logged). */
void eng_node_seen(eng *e, ab_time now);
/* The second guard of a once-a-day job (what: "retention", "selfwatch"):
 * the claim ("daily", what, the UTC day of when), for one tick; *got says
 * whether this node has it.  _done when the day's job is finished. */
enum ab_err eng_daily_claim(eng *e, const char *what, ab_time when, ab_time now, int *got,
                            ab_errmsg *em);
enum ab_err eng_daily_done(eng *e, const char *what, ab_time when, ab_errmsg *em);

/* eng_cron.c: a cron rule at HH:MM in the site's zone on days dom ("*", "1"). */
enum ab_err eng_sched_at(const cfg *c, const char *at, const char *dom, sched **out,
                         ab_errmsg *em);

/* eng_due.c: is the check due at now?  *held is set when a maintenance
 * window covers it.  The schedule bookkeeping is written at once, except
 * when the check is due and later is not NULL: then it is returned in
 * *later for the caller to store (store_sched_put) with the run. */
enum ab_err eng_due(eng *e, const struct cfg_check *k, ab_time now, int *due,
                    int *held, struct store_sched_state *later, ab_errmsg *em);
/* The same with the bookkeeping already read (store_sched_all): known is
 * the stored state, or NULL when the check has none yet.  *due_at (may be
 * NULL) gets the due time a due check serves, the same on every node that
 * sees it due: its fire time (a rule's), or the tick slot it runs in. */
enum ab_err eng_due_known(eng *e, const struct cfg_check *k, ab_time now,
                          const struct store_sched_state *known, int *due, int *held,
                          struct store_sched_state *later, ab_time *due_at,
                          ab_errmsg *em);
/* Write down, for every check with a fire rule the state has no
 * bookkeeping for, that it is known from `from` on, so that a fire time
 * after from is served even if the node that serves it first sees the
 * check later (eng_known.c).  Every node does this at its first tick after
 * a start or a reload; what another node wrote first stands. */
enum ab_err eng_sched_register(eng *e, ab_time from, ab_errmsg *em);
/* The names the leader's own fire times are kept under in check_schedule
 * (no check can be named so: cfg_is_check_name allows no '~'). */
#define ENG_DIGEST_BOOK "~digest"
#define ENG_REPORT_BOOK "~report"
/* The check's next fire time after now (AB_TIME_NONE: every tick). */
ab_time eng_next_fire(eng *e, const struct cfg_check *k, ab_time now);

/* eng_run.c: execute (or reuse from cache) and record one run. */
/* One run in three pieces (a group of them commits together): begin
 * looks up the cache and writes the run row (started), run runs the
 * check unless cached, finish stores its results and logs the line.
 * eng_exec_clear frees the outcome. */
struct eng_exec {
    const struct cfg_check *k;
    int64_t run_id;
    int cached;
    struct chk_outcome *o; /* set by begin (cached) or run */
};
enum ab_err eng_exec_begin(eng *e, const struct cfg_check *k, ab_time now,
                           const char *trigger, struct eng_exec *x, ab_errmsg *em);
enum ab_err eng_exec_run(eng *e, struct eng_exec *x, ab_time now, ab_errmsg *em);
enum ab_err eng_exec_finish(eng *e, struct eng_exec *x, ab_errmsg *em);
void eng_exec_clear(struct eng_exec *x);
/* The three in a row. */
enum ab_err eng_execute(eng *e, const struct cfg_check *k, ab_time now,
                        const char *trigger, struct chk_outcome **out,
                        int64_t *run_id, int *cached, ab_errmsg *em);

/* eng_due_group.c: the tick's checks step, the due checks run in groups
 * that commit together; a failing check is logged and counted, only the
 * database failing is returned. */
enum ab_err eng_step_checks(eng *e, ab_time now, struct eng_tick_stats *stats,
                            ab_errmsg *em);
/* Whether k is run (not a heartbeat or a ping, which are reported to). */
int eng_runs_as_check(const struct cfg_check *k);

/* eng_evaluate.c: fold a run's results into state and alerts. */
enum ab_err eng_evaluate(eng *e, const struct cfg_check *k,
                         const struct ab_result *res, size_t n,
                         int64_t run_id, ab_time now,
                         struct eng_tick_stats *stats, ab_errmsg *em);
/* One heartbeat verdict about cycle_id, stored as run_id: news of its own
 * even when the status stays (another cycle failed, a held verdict was
 * decided), so people are told and a plain dismissal, which covered the
 * cycle it was given on, ends; a snooze keeps its end time. */
enum ab_err eng_evaluate_verdict(eng *e, const struct cfg_check *k,
                                 const struct ab_result *r, int64_t run_id,
                                 int64_t cycle_id, ab_time now,
                                 struct eng_tick_stats *stats, ab_errmsg *em);
/* Repeats, escalations and expired snoozes of open alerts. */
enum ab_err eng_follow_up(eng *e, ab_time now, struct eng_tick_stats *stats,
                          ab_errmsg *em);

/* eng_notify.c: render a notice about an alert and queue it, inside the
 * caller's transaction.  message is the template name (alert-opened...). */
enum ab_err eng_notify_alert(eng *e, const struct cfg_check *k,
                             const struct store_alert *a, const char *message,
                             int level, ab_time now, const char *thread_msgid,
                             char *msgid_out, ab_errmsg *em);

/* One rendered email to one person. */
struct eng_email {
    const char *rcpt;
    const char *subject, *text, *html; /* html may be NULL or "" */
    const char *message_id;            /* NULL: a fresh one */
    const char *in_reply_to;           /* also References; may be NULL */
    const char *reply_to;              /* NULL: none */
    const char *token;                 /* the rcpt's token, for the VERP
                                        * envelope sender; NULL: none */
    const struct mail_header *headers;
    size_t nheaders;
    const char *kind, *ref;            /* outbox bookkeeping */
};
/* eng_mail.c: queue it in the outbox (inside the caller's transaction, if
 * any), From the configured sender, To the person's display name if known;
 * envelope sender per mail_envelope_sender() (VERP with m->token). */
enum ab_err eng_queue_email(eng *e, const struct eng_email *m, ab_time now,
                            ab_errmsg *em);

/* The Message-ID of notice seq ("n1", "n2"..., "resolved") rcpt gets
 * about alert_id. */
void eng_alert_msgid(eng *e, char *buf, size_t len, int64_t alert_id, const char *seq,
                     const char *rcpt);
/* The Message-ID of the first notice rcpt got about alert_id: the root
 * of that person's thread about it. */
void eng_alert_thread_id(eng *e, int64_t alert_id, const char *rcpt, char *buf, size_t len);

/* eng_answer.c: an obeyed reply command is answered, in the alert's thread,
 * to everyone who was notified of it.  what: "Dismissed", "Snoozed until
 * Monday 14 December 2026, 08:00 CST", "Note"; reason may be NULL. */
enum ab_err eng_answer_command(eng *e, const struct cfg_check *k, const struct store_alert *a,
                               const char *what, const char *by, const char *reason,
                               ab_time now, ab_errmsg *em);

/* A reply command that names several alerts (tokens: comma-separated
 * alert tokens) is answered with a question to its sender: which one? */
enum ab_err eng_ask_which(eng *e, const char *to, const char *tokens, const char *cmd,
                          ab_time now, ab_errmsg *em);

/* The end of a tick: each recipient's due notices become one email. */
enum ab_err eng_flush_notices(eng *e, ab_time now, struct eng_tick_stats *stats,
                              ab_errmsg *em);

/* The buffers a notice email is rendered into, reused from one to the next. */
struct eng_bufs {
    ab_buf subject, text, html;
};
void eng_bufs_init(struct eng_bufs *b);
void eng_bufs_free(struct eng_bufs *b);
/* Several notices v[0..n-1] for one person (v[0].rcpt): one email listing
 * them, kind notice ("digest", "daily-digest"), queued inside the caller's
 * transaction.  Nothing is queued when none of their alerts is left.  It
 * counts them all and lists the first ENG_DIGEST_LISTED by priority. */
#define ENG_DIGEST_LISTED 100
enum ab_err eng_notices_email(eng *e, const struct store_notice *v, size_t n,
                              struct eng_bufs *b, const char *notice, ab_time now,
                              ab_errmsg *em);

/* eng_channel.c: one notice to a channel recipient ("channel:NAME") becomes
 * a delivery, inside the caller's transaction. */
enum ab_err eng_channel_notice(eng *e, const struct store_notice *n, ab_time now,
                               ab_errmsg *em);
/* Has mail been failing for alerting/@fallback-after (a fallback set)? */
int eng_mail_failing(eng *e, ab_time now);
/* Open or resolve the "mail delivery is failing" alert, telling the
 * fallback channel; once per tick, after the outbox drain. */
enum ab_err eng_mail_fallback(eng *e, ab_time now, ab_errmsg *em);
/* Send the channel deliveries that are due (when sending is on). */
void eng_channels_drain(eng *e, ab_time now, struct eng_tick_stats *stats);

/* eng_levels.c: escalation levels.  Level 0 is notify=, 1 escalate-to=,
 * 2.. <alerting>'s further <level>s. */
int eng_level_count(eng *e, const struct cfg_check *k);
/* Who a level adds (NULL past the last). */
const struct cfg_addrs *eng_level_notify(eng *e, const struct cfg_check *k, int level);
/* A level's after= (0: never climbs to it). */
int64_t eng_level_after(eng *e, const struct cfg_check *k, int level);
/* The highest level a's climb has reached by now (a->level if none more). */
int eng_level_due(eng *e, const struct cfg_check *k, const struct store_alert *a, ab_time now);
/* Everyone of levels from..to, unique, borrowed from the config; *out is
 * the caller's (ab_free).  AB_ENOMEM. */
enum ab_err eng_level_rcpts(eng *e, const struct cfg_check *k, int from, int to,
                            const char ***out, size_t *n);
/* "ops, boss": who levels 0..level-1 told, by person or channel name. */
void eng_level_told_text(eng *e, const struct cfg_check *k, int level, char *buf, size_t len);

/* eng_silence.c: is a notice about a to be dropped now (the check paused,
 * or a silence matching it)?  Logs why. */
int eng_notices_held(eng *e, const struct cfg_check *k, const struct store_alert *a,
                     const char *message, ab_time now);

/* eng_retention.c: once a day, delete history past <state keep>. */
enum ab_err eng_retention(eng *e, ab_time now, ab_errmsg *em);

/* eng_digest.c: the daily digest, when alerting/@digest-at is due. */
enum ab_err eng_daily_digest(eng *e, ab_time now, struct eng_tick_stats *stats,
                             ab_errmsg *em);

/* eng_context.c: the template data for a notice (caller json_decref's). */
json_t *eng_ctx_base(eng *e, const char *email, ab_time now);
json_t *eng_ctx_alert(eng *e, const struct cfg_check *k,
                      const struct store_alert *a, const char *email, ab_time now);
/* One alert as a digest lists it (k may be NULL if it left the config). */
json_t *eng_ctx_digest_item(eng *e, const struct cfg_check *k,
                            const struct store_alert *a, ab_time now);
/* A digest that lists only the first of its alerts: root.more = {count:
 * how many are not listed, url: the alerts page when the web has a
 * base-url}.  Nothing when unlisted is 0. */
void eng_ctx_digest_more(eng *e, json_t *root, size_t unlisted);
/* Add heartbeat and cycle (its id, opened, deadline) to root. */
void eng_ctx_heartbeat(eng *e, json_t *root, const struct cfg_check *k,
                       const struct store_cycle *c);
/* Add heartbeat, cycle, asked, bounced, autoreplied, confirmed, quorum. */
void eng_ctx_cycle_outcomes(eng *e, json_t *root, const struct cfg_check *k,
                            const struct store_cycle *c);
/* Recipients a cycle needs for quorum: 0 in the config means all of them. */
size_t eng_cycle_quorum(const struct store_cycle *c);

/* eng_ping.c: the dead man's switch of ping checks, once per tick. */
enum ab_err eng_pings_tick(eng *e, ab_time now, struct eng_tick_stats *stats,
                           ab_errmsg *em);
/* The ping check a ping of check (kind, exit_code) is for, into *k; or
 * why it cannot be one (no such check, not a ping check, a bad code). */
enum ab_err eng_ping_target(eng *e, const char *check, enum store_ping_kind kind,
                            int exit_code, const struct cfg_check **k, ab_errmsg *em);
/* A ping of check, validated and stored (no judging); *k its check. */
enum ab_err eng_ping_store(eng *e, const char *check, enum store_ping_kind kind,
                           int exit_code, const char *via, const char *detail,
                           ab_time now, const struct cfg_check **k, ab_errmsg *em);
/* After a ping of k was stored: judge the check and send what it leads
 * to.  For eng_pingbatch.c, each when not NULL: *calm, 1 when the
 * check's state is settled on what the pings say, so that one more ping
 * saying the same would only lengthen a streak already past its
 * threshold; *recorded, 1 when the verdict was recorded as a run. */
enum ab_err eng_ping_judge(eng *e, const struct cfg_check *k, ab_time now, int *calm,
                           int *recorded, ab_errmsg *em);
/* eng_pinghung.c: has a run with a run id hung (started more than grace
 * ago, no finish of its own, no finish since its deadline)?  Then 1 with
 * r->status and msg set. */
int eng_pingrun_hung(eng *e, const struct cfg_check *k, ab_time now, ab_time last_finish,
                     struct ab_result *r, char *msg, size_t len);

/* eng_heartbeat.c: heartbeat cycles, once per tick. */
enum ab_err eng_heartbeats_tick(eng *e, ab_time now, struct eng_tick_stats *stats,
                                ab_errmsg *em);

/* Priority of a status: Offline 1, Failing 2, Degraded 3 (seed 001). */
int eng_priority(const struct cfg_check *k, enum ab_status s);

/* eng_report.c: the monthly report (alerting/@report-to), when its time
 * on the 1st has come; queued once per month (bookkeeping "~report"). */
enum ab_err eng_monthly_report(eng *e, ab_time now, struct eng_tick_stats *stats,
                               ab_errmsg *em);
/* The report's fire times (report-at on each 1st), or *out NULL when
 * there is no report-to; free with sched_free. */
enum ab_err eng_report_sched(const cfg *c, sched **out, ab_errmsg *em);
/* The month a report fired at fire is about: [*from, *to), midnight on
 * the 1st to midnight on the next 1st, in the site's zone. */
enum ab_err eng_report_month(const cfg *c, ab_time fire, ab_time *from, ab_time *to,
                             ab_errmsg *em);
/* eng_report_data.c: add the report's figures on [from, to) to ctx
 * (month, first_day, last_day, checks, outages, all_up, heartbeats,
 * bounces; see templates/default/monthly-report.*). */
enum ab_err eng_report_data(eng *e, ab_time from, ab_time to, ab_time now, json_t *ctx,
                            ab_errmsg *em);

#endif
