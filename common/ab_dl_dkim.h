/*
 * ab_dl_dkim.h - OpenDKIM (signing mail, <dkim>), loaded at its first
 * call (common/ab_dl.h).
 * Include this instead of the library's own header: the names below
 * then call through the table ab_dl_dkim() fills from libopendkim.so.11.
 * A function the code starts to use is added to AB_DL_DKIM_FNS and given
 * its #define here.
 */
#ifndef AB_DL_DKIM_H
#define AB_DL_DKIM_H

#include <opendkim/dkim.h>

#include "common/ab_dl.h"

#define AB_DL_DKIM_FNS(X) \
    X(dkim_body) \
    X(dkim_close) \
    X(dkim_eoh) \
    X(dkim_eom) \
    X(dkim_free) \
    X(dkim_geterror) \
    X(dkim_getresultstr) \
    X(dkim_getsighdr_d) \
    X(dkim_header) \
    X(dkim_init) \
    X(dkim_options) \
    X(dkim_sign)

AB_DL_DECLARE(dkim, AB_DL_DKIM_FNS)

/* Any macro of the library's own by these names gives way to the table. */
#undef dkim_body
#define dkim_body (ab_dl_dkim()->dkim_body)
#undef dkim_close
#define dkim_close (ab_dl_dkim()->dkim_close)
#undef dkim_eoh
#define dkim_eoh (ab_dl_dkim()->dkim_eoh)
#undef dkim_eom
#define dkim_eom (ab_dl_dkim()->dkim_eom)
#undef dkim_free
#define dkim_free (ab_dl_dkim()->dkim_free)
#undef dkim_geterror
#define dkim_geterror (ab_dl_dkim()->dkim_geterror)
#undef dkim_getresultstr
#define dkim_getresultstr (ab_dl_dkim()->dkim_getresultstr)
#undef dkim_getsighdr_d
#define dkim_getsighdr_d (ab_dl_dkim()->dkim_getsighdr_d)
#undef dkim_header
#define dkim_header (ab_dl_dkim()->dkim_header)
#undef dkim_init
#define dkim_init (ab_dl_dkim()->dkim_init)
#undef dkim_options
#define dkim_options (ab_dl_dkim()->dkim_options)
#undef dkim_sign
#define dkim_sign (ab_dl_dkim()->dkim_sign)

#endif
