/*
 * chan_kinds.c - the table of channel kinds, by config element name.
 */
#include "channels/chan_int.h"

#include <string.h>

static const struct chan_kind *const kinds[] = {
    &chan_kind_webhook, &chan_kind_ntfy, &chan_kind_slack, &chan_kind_matrix,
    &chan_kind_command,
};

const struct chan_kind *chan_kind_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i]->name, name))
            return kinds[i];
    return NULL;
}
