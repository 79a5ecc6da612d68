/*
 * ab_log.h - leveled logging routed through one sink.
 *
 * Library modules never write to stdout or stderr themselves; they call
 * ab_log(), and cli/ decides where lines go (stderr for commands, the
 * journal under systemd) by installing a sink.  With no sink installed,
 * log lines are dropped, which is what unit tests want.
 */
#ifndef AB_LOG_H
#define AB_LOG_H

#include "ab_err.h"

enum ab_log_level {
    AB_LOG_ERROR = 0,
    AB_LOG_WARN = 1,
    AB_LOG_INFO = 2,
    AB_LOG_DEBUG = 3,
};

typedef void (*ab_log_sink)(enum ab_log_level lvl, const char *line, void *ud);

/* Install the sink (NULL to drop everything) and the most verbose level kept. */
void ab_log_set_sink(ab_log_sink sink, void *ud, enum ab_log_level max);
enum ab_log_level ab_log_level_get(void);
void ab_log(enum ab_log_level lvl, const char *fmt, ...) AB_PRINTF(2, 3);

/* "error", "warn", "info", "debug"; returns -1 for anything else. */
int ab_log_level_parse(const char *s);
const char *ab_log_level_name(enum ab_log_level lvl);

#endif
