/*
 * mail_unbuilt.c - an outbox entry for a message that could not be built.
 *
 * One bad value (a template that does not render, a line break that
 * would inject a header) must not hold up everyone else's mail, and must
 * not vanish either: the notice is recorded as a failed message, with
 * the reason, so that `ackbeat outbox` and the metrics show it next to
 * the ones that were refused by a server.
 */
#include "mailer/mail.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_buf.h"
#include "store/store_outbox.h"

enum ab_err mail_outbox_unbuilt(store *st, const char *sender, const char *rcpt,
                                const char *kind, const char *ref, const char *error,
                                ab_time now, int64_t *id, ab_errmsg *em)
{
    char msgid[MAIL_MSGID_MAX];
    enum ab_err e = mail_msgid_new(sender, msgid, em);
    if (e)
        return e;
    /* The body says what happened; it is never sent. */
    char body[1024];
    int w = snprintf(body, sizeof body, "(not built: %s)\n", error ? error : "unknown error");
    size_t len = w < 0 ? 0 : (size_t)w < sizeof body ? (size_t)w : sizeof body - 1;
    int64_t row;
    if ((e = store_outbox_put(st, body, len, msgid, sender, &rcpt, 1, kind, ref,
                              "(not built)", now, &row, em)))
        return e;
    struct store_outbox_rcpt_update up = {rcpt, STORE_OUTBOX_FAILED, error};
    struct store_outbox_attempt a = {
        .rcpts = &up, .nrcpts = 1, .now = now, .give_up = 1, .error = error};
    if ((e = store_outbox_record(st, row, &a, NULL, em)))
        return e;
    if (id)
        *id = row;
    return AB_OK;
}
