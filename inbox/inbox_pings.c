/*
 * inbox_pings.c - the ping checks that can be pinged by mail, read off the
 * configuration once so that the poller and `ackbeat classify` see mail
 * the same way.
 *
 * Only a ping check with a secret token can be pinged by mail, at
 * LOCAL+TOKEN@DOMAIN: a check's name is no secret (it is in every
 * notice), so mail to LOCAL+NAME@ proves nothing.
 */
#include "inbox/inbox_int.h"

#include <string.h>

#include "common/ab_mem.h"
#include "config/cfg.h"

enum ab_err inbox_pings_of(const cfg *c, struct inbox_ping **out, size_t *n,
                           ab_errmsg *em)
{
    *out = NULL;
    *n = 0;
    size_t cnt = 0, total = cfg_check_count(c);
    for (size_t i = 0; i < total; i++) {
        const struct cfg_check *k = cfg_check_at(c, i);
        cnt += k->kind == CFG_PING && k->ping_token && *k->ping_token;
    }
    if (!cnt)
        return AB_OK;
    struct inbox_ping *v = ab_calloc(cnt, sizeof *v);
    if (!v)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    for (size_t i = 0; i < total; i++) {
        const struct cfg_check *k = cfg_check_at(c, i);
        if (k->kind == CFG_PING && k->ping_token && *k->ping_token) {
            v[*n].name = k->name;
            v[*n].token = k->ping_token;
            (*n)++;
        }
    }
    *out = v;
    return AB_OK;
}
