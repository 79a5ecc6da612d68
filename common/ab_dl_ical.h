/*
 * ab_dl_ical.h - libical (recurrences, time zones, calendars), loaded at its first
 * call (common/ab_dl.h).  Include this instead of the library's own
 * header: the names below then call through the table ab_dl_ical()
 * fills from libical.so.3.  A function the code starts to use is added
 * to AB_DL_ICAL_FNS and given its #define here.
 */
#ifndef AB_DL_ICAL_H
#define AB_DL_ICAL_H

#include <libical/ical.h>

#include "common/ab_dl.h"

#define AB_DL_ICAL_FNS(X) \
    X(icalcomponent_free) \
    X(icalcomponent_get_first_component) \
    X(icalcomponent_get_first_property) \
    X(icalcomponent_get_next_component) \
    X(icalcomponent_get_next_property) \
    X(icalcomponent_get_summary) \
    X(icalcomponent_isa) \
    X(icaldurationtype_as_int) \
    X(icalerrno_return) \
    X(icalerror_clear_errno) \
    X(icalerror_set_errors_are_fatal) \
    X(icalparameter_get_tzid) \
    X(icalparser_parse_string) \
    X(icalproperty_free) \
    X(icalproperty_get_dtend) \
    X(icalproperty_get_dtstart) \
    X(icalproperty_get_duration) \
    X(icalproperty_get_exdate) \
    X(icalproperty_get_first_parameter) \
    X(icalproperty_get_rdate) \
    X(icalproperty_get_rrule) \
    X(icalproperty_get_status) \
    X(icalproperty_get_tzid) \
    X(icalproperty_get_tzoffsetfrom) \
    X(icalproperty_get_tzoffsetto) \
    X(icalproperty_new_from_string) \
    X(icalrecur_iterator_free) \
    X(icalrecur_iterator_new) \
    X(icalrecur_iterator_next) \
    X(icalrecurrencetype_clear) \
    X(icalrecurrencetype_day_position) \
    X(icalrecurrencetype_from_string) \
    X(icaltime_as_timet_with_zone) \
    X(icaltime_from_timet_with_zone) \
    X(icaltime_is_null_time) \
    X(icaltime_is_utc) \
    X(icaltime_null_time) \
    X(icaltimezone_free_builtin_timezones) \
    X(icaltimezone_get_builtin_timezone) \
    X(icaltimezone_get_component) \
    X(icaltimezone_get_tznames) \
    X(icaltimezone_get_utc_offset_of_utc_time) \
    X(icaltimezone_get_utc_timezone)

AB_DL_DECLARE(ical, AB_DL_ICAL_FNS)

