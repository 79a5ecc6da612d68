/*
 * ab_err.c - descriptions of the error codes and the detail buffer helpers.
 */
#include "ab_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *ab_strerror(enum ab_err e)
{
    switch (e) {
    case AB_OK: return "ok";
    case AB_ENOMEM: return "out of memory";
    case AB_EINVAL: return "invalid argument";
    case AB_EIO: return "input/output error";
    case AB_ECONFIG: return "invalid configuration";
    case AB_ESTORE: return "state database error";
    case AB_ENOTFOUND: return "not found";
    case AB_ETIMEOUT: return "timed out";
    case AB_ESOURCE: return "data source error";
    case AB_ESMTP: return "mail sending failed";
    case AB_EIMAP: return "mail reading failed";
    case AB_EPARSE: return "parse error";
    case AB_ETEMPLATE: return "template error";
    case AB_ERANGE: return "value out of range";
    case AB_EEXIST: return "already exists";
    case AB_EVERSION: return "incompatible version";
    case AB_ECHILD: return "child process failed";
    case AB_ETEMPFAIL: return "temporary failure";
    case AB_EPERMFAIL: return "permanent failure";
    case AB_EBUSY: return "resource busy";
    }
    return "unknown error";
}

/* The thread's last detail, for a test's failure line. */
static _Thread_local char last_fail[sizeof ((ab_errmsg *)0)->text];

const char *ab_last_fail(void)
{
    return last_fail;
}

enum ab_err ab_fail(ab_errmsg *em, enum ab_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_fail, sizeof last_fail, fmt, ap);
    va_end(ap);
    if (em)
        snprintf(em->text, sizeof em->text, "%s", last_fail);
    return code;
}

enum ab_err ab_failctx(ab_errmsg *em, enum ab_err code, const char *fmt, ...)
{
    if (em) {
        char ctx[512], old[sizeof em->text];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx, sizeof ctx, fmt, ap);
        va_end(ap);
        memcpy(old, em->text, sizeof old);
        if (old[0])
            snprintf(em->text, sizeof em->text, "%s: %s", ctx, old);
        else
            snprintf(em->text, sizeof em->text, "%s", ctx);
    }
    return code;
}

void ab_errmsg_clear(ab_errmsg *em)
{
    if (em)
        em->text[0] = '\0';
}
