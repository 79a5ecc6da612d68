/*
 * ab_dl_gmime.h - GMime, with the GLib and GObject functions ackbeat calls (mail in
 * and out), loaded at its first
 * call (common/ab_dl.h).  Include this instead of the library's own
 * header: the names below then call through the table ab_dl_gmime()
 * fills from libgmime-3.0.so.0.  A function the code starts to use is added
 * to AB_DL_GMIME_FNS and given its #define here.
 */
#ifndef AB_DL_GMIME_H
#define AB_DL_GMIME_H

#include <gmime/gmime.h>

#include "common/ab_dl.h"

#define AB_DL_GMIME_FNS(X) \
    X(g_mime_content_disposition_is_attachment) \
    X(g_mime_content_type_get_mime_type) \
    X(g_mime_content_type_get_parameter) \
    X(g_mime_content_type_is_type) \
    X(g_mime_data_wrapper_get_encoding) \
    X(g_mime_data_wrapper_get_stream) \
    X(g_mime_filter_basic_new) \
    X(g_mime_filter_complete) \
    X(g_mime_filter_filter) \
    X(g_mime_format_options_clone) \
    X(g_mime_format_options_free) \
    X(g_mime_format_options_set_newline_format) \
    X(g_mime_header_get_name) \
    X(g_mime_header_get_value) \
    X(g_mime_header_list_get_count) \
    X(g_mime_header_list_get_header_at) \
    X(g_mime_init) \
    X(g_mime_message_get_cc) \
    X(g_mime_message_get_date) \
    X(g_mime_message_get_from) \
    X(g_mime_message_get_message_id) \
    X(g_mime_message_get_mime_part) \
    X(g_mime_message_get_reply_to) \
    X(g_mime_message_get_subject) \
    X(g_mime_message_get_to) \
    X(g_mime_message_new) \
    X(g_mime_message_part_get_message) \
    X(g_mime_message_part_get_type) \
    X(g_mime_message_set_date) \
    X(g_mime_message_set_message_id) \
    X(g_mime_message_set_mime_part) \
    X(g_mime_message_set_subject) \
    X(g_mime_multipart_add) \
    X(g_mime_multipart_get_count) \
    X(g_mime_multipart_get_part) \
    X(g_mime_multipart_get_type) \
    X(g_mime_multipart_new_with_subtype) \
    X(g_mime_object_append_header) \
    X(g_mime_object_get_content_disposition) \
    X(g_mime_object_get_content_type) \
    X(g_mime_object_get_header) \
    X(g_mime_object_get_header_list) \
    X(g_mime_object_get_headers) \
    X(g_mime_object_get_type) \
    X(g_mime_object_set_header) \
    X(g_mime_object_to_string) \
    X(g_mime_parser_construct_message) \
    X(g_mime_parser_new_with_stream) \
    X(g_mime_parser_set_format) \
    X(g_mime_part_get_best_content_encoding) \
    X(g_mime_part_get_content) \
    X(g_mime_part_get_filename) \
    X(g_mime_part_get_type) \
    X(g_mime_part_set_content_encoding) \
    X(g_mime_references_free) \
    X(g_mime_references_get_message_id) \
    X(g_mime_references_length) \
    X(g_mime_references_parse) \
    X(g_mime_stream_mem_get_type) \
    X(g_mime_stream_mem_new_with_byte_array) \
    X(g_mime_stream_mem_set_owner) \
    X(g_mime_stream_read) \
    X(g_mime_stream_reset) \
    X(g_mime_text_part_get_type) \
    X(g_mime_text_part_new_with_subtype) \
    X(g_mime_text_part_set_charset) \
    X(g_mime_text_part_set_text) \
    X(internet_address_get_name) \
    X(internet_address_group_get_members) \
    X(internet_address_group_get_type) \
    X(internet_address_list_add) \
    X(internet_address_list_get_address) \
    X(internet_address_list_length) \
    X(internet_address_list_parse) \
    X(internet_address_mailbox_get_addr) \
    X(internet_address_mailbox_get_type) \
    X(internet_address_mailbox_new) \
    X(internet_address_set_charset) \
    X(g_object_unref) \
    X(g_type_check_instance_cast) \
    X(g_type_check_instance_is_a) \
    X(g_ascii_strcasecmp) \
    X(g_base64_decode) \
    X(g_byte_array_free) \
    X(g_byte_array_new_take) \
    X(g_date_time_new_from_unix_utc) \
    X(g_date_time_to_unix) \
    X(g_date_time_unref) \
    X(g_free) \
    X(g_hmac_get_digest) \
    X(g_hmac_new) \
    X(g_hmac_unref) \
    X(g_hmac_update) \
    X(g_unichar_to_utf8) \
    X(g_utf8_make_valid) \
    X(g_utf8_validate) \
    X(g_utf8_validate_len)

