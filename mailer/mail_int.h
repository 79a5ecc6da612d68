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
};

extern const struct mail_transport_ops mail_smtp_ops;
extern const struct mail_transport_ops mail_smtps_ops;
extern const struct mail_transport_ops mail_sendmail_ops;
extern const struct mail_transport_ops mail_maildir_ops;

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
