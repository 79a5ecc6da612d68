/*
 * store_unverified.c - why an acknowledgement did not count: the newest
 * unverified ack of a token, with the inbox's own note on the message it
 * came in (inbox_messages.detail: "...; unverified", and since the inbox
 * reads our MX's Authentication-Results, "dmarc=fail by mx...").
 *
 * Only for views (acks, status, the web, the "nobody confirmed" notice):
 * a person told "unverified" should also be told why, or they will take
 * the reply as a confirmation.
 */
#include "store/store_int.h"

#include "common/ab_mem.h"
#include "store/store_cycles.h"

enum ab_err store_ack_unverified(store *st, const char *token, char **by, char **detail,
                                 ab_errmsg *em)
{
    store_db_stmt *s;
    *by = *detail = NULL;
    enum ab_err e = store_prepare(
        st,
        "SELECT a.by_addr, (SELECT m.detail FROM inbox_messages m "
        "   WHERE m.message_id = a.message_id ORDER BY m.id DESC LIMIT 1) "
        "FROM acks a WHERE a.token = ? AND a.verified = 0 "
        "ORDER BY a.at DESC, a.id DESC LIMIT 1",
        &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, token);
    int rc = store_step(st, s);
    if (rc == SDB_ROW) {
        *by = store_column_dup(s, 0);
        *detail = store_column_dup(s, 1);
        if (!*by) {
            ab_free(*detail);
            *detail = NULL;
            e = ab_fail(em, AB_ENOMEM, "out of memory");
        }
    } else if (rc == SDB_DONE) {
        e = AB_ENOTFOUND;
    } else {
        e = store_dberr(st, em, "unverified ack");
    }
    store_db_finalize(s);
    return e;
}