AB_DL_DECLARE(gmime, AB_DL_GMIME_FNS)

/* Any macro of the library's own by these names gives way to the table. */
#undef g_mime_content_disposition_is_attachment
#define g_mime_content_disposition_is_attachment (ab_dl_gmime()->g_mime_content_disposition_is_attachment)
#undef g_mime_content_type_get_mime_type
#define g_mime_content_type_get_mime_type (ab_dl_gmime()->g_mime_content_type_get_mime_type)
#undef g_mime_content_type_get_parameter
#define g_mime_content_type_get_parameter (ab_dl_gmime()->g_mime_content_type_get_parameter)
#undef g_mime_content_type_is_type
#define g_mime_content_type_is_type (ab_dl_gmime()->g_mime_content_type_is_type)
#undef g_mime_data_wrapper_get_encoding
#define g_mime_data_wrapper_get_encoding (ab_dl_gmime()->g_mime_data_wrapper_get_encoding)
#undef g_mime_data_wrapper_get_stream
#define g_mime_data_wrapper_get_stream (ab_dl_gmime()->g_mime_data_wrapper_get_stream)
#undef g_mime_filter_basic_new
#define g_mime_filter_basic_new (ab_dl_gmime()->g_mime_filter_basic_new)
#undef g_mime_filter_complete
#define g_mime_filter_complete (ab_dl_gmime()->g_mime_filter_complete)
#undef g_mime_filter_filter
#define g_mime_filter_filter (ab_dl_gmime()->g_mime_filter_filter)
#undef g_mime_format_options_clone
#define g_mime_format_options_clone (ab_dl_gmime()->g_mime_format_options_clone)
#undef g_mime_format_options_free
#define g_mime_format_options_free (ab_dl_gmime()->g_mime_format_options_free)
#undef g_mime_format_options_set_newline_format
#define g_mime_format_options_set_newline_format (ab_dl_gmime()->g_mime_format_options_set_newline_format)
#undef g_mime_header_get_name
#define g_mime_header_get_name (ab_dl_gmime()->g_mime_header_get_name)
#undef g_mime_header_get_value
#define g_mime_header_get_value (ab_dl_gmime()->g_mime_header_get_value)
#undef g_mime_header_list_get_count
#define g_mime_header_list_get_count (ab_dl_gmime()->g_mime_header_list_get_count)
#undef g_mime_header_list_get_header_at
#define g_mime_header_list_get_header_at (ab_dl_gmime()->g_mime_header_list_get_header_at)
#undef g_mime_init
#define g_mime_init (ab_dl_gmime()->g_mime_init)
#undef g_mime_message_get_cc
#define g_mime_message_get_cc (ab_dl_gmime()->g_mime_message_get_cc)
#undef g_mime_message_get_date
#define g_mime_message_get_date (ab_dl_gmime()->g_mime_message_get_date)
#undef g_mime_message_get_from
#define g_mime_message_get_from (ab_dl_gmime()->g_mime_message_get_from)
#undef g_mime_message_get_message_id
#define g_mime_message_get_message_id (ab_dl_gmime()->g_mime_message_get_message_id)
#undef g_mime_message_get_mime_part
#define g_mime_message_get_mime_part (ab_dl_gmime()->g_mime_message_get_mime_part)
#undef g_mime_message_get_reply_to
#define g_mime_message_get_reply_to (ab_dl_gmime()->g_mime_message_get_reply_to)
#undef g_mime_message_get_subject
#define g_mime_message_get_subject (ab_dl_gmime()->g_mime_message_get_subject)
#undef g_mime_message_get_to
#define g_mime_message_get_to (ab_dl_gmime()->g_mime_message_get_to)
#undef g_mime_message_new
#define g_mime_message_new (ab_dl_gmime()->g_mime_message_new)
#undef g_mime_message_part_get_message
#define g_mime_message_part_get_message (ab_dl_gmime()->g_mime_message_part_get_message)
#undef g_mime_message_part_get_type
#define g_mime_message_part_get_type (ab_dl_gmime()->g_mime_message_part_get_type)
#undef g_mime_message_set_date
#define g_mime_message_set_date (ab_dl_gmime()->g_mime_message_set_date)
#undef g_mime_message_set_message_id
#define g_mime_message_set_message_id (ab_dl_gmime()->g_mime_message_set_message_id)
#undef g_mime_message_set_mime_part
#define g_mime_message_set_mime_part (ab_dl_gmime()->g_mime_message_set_mime_part)
#undef g_mime_message_set_subject
#define g_mime_message_set_subject (ab_dl_gmime()->g_mime_message_set_subject)
#undef g_mime_multipart_add
#define g_mime_multipart_add (ab_dl_gmime()->g_mime_multipart_add)
#undef g_mime_multipart_get_count
#define g_mime_multipart_get_count (ab_dl_gmime()->g_mime_multipart_get_count)
#undef g_mime_multipart_get_part
#define g_mime_multipart_get_part (ab_dl_gmime()->g_mime_multipart_get_part)
#undef g_mime_multipart_get_type
#define g_mime_multipart_get_type (ab_dl_gmime()->g_mime_multipart_get_type)
#undef g_mime_multipart_new_with_subtype
#define g_mime_multipart_new_with_subtype (ab_dl_gmime()->g_mime_multipart_new_with_subtype)
#undef g_mime_object_append_header
#define g_mime_object_append_header (ab_dl_gmime()->g_mime_object_append_header)
#undef g_mime_object_get_content_disposition
#define g_mime_object_get_content_disposition (ab_dl_gmime()->g_mime_object_get_content_disposition)
#undef g_mime_object_get_content_type
#define g_mime_object_get_content_type (ab_dl_gmime()->g_mime_object_get_content_type)
#undef g_mime_object_get_header
#define g_mime_object_get_header (ab_dl_gmime()->g_mime_object_get_header)
#undef g_mime_object_get_header_list
#define g_mime_object_get_header_list (ab_dl_gmime()->g_mime_object_get_header_list)
#undef g_mime_object_get_headers
#define g_mime_object_get_headers (ab_dl_gmime()->g_mime_object_get_headers)
#undef g_mime_object_get_type
#define g_mime_object_get_type (ab_dl_gmime()->g_mime_object_get_type)
#undef g_mime_object_set_header
#define g_mime_object_set_header (ab_dl_gmime()->g_mime_object_set_header)
#undef g_mime_object_to_string
#define g_mime_object_to_string (ab_dl_gmime()->g_mime_object_to_string)
#undef g_mime_parser_construct_message
#define g_mime_parser_construct_message (ab_dl_gmime()->g_mime_parser_construct_message)
#undef g_mime_parser_new_with_stream
#define g_mime_parser_new_with_stream (ab_dl_gmime()->g_mime_parser_new_with_stream)
#undef g_mime_parser_set_format
#define g_mime_parser_set_format (ab_dl_gmime()->g_mime_parser_set_format)
#undef g_mime_part_get_best_content_encoding
#define g_mime_part_get_best_content_encoding (ab_dl_gmime()->g_mime_part_get_best_content_encoding)
#undef g_mime_part_get_content
#define g_mime_part_get_content (ab_dl_gmime()->g_mime_part_get_content)
#undef g_mime_part_get_filename
#define g_mime_part_get_filename (ab_dl_gmime()->g_mime_part_get_filename)
#undef g_mime_part_get_type
#define g_mime_part_get_type (ab_dl_gmime()->g_mime_part_get_type)
#undef g_mime_part_set_content_encoding
#define g_mime_part_set_content_encoding (ab_dl_gmime()->g_mime_part_set_content_encoding)
#undef g_mime_references_free
#define g_mime_references_free (ab_dl_gmime()->g_mime_references_free)
#undef g_mime_references_get_message_id
#define g_mime_references_get_message_id (ab_dl_gmime()->g_mime_references_get_message_id)
#undef g_mime_references_length
#define g_mime_references_length (ab_dl_gmime()->g_mime_references_length)
#undef g_mime_references_parse
#define g_mime_references_parse (ab_dl_gmime()->g_mime_references_parse)
#undef g_mime_stream_mem_get_type
#define g_mime_stream_mem_get_type (ab_dl_gmime()->g_mime_stream_mem_get_type)
#undef g_mime_stream_mem_new_with_byte_array
#define g_mime_stream_mem_new_with_byte_array (ab_dl_gmime()->g_mime_stream_mem_new_with_byte_array)
#undef g_mime_stream_mem_set_owner
#define g_mime_stream_mem_set_owner (ab_dl_gmime()->g_mime_stream_mem_set_owner)
#undef g_mime_stream_read
#define g_mime_stream_read (ab_dl_gmime()->g_mime_stream_read)
#undef g_mime_stream_reset
#define g_mime_stream_reset (ab_dl_gmime()->g_mime_stream_reset)
#undef g_mime_text_part_get_type
#define g_mime_text_part_get_type (ab_dl_gmime()->g_mime_text_part_get_type)
#undef g_mime_text_part_new_with_subtype
#define g_mime_text_part_new_with_subtype (ab_dl_gmime()->g_mime_text_part_new_with_subtype)
#undef g_mime_text_part_set_charset
#define g_mime_text_part_set_charset (ab_dl_gmime()->g_mime_text_part_set_charset)
#undef g_mime_text_part_set_text
#define g_mime_text_part_set_text (ab_dl_gmime()->g_mime_text_part_set_text)
#undef internet_address_get_name
#define internet_address_get_name (ab_dl_gmime()->internet_address_get_name)
#undef internet_address_group_get_members
#define internet_address_group_get_members (ab_dl_gmime()->internet_address_group_get_members)
#undef internet_address_group_get_type
#define internet_address_group_get_type (ab_dl_gmime()->internet_address_group_get_type)
#undef internet_address_list_add
#define internet_address_list_add (ab_dl_gmime()->internet_address_list_add)
#undef internet_address_list_get_address
#define internet_address_list_get_address (ab_dl_gmime()->internet_address_list_get_address)
#undef internet_address_list_length
#define internet_address_list_length (ab_dl_gmime()->internet_address_list_length)
#undef internet_address_list_parse
#define internet_address_list_parse (ab_dl_gmime()->internet_address_list_parse)
#undef internet_address_mailbox_get_addr
#define internet_address_mailbox_get_addr (ab_dl_gmime()->internet_address_mailbox_get_addr)
#undef internet_address_mailbox_get_type
#define internet_address_mailbox_get_type (ab_dl_gmime()->internet_address_mailbox_get_type)
#undef internet_address_mailbox_new
#define internet_address_mailbox_new (ab_dl_gmime()->internet_address_mailbox_new)
#undef internet_address_set_charset
#define internet_address_set_charset (ab_dl_gmime()->internet_address_set_charset)
#undef g_object_unref
#define g_object_unref (ab_dl_gmime()->g_object_unref)
#undef g_type_check_instance_cast
#define g_type_check_instance_cast (ab_dl_gmime()->g_type_check_instance_cast)
#undef g_type_check_instance_is_a
#define g_type_check_instance_is_a (ab_dl_gmime()->g_type_check_instance_is_a)
#undef g_ascii_strcasecmp
#define g_ascii_strcasecmp (ab_dl_gmime()->g_ascii_strcasecmp)
#undef g_base64_decode
#define g_base64_decode (ab_dl_gmime()->g_base64_decode)
#undef g_byte_array_free
#define g_byte_array_free (ab_dl_gmime()->g_byte_array_free)
#undef g_byte_array_new_take
#define g_byte_array_new_take (ab_dl_gmime()->g_byte_array_new_take)
#undef g_date_time_new_from_unix_utc
#define g_date_time_new_from_unix_utc (ab_dl_gmime()->g_date_time_new_from_unix_utc)
#undef g_date_time_to_unix
#define g_date_time_to_unix (ab_dl_gmime()->g_date_time_to_unix)
#undef g_date_time_unref
#define g_date_time_unref (ab_dl_gmime()->g_date_time_unref)
#undef g_free
#define g_free (ab_dl_gmime()->g_free)
#undef g_hmac_get_digest
#define g_hmac_get_digest (ab_dl_gmime()->g_hmac_get_digest)
#undef g_hmac_new
#define g_hmac_new (ab_dl_gmime()->g_hmac_new)
#undef g_hmac_unref
#define g_hmac_unref (ab_dl_gmime()->g_hmac_unref)
#undef g_hmac_update
#define g_hmac_update (ab_dl_gmime()->g_hmac_update)
#undef g_unichar_to_utf8
#define g_unichar_to_utf8 (ab_dl_gmime()->g_unichar_to_utf8)
#undef g_utf8_make_valid
#define g_utf8_make_valid (ab_dl_gmime()->g_utf8_make_valid)
#undef g_utf8_validate
#define g_utf8_validate (ab_dl_gmime()->g_utf8_validate)
#undef g_utf8_validate_len
#define g_utf8_validate_len (ab_dl_gmime()->g_utf8_validate_len)

#endif
