/*
 * ab_log.c - formats a log line and hands it to the installed sink.
 *
 * The sink is set once by cli/ at start-up, before any thread exists, so
 * it is plain static data rather than anything synchronised.
 */
#include "ab_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static ab_log_sink g_sink;
static void *g_ud;
static enum ab_log_level g_max = AB_LOG_INFO;

void ab_log_set_sink(ab_log_sink sink, void *ud, enum ab_log_level max)
{
    g_sink = sink;
    g_ud = ud;
    g_max = max;
}

enum ab_log_level ab_log_level_get(void)
{
    return g_max;
}

void ab_log(enum ab_log_level lvl, const char *fmt, ...)
{
    if (!g_sink || lvl > g_max)
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One event, one line: a stray newline from a server reply or a
     * database message must not forge a second log record. */
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    g_sink(lvl, line, g_ud);
}

static const char *const names[] = {"error", "warn", "info", "debug"};

int ab_log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

const char *ab_log_level_name(enum ab_log_level lvl)
{
    return (unsigned)lvl < 4 ? names[lvl] : "?";
}
