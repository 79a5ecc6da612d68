/*
 * cfg_secret.c - reading passwords and tokens from a file or the environment.
 *
 * Error messages name where we looked, never what we found.
 */
#include "config/cfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_mem.h"

enum ab_err cfg_secret_read(const struct cfg_secret *s, char **out, ab_errmsg *em)
{
    *out = NULL;
    if (s->env) {
        const char *v = getenv(s->env);
        if (!v)
            return ab_fail(em, AB_ENOTFOUND, "environment variable %s is not set",
                           s->env);
        *out = ab_strdup(v);
        return *out ? AB_OK : ab_fail(em, AB_ENOMEM, "out of memory");
    }
    if (!s->file)
        return AB_OK;
    FILE *f = fopen(s->file, "r");
    if (!f)
        return ab_fail(em, AB_EIO, "%s: %s", s->file, strerror(errno));
    char line[4096];
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return ab_fail(em, AB_EINVAL, "%s: empty secret file", s->file);
    }
    fclose(f);
    size_t len = strcspn(line, "\r\n");
    line[len] = '\0';
    *out = ab_strdup(line);
    /* Do not leave the secret on the stack longer than needed. */
    memset(line, 0, sizeof line);
    return *out ? AB_OK : ab_fail(em, AB_ENOMEM, "out of memory");
}
