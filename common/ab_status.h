/*
 * ab_status.h - the four statuses of seed 001 and one item's result: the
 * words checks, the engine, the store and the views share.
 *
 * A check produces results, the engine debounces them, the store keeps
 * them and the pages show them; none of that is the store's API, so the
 * vocabulary lives here and a module that only speaks it (checks/) needs
 * no arrow to store/.  The values are stored and compared (worse is
 * higher): never renumber them.
 */
#ifndef AB_STATUS_H
#define AB_STATUS_H

enum ab_status {
    AB_HEALTHY = 0,
    AB_DEGRADED = 1,
    AB_FAILING = 2,
    AB_OFFLINE = 3,
};

/* "Healthy", "Degraded", "Failing", "Offline" (anything else: "Offline"). */
const char *ab_status_name(enum ab_status s);
/* The status named s, case-insensitive; -1 if s is NULL or no status. */
int ab_status_parse(const char *s);

/* One item's result, as a check produced it (seed 001 HeartbeatResult).
 * The strings are borrowed unless the holder says otherwise. */
struct ab_result {
    const char *item;    /* "" for a check with a single item */
    enum ab_status status;
    int has_value;
    double value;
    const char *message; /* may be NULL */
    const char *perfdata;/* raw perfdata text, may be NULL */
};

#endif
