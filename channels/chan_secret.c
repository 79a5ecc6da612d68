/*
 * chan_secret.c - a channel's secret, from the environment only (secret-env=,
 * token-env=), read when it is needed, never stored or logged.
 */
#include "channels/chan_int.h"

#include <stdlib.h>

#include "common/ab_mem.h"

enum ab_err chan_secret(const struct cfg_channel *ch, char **out, ab_errmsg *em)
{
    *out = NULL;
    if (!ch->secret.env)
        return AB_OK;
    const char *v = getenv(ch->secret.env);
    if (!v || !*v)
        return ab_fail(em, AB_EPERMFAIL, "channel %s: %s=%s is not set", ch->name,
                       ch->secret.attr, ch->secret.env);
    *out = ab_strdup(v);
    return *out ? AB_OK : ab_fail(em, AB_ENOMEM, "out of memory");
}
