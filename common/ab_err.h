/*
 * ab_err.h - the one error type of ackbeat.
 *
 * Every fallible function returns an enum ab_err and, where the caller
 * needs to tell a person what went wrong, fills an ab_errmsg with detail
 * ("orders.db: no such table: orders").  The codes are part of the
 * project's stable surface: they are never renumbered, only appended.
 */
#ifndef AB_ERR_H
#define AB_ERR_H

#include <stddef.h>

#if defined(__GNUC__)
#define AB_MUST_CHECK __attribute__((warn_unused_result))
#define AB_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define AB_MUST_CHECK
#define AB_PRINTF(f, a)
#endif

enum ab_err {
    AB_OK = 0,
    AB_ENOMEM = 1,     /* allocation failed */
    AB_EINVAL = 2,     /* bad argument or bad input */
    AB_EIO = 3,        /* file or socket I/O failed */
    AB_ECONFIG = 4,    /* the configuration is invalid */
    AB_ESTORE = 5,     /* the state database failed */
    AB_ENOTFOUND = 6,  /* no such thing (check, alert, token, file) */
    AB_ETIMEOUT = 7,   /* an operation ran past its deadline */
    AB_ESOURCE = 8,    /* a data source failed (connect, query) */
    AB_ESMTP = 9,      /* sending mail failed */
    AB_EIMAP = 10,     /* reading mail failed */
    AB_EPARSE = 11,    /* input did not parse */
    AB_ETEMPLATE = 12, /* a template failed to parse or render */
    AB_ERANGE = 13,    /* a value is out of its allowed range */
    AB_EEXIST = 14,    /* already exists / already claimed */
    AB_EVERSION = 15,  /* incompatible version (database, plugin ABI) */
    AB_ECHILD = 16,    /* a child process failed */
    AB_ETEMPFAIL = 17, /* transient failure: try again later */
    AB_EPERMFAIL = 18, /* permanent failure: do not retry */
    AB_EBUSY = 19,     /* resource busy (database locked) */
};

/* A human-readable detail for the last error; text[0] == 0 when unset. */
typedef struct ab_errmsg {
    char text[1024];
} ab_errmsg;

/* Short fixed description of a code ("out of memory").  Never NULL. */
const char *ab_strerror(enum ab_err e);

/*
 * Record detail in em (may be NULL) and return code, so that failure paths
 * read as one statement:  return ab_fail(em, AB_EINVAL, "bad port %s", p);
 */
enum ab_err ab_fail(ab_errmsg *em, enum ab_err code, const char *fmt, ...)
    AB_PRINTF(3, 4);

/* Prefix existing detail: "ctx: old detail".  Returns code. */
enum ab_err ab_failctx(ab_errmsg *em, enum ab_err code, const char *fmt, ...)
    AB_PRINTF(3, 4);

void ab_errmsg_clear(ab_errmsg *em);

/* The detail of this thread's last ab_fail, even one given no em (the
 * unit tests print it beside a failed CHECK_OK). */
const char *ab_last_fail(void);

#endif