/* Any macro of the library's own by these names gives way to the table. */
#undef icalcomponent_free
#define icalcomponent_free (ab_dl_ical()->icalcomponent_free)
#undef icalcomponent_get_first_component
#define icalcomponent_get_first_component (ab_dl_ical()->icalcomponent_get_first_component)
#undef icalcomponent_get_first_property
#define icalcomponent_get_first_property (ab_dl_ical()->icalcomponent_get_first_property)
#undef icalcomponent_get_next_component
#define icalcomponent_get_next_component (ab_dl_ical()->icalcomponent_get_next_component)
#undef icalcomponent_get_next_property
#define icalcomponent_get_next_property (ab_dl_ical()->icalcomponent_get_next_property)
#undef icalcomponent_get_summary
#define icalcomponent_get_summary (ab_dl_ical()->icalcomponent_get_summary)
#undef icalcomponent_isa
#define icalcomponent_isa (ab_dl_ical()->icalcomponent_isa)
#undef icaldurationtype_as_int
#define icaldurationtype_as_int (ab_dl_ical()->icaldurationtype_as_int)
#undef icalerrno_return
#define icalerrno_return (ab_dl_ical()->icalerrno_return)
#undef icalerror_clear_errno
#define icalerror_clear_errno (ab_dl_ical()->icalerror_clear_errno)
#undef icalerror_set_errors_are_fatal
#define icalerror_set_errors_are_fatal (ab_dl_ical()->icalerror_set_errors_are_fatal)
#undef icalparameter_get_tzid
#define icalparameter_get_tzid (ab_dl_ical()->icalparameter_get_tzid)
#undef icalparser_parse_string
#define icalparser_parse_string (ab_dl_ical()->icalparser_parse_string)
#undef icalproperty_free
#define icalproperty_free (ab_dl_ical()->icalproperty_free)
#undef icalproperty_get_dtend
#define icalproperty_get_dtend (ab_dl_ical()->icalproperty_get_dtend)
#undef icalproperty_get_dtstart
#define icalproperty_get_dtstart (ab_dl_ical()->icalproperty_get_dtstart)
#undef icalproperty_get_duration
#define icalproperty_get_duration (ab_dl_ical()->icalproperty_get_duration)
#undef icalproperty_get_exdate
#define icalproperty_get_exdate (ab_dl_ical()->icalproperty_get_exdate)
#undef icalproperty_get_first_parameter
#define icalproperty_get_first_parameter (ab_dl_ical()->icalproperty_get_first_parameter)
#undef icalproperty_get_rdate
#define icalproperty_get_rdate (ab_dl_ical()->icalproperty_get_rdate)
#undef icalproperty_get_rrule
#define icalproperty_get_rrule (ab_dl_ical()->icalproperty_get_rrule)
#undef icalproperty_get_status
#define icalproperty_get_status (ab_dl_ical()->icalproperty_get_status)
#undef icalproperty_get_tzid
#define icalproperty_get_tzid (ab_dl_ical()->icalproperty_get_tzid)
#undef icalproperty_get_tzoffsetfrom
#define icalproperty_get_tzoffsetfrom (ab_dl_ical()->icalproperty_get_tzoffsetfrom)
#undef icalproperty_get_tzoffsetto
#define icalproperty_get_tzoffsetto (ab_dl_ical()->icalproperty_get_tzoffsetto)
#undef icalproperty_new_from_string
#define icalproperty_new_from_string (ab_dl_ical()->icalproperty_new_from_string)
#undef icalrecur_iterator_free
#define icalrecur_iterator_free (ab_dl_ical()->icalrecur_iterator_free)
#undef icalrecur_iterator_new
#define icalrecur_iterator_new (ab_dl_ical()->icalrecur_iterator_new)
#undef icalrecur_iterator_next
#define icalrecur_iterator_next (ab_dl_ical()->icalrecur_iterator_next)
#undef icalrecurrencetype_clear
#define icalrecurrencetype_clear (ab_dl_ical()->icalrecurrencetype_clear)
#undef icalrecurrencetype_day_position
#define icalrecurrencetype_day_position (ab_dl_ical()->icalrecurrencetype_day_position)
#undef icalrecurrencetype_from_string
#define icalrecurrencetype_from_string (ab_dl_ical()->icalrecurrencetype_from_string)
#undef icaltime_as_timet_with_zone
#define icaltime_as_timet_with_zone (ab_dl_ical()->icaltime_as_timet_with_zone)
#undef icaltime_from_timet_with_zone
#define icaltime_from_timet_with_zone (ab_dl_ical()->icaltime_from_timet_with_zone)
#undef icaltime_is_null_time
#define icaltime_is_null_time (ab_dl_ical()->icaltime_is_null_time)
#undef icaltime_is_utc
#define icaltime_is_utc (ab_dl_ical()->icaltime_is_utc)
#undef icaltime_null_time
#define icaltime_null_time (ab_dl_ical()->icaltime_null_time)
#undef icaltimezone_free_builtin_timezones
#define icaltimezone_free_builtin_timezones (ab_dl_ical()->icaltimezone_free_builtin_timezones)
#undef icaltimezone_get_builtin_timezone
#define icaltimezone_get_builtin_timezone (ab_dl_ical()->icaltimezone_get_builtin_timezone)
#undef icaltimezone_get_component
#define icaltimezone_get_component (ab_dl_ical()->icaltimezone_get_component)
#undef icaltimezone_get_tznames
#define icaltimezone_get_tznames (ab_dl_ical()->icaltimezone_get_tznames)
#undef icaltimezone_get_utc_offset_of_utc_time
#define icaltimezone_get_utc_offset_of_utc_time (ab_dl_ical()->icaltimezone_get_utc_offset_of_utc_time)
#undef icaltimezone_get_utc_timezone
#define icaltimezone_get_utc_timezone (ab_dl_ical()->icaltimezone_get_utc_timezone)

#endif
