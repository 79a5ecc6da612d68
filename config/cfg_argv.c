/*
 * cfg_argv.c - command="..." split into words the way a POSIX shell quotes,
 * without a shell: no variables, globs, pipes or redirections, only the
 * quoting, so that a path or an argument with a space can be written.
 *
 *   'single quotes'   everything up to the next ' as it is
 *   "double quotes"   \" \\ \$ \` and \newline escaped, the rest as it is
 *   \c                outside quotes: c itself
 *   spaces            separate words (several count once)
 */
#include "config/cfg_int.h"

#include <string.h>

const char *cfg_split_words(struct cfg_builder *b, const char *s, const char *const **argv,
                            size_t *argc)
{
    size_t len = strlen(s);
    char *out = cfg_alloc(b->c, len + 1);
    const char **v = cfg_alloc(b->c, (len / 2 + 2) * sizeof *v);
    *argv = NULL;
    *argc = 0;
    if (!out || !v) {
        b->oom = 1;
        return NULL;
    }
    size_t n = 0;
    char *o = out;
    const char *p = s;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        v[n++] = o;
        while (*p && *p != ' ' && *p != '\t') {
            if (*p == '\'') {
                const char *q = strchr(p + 1, '\'');
                if (!q)
                    return "a ' is not closed";
                memcpy(o, p + 1, (size_t)(q - p - 1));
                o += q - p - 1;
                p = q + 1;
            } else if (*p == '"') {
                for (p++; *p && *p != '"'; p++) {
                    if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
                        p++;
                    *o++ = *p;
                }
                if (*p != '"')
                    return "a \" is not closed";
                p++;
            } else if (*p == '\\') {
                if (!p[1])
                    return "a \\ ends the command";
                *o++ = p[1];
                p += 2;
            } else {
                *o++ = *p++;
            }
        }
        *o++ = '\0';
    }
    v[n] = NULL;
    *argv = v;
    *argc = n;
    return NULL;
}
