/*
 * ab_dl_libs.c - the libraries ackbeat opens at their first use
 * (common/ab_dl.h): each one's SONAME, its Debian package, and the names
 * of the functions its table holds, in the table's order.
 */
#include "common/ab_dl_curl.h"
#include "common/ab_dl_pq.h"
#include "common/ab_dl_mhd.h"
#include "common/ab_dl_odbc.h"
#include "common/ab_dl_crypto.h"
#include "common/ab_dl_dkim.h"
#include "common/ab_dl_gmime.h"
#include "common/ab_dl_ical.h"

/* Stringized, so not expanded: the names the headers #define. */
#define AB_DL_NAME(f) #f,

/* A table is filled as an array of pointers (POSIX's dlsym returns
 * function addresses as void *): same size, no padding between. */
#define AB_DL_TABLE(name, U, so, pkg)                                              \
    struct ab_dl_##name##_fns ab_dl_##name##_table;                                \
    static const char *const name##_names[] = {U(AB_DL_NAME)};                     \
    _Static_assert(sizeof(struct ab_dl_##name##_fns) ==                            \
                       sizeof name##_names / sizeof *name##_names * sizeof(void *), \
                   "one pointer per name");                                        \
    struct ab_dl_lib ab_dl_##name##_lib = {                                        \
        .soname = so,                                                              \
        .package = pkg,                                                            \
        .names = name##_names,                                                     \
        .slots = (void **)&ab_dl_##name##_table,                                   \
        .n = sizeof name##_names / sizeof *name##_names,                           \
        .once = PTHREAD_ONCE_INIT,                                                 \
    };

AB_DL_TABLE(curl, AB_DL_CURL_FNS, "libcurl.so.4", "libcurl4")
AB_DL_TABLE(pq, AB_DL_PQ_FNS, "libpq.so.5", "libpq5")
AB_DL_TABLE(mhd, AB_DL_MHD_FNS, "libmicrohttpd.so.12", "libmicrohttpd12")
AB_DL_TABLE(odbc, AB_DL_ODBC_FNS, "libodbc.so.2", "libodbc2")
AB_DL_TABLE(dkim, AB_DL_DKIM_FNS, "libopendkim.so.11", "libopendkim11")
AB_DL_TABLE(gmime, AB_DL_GMIME_FNS, "libgmime-3.0.so.0", "libgmime-3.0-0")
AB_DL_TABLE(ical, AB_DL_ICAL_FNS, "libical.so.3", "libical3")
AB_DL_TABLE(crypto, AB_DL_CRYPTO_FNS, "libcrypto.so.3", "libssl3")
