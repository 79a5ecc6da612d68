/*
 * ab_dl_mhd.h - libmicrohttpd (the web server, <web>), loaded at its first
 * call (common/ab_dl.h).
 * Include this instead of the library's own header: the names below
 * then call through the table ab_dl_mhd() fills from libmicrohttpd.so.12.
 * A function the code starts to use is added to AB_DL_MHD_FNS and given
 * its #define here.
 */
#ifndef AB_DL_MHD_H
#define AB_DL_MHD_H

#include <microhttpd.h>

#include "common/ab_dl.h"

#define AB_DL_MHD_FNS(X) \
    X(MHD_add_response_header) \
    X(MHD_create_response_from_buffer) \
    X(MHD_create_response_from_buffer_with_free_callback) \
    X(MHD_destroy_response) \
    X(MHD_get_connection_info) \
    X(MHD_get_connection_values) \
    X(MHD_get_daemon_info) \
    X(MHD_lookup_connection_value) \
    X(MHD_queue_response) \
    X(MHD_quiesce_daemon) \
    X(MHD_resume_connection) \
    X(MHD_start_daemon) \
    X(MHD_stop_daemon) \
    X(MHD_suspend_connection)

AB_DL_DECLARE(mhd, AB_DL_MHD_FNS)

/* Any macro of the library's own by these names gives way to the table. */
#undef MHD_add_response_header
#define MHD_add_response_header (ab_dl_mhd()->MHD_add_response_header)
#undef MHD_create_response_from_buffer
#define MHD_create_response_from_buffer (ab_dl_mhd()->MHD_create_response_from_buffer)
#undef MHD_create_response_from_buffer_with_free_callback
#define MHD_create_response_from_buffer_with_free_callback (ab_dl_mhd()->MHD_create_response_from_buffer_with_free_callback)
#undef MHD_destroy_response
#define MHD_destroy_response (ab_dl_mhd()->MHD_destroy_response)
#undef MHD_get_connection_info
#define MHD_get_connection_info (ab_dl_mhd()->MHD_get_connection_info)
#undef MHD_get_connection_values
#define MHD_get_connection_values (ab_dl_mhd()->MHD_get_connection_values)
#undef MHD_get_daemon_info
#define MHD_get_daemon_info (ab_dl_mhd()->MHD_get_daemon_info)
#undef MHD_lookup_connection_value
#define MHD_lookup_connection_value (ab_dl_mhd()->MHD_lookup_connection_value)
#undef MHD_queue_response
#define MHD_queue_response (ab_dl_mhd()->MHD_queue_response)
#undef MHD_quiesce_daemon
#define MHD_quiesce_daemon (ab_dl_mhd()->MHD_quiesce_daemon)
#undef MHD_resume_connection
#define MHD_resume_connection (ab_dl_mhd()->MHD_resume_connection)
#undef MHD_start_daemon
#define MHD_start_daemon (ab_dl_mhd()->MHD_start_daemon)
#undef MHD_stop_daemon
#define MHD_stop_daemon (ab_dl_mhd()->MHD_stop_daemon)
#undef MHD_suspend_connection
#define MHD_suspend_connection (ab_dl_mhd()->MHD_suspend_connection)

#endif
