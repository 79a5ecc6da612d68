/*
 * ab_dl.h - libraries loaded when first used (common/ab_dl.c).
 *
 * Every library a process maps costs resident memory before it does
 * anything: the loader reads its symbol and relocation tables and runs
 * its constructors, and each library pulls in its own (libcurl and
 * libpq bring OpenLDAP, Kerberos and GnuTLS).  Measured on Debian 12, a
 * program that only maps what ackbeat links is 15 MB resident, most of a
 * daemon watching 1,000 checks.  So the libraries a config may not use
 * at all, or not until something happens - libcurl (SMTP, IMAP,
 * webhooks), libpq (PostgreSQL state), libmicrohttpd (<web>), unixODBC
 * (ODBC sources), OpenDKIM (<dkim>), GMime (the first mail in or out),
 * libical (a recurrence, a time zone other than UTC) and libcrypto
 * (webhook signatures, DKIM keys) - are opened with dlopen at their
 * first call instead of at exec.
 *
 * Each is a table of function pointers (common/ab_dl_libs.h), filled
 * from the library at its first use, and a header per library that
 * makes the usual names call through it, so the code reads as it would
 * linked: curl_easy_perform(h).  The pointers have the types of the
 * library's own declarations (__typeof__), so every call is checked by
 * the compiler as before.
 */
#ifndef AB_DL_H
#define AB_DL_H

#include <pthread.h>
#include <stddef.h>

#include "common/ab_err.h"

struct ab_dl_lib {
    const char *soname;        /* "libcurl.so.4" */
    const char *package;       /* the Debian package that has it, for the message */
    const char *const *names;  /* the functions, in the table's order */
    void **slots;              /* the table, as an array of n pointers */
    size_t n;
    pthread_once_t once;
    int ok;                    /* loaded, every name found */
    char why[512];             /* else why not */
};

/* Load l if not yet done (once per process, from any thread); AB_OK when
 * every function is there, else an error naming the library, what
 * dlopen or dlsym said and the package to install. */
enum ab_err ab_dl_load(struct ab_dl_lib *l, ab_errmsg *em);

/* The same for a call site that has no way to report an error: a
 * library that cannot be loaded is logged, and the process exits with
 * status 69 (EX_UNAVAILABLE), as it would have at exec had it been
 * linked.  ackbeat's package depends on every library here (debian/
 * control), and most are first called at start or in the first tick
 * (the web server, the state on PostgreSQL, the inbox poll, the checks'
 * sources), so a broken install shows at once; GMime waits for the
 * first mail, libcrypto for the first signature. */
void ab_dl_need(struct ab_dl_lib *l);

/* In a library's header, after its own: the table struct ab_dl_NAME_fns
 * with a pointer per function FNS lists (X-macro), and ab_dl_NAME(), the
 * table with the library loaded.  common/ab_dl_libs.c defines them. */
#define AB_DL_SLOT(f) __typeof__(f) *f;
#define AB_DL_DECLARE(name, FNS)                                                 \
    struct ab_dl_##name##_fns {                                                  \
        FNS(AB_DL_SLOT)                                                          \
    };                                                                           \
    extern struct ab_dl_lib ab_dl_##name##_lib;                                  \
    extern struct ab_dl_##name##_fns ab_dl_##name##_table;                       \
    static inline const struct ab_dl_##name##_fns *ab_dl_##name(void)            \
    {                                                                            \
        ab_dl_need(&ab_dl_##name##_lib);                                         \
        return &ab_dl_##name##_table;                                            \
    }

#endif
