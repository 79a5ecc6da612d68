/*
 * ab_status.c - the status words of seed 001, as people read them and
 * as the state database stores them.
 */
#include "common/ab_status.h"

#include <strings.h>

static const char *const status_names[] = {"Healthy", "Degraded", "Failing",
                                           "Offline"};

const char *ab_status_name(enum ab_status s)
{
    return (unsigned)s < 4 ? status_names[s] : "Offline";
}

int ab_status_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (s && strcasecmp(s, status_names[i]) == 0)
            return i;
    return -1;
}
