/*
 * ab_dl_curl.h - libcurl (SMTP, IMAP and HTTP out), loaded at its first
 * call (common/ab_dl.h).
 * Include this instead of the library's own header: the names below
 * then call through the table ab_dl_curl() fills from libcurl.so.4.
 * A function the code starts to use is added to AB_DL_CURL_FNS and given
 * its #define here.
 */
#ifndef AB_DL_CURL_H
#define AB_DL_CURL_H

/* curl's own macros of these two would hide the table's. */
#ifndef CURL_DISABLE_TYPECHECK
#define CURL_DISABLE_TYPECHECK 1
#endif
#include <curl/curl.h>

#include "common/ab_dl.h"

#define AB_DL_CURL_FNS(X) \
    X(curl_easy_cleanup) \
    X(curl_easy_escape) \
    X(curl_easy_getinfo) \
    X(curl_easy_init) \
    X(curl_easy_perform) \
    X(curl_easy_recv) \
    X(curl_easy_send) \
    X(curl_easy_setopt) \
    X(curl_easy_strerror) \
    X(curl_easy_unescape) \
    X(curl_free) \
    X(curl_global_init) \
    X(curl_slist_append) \
    X(curl_slist_free_all) \
    X(curl_url) \
    X(curl_url_cleanup) \
    X(curl_url_get) \
    X(curl_url_set) \
    X(curl_url_strerror)

AB_DL_DECLARE(curl, AB_DL_CURL_FNS)

/* Any macro of the library's own by these names gives way to the table. */
#undef curl_easy_cleanup
#define curl_easy_cleanup (ab_dl_curl()->curl_easy_cleanup)
#undef curl_easy_escape
#define curl_easy_escape (ab_dl_curl()->curl_easy_escape)
#undef curl_easy_getinfo
#define curl_easy_getinfo (ab_dl_curl()->curl_easy_getinfo)
#undef curl_easy_init
#define curl_easy_init (ab_dl_curl()->curl_easy_init)
#undef curl_easy_perform
#define curl_easy_perform (ab_dl_curl()->curl_easy_perform)
#undef curl_easy_recv
#define curl_easy_recv (ab_dl_curl()->curl_easy_recv)
#undef curl_easy_send
#define curl_easy_send (ab_dl_curl()->curl_easy_send)
#undef curl_easy_setopt
#define curl_easy_setopt (ab_dl_curl()->curl_easy_setopt)
#undef curl_easy_strerror
#define curl_easy_strerror (ab_dl_curl()->curl_easy_strerror)
#undef curl_easy_unescape
#define curl_easy_unescape (ab_dl_curl()->curl_easy_unescape)
#undef curl_free
#define curl_free (ab_dl_curl()->curl_free)
#undef curl_global_init
#define curl_global_init (ab_dl_curl()->curl_global_init)
#undef curl_slist_append
#define curl_slist_append (ab_dl_curl()->curl_slist_append)
#undef curl_slist_free_all
#define curl_slist_free_all (ab_dl_curl()->curl_slist_free_all)
#undef curl_url
#define curl_url (ab_dl_curl()->curl_url)
#undef curl_url_cleanup
#define curl_url_cleanup (ab_dl_curl()->curl_url_cleanup)
#undef curl_url_get
#define curl_url_get (ab_dl_curl()->curl_url_get)
#undef curl_url_set
#define curl_url_set (ab_dl_curl()->curl_url_set)
#undef curl_url_strerror
#define curl_url_strerror (ab_dl_curl()->curl_url_strerror)

#endif
