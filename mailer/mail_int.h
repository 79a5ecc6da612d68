/*
 * mail_int.h - private to mailer/: the transport vtable and small helpers
 * shared between the files of the module.
 *
 * A transport backend is one file that defines one const struct
 * mail_transport_ops and adds it to the table in mail_transport.c; nothing
 * else knows which backends exist.
 */
#ifndef AB_MAIL_INT_H
#define AB_MAIL_INT_H

#include <stddef.h>
#include <time.h>

#include "common/ab_buf.h"
#include "mailer/mail.h"

struct mail_transport_ops {
    /* URL prefix that selects this backend: "smtp://", "sendmail:" ... */
    const char *prefix;
    /*
     * Parse url and prepare; connect lazily.  *state is the backend's
     * and is handed back to send and close.  AB_ECONFIG for a URL or
     * option that cannot work, naming it.
     */
    enum ab_err (*open)(const struct cfg_mail *mc, const char *url,
                        ab_time now, void **state, ab_errmsg *em);
    /* As mail_transport_send(); res is pre-set to "not attempted". */
    enum ab_err (*send)(void *state, const struct mail_envelope *env,
                        struct mail_rcpt_result *res, ab_errmsg *em);
    void (*close)(void *state);
    /* Several of these may send at once, each with its own state in a
     * thread of its own (mail_lanes.c): each is a connection of its own. */
    int parallel;
};

extern const struct mail_transport_ops mail_smtp_ops;
extern const struct mail_transport_ops mail_smtps_ops;
extern const struct mail_transport_ops mail_sendmail_ops;
extern const struct mail_transport_ops mail_maildir_ops;

/* Whether t's kind may send over several connections at once. */
int mail_transport_parallel(const mail_transport *t);

/*
 * mail_lanes.c: a group of messages over several connections at once.
 * The caller prepares each job (the envelope, DKIM-signed already; res
 * has env.nrcpts entries; done 0) and keeps it alive during the run.
 */
struct mail_lane_job {
    struct mail_envelope env;
    struct mail_rcpt_result *res;
    int done;                /* res holds the outcome */
    struct timespec send_by; /* CLOCK_MONOTONIC; not started after (0: any time) */
    int late;                /* not sent: send_by had passed */
};
/* Has job's send_by passed?  A lane leaves it to the caller, which marks
 * it late (the outbox's row lease would run out while it is sent). */
int mail_lane_late(const struct mail_lane_job *job);
typedef struct mail_lanes mail_lanes;
/* Up to extra connections besides the caller's own, each opened from mc
 * on its first message and kept until mail_lanes_free.  NULL: out of
 * memory. */
mail_lanes *mail_lanes_new(const struct cfg_mail *mc, ab_time now, size_t extra);
void mail_lanes_free(mail_lanes *l);
/*
 * Send jobs[0..n): the caller's thread through first(ud, job), which
 * sets job->done and returns nonzero when its connection failed (then
 * nothing more is taken), the extra connections from threads of their
 * own.  Returns once every thread has stopped.  A job still not done
 * was not sent, or was given back by a connection that failed before
 * the server accepted any of it: the caller sends it.
 */
void mail_lanes_run(mail_lanes *l, struct mail_lane_job *const *jobs, size_t n,
                    int (*first)(void *ud, struct mail_lane_job *job), void *ud);

/* Append data to out with every CRLF turned into LF (for Unix tools and
 * Maildir files, which use the local convention). */
enum ab_err mail_crlf_to_lf(ab_buf *out, const char *data, size_t len);

/* Set every result to err with detail (printf-style). */
void mail_results_set(struct mail_rcpt_result *res, size_t n, enum ab_err err,
                      const char *fmt, ...) AB_PRINTF(4, 5);

/* Copy text into dst (size n) with control characters replaced by
 * spaces and runs of whitespace squeezed: server replies and tool output
 * end up in one-line error messages and logs. */
void mail_oneline(char *dst, size_t n, const char *text, size_t len);

/* The SMTP reply classification, exposed for unit tests.  stage is the
 * last command the client sent; code the last reply code (0: none). */
enum mail_smtp_stage {
    MAIL_STAGE_SESSION = 0, /* connect, banner, EHLO, STARTTLS, AUTH */
    MAIL_STAGE_MAIL,
    MAIL_STAGE_RCPT,
    MAIL_STAGE_DATA,
};
/* AB_OK, AB_ETEMPFAIL or AB_EPERMFAIL for the message; *session set to 1
 * when the connection cannot be used for further messages. */
enum ab_err mail_smtp_classify(int curl_code, long reply_code,
                               enum mail_smtp_stage stage, int *session);

#endif
