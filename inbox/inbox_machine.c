/*
 * inbox_machine.c - mail that machines send to a mailbox without answering
 * anything: reports about mail (DMARC aggregate reports, RFC 7489 7.2;
 * SMTP TLS reports, RFC 8460; ARF feedback, RFC 5965, which DMARC failure
 * reports use too) and the output of system jobs (cron, logwatch,
 * monitoring).
 *
 * Such mail is not a reply, so it is neither an acknowledgement nor an
 * auto-reply, even when it names a heartbeat's token (a log that printed
 * the outbox, a forwarded digest): inbox_classify.c calls it unrelated.  The
 * markers are structural (a report type, a report's attachment naming
 * scheme, the headers cron writes), never one sender's wording.
 */
#include "inbox/inbox_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* "google.com!example.org!1764547200!1764633599.xml.gz": receiver, policy
 * domain, begin and end as Unix times (RFC 7489 7.2.1.1). */
static int dmarc_report_name(const char *name)
{
    const char *b1 = strchr(name, '!');
    const char *b2 = b1 ? strchr(b1 + 1, '!') : NULL;
    const char *b3 = b2 ? strchr(b2 + 1, '!') : NULL;
    if (!b3 || b1 == name || b2 == b1 + 1)
        return 0;
    const char *d = b2 + 1;
    if (!isdigit((unsigned char)*d))
        return 0;
    while (isdigit((unsigned char)*d))
        d++;
    return d == b3 && isdigit((unsigned char)b3[1]);
}

int inbox_machine_report(const struct inbox_msg *m, const char **why)
{
    const char *rt = m->report_type;
    if (rt && strcmp(rt, "feedback-report") == 0) {
        *why = "feedback report (ARF)";
        return 1;
    }
    if ((rt && strcmp(rt, "tlsrpt") == 0) || inbox_msg_header(m, "TLS-Report-Domain") ||
        inbox_msg_header(m, "TLS-Report-Submitter")) {
        *why = "SMTP TLS report";
        return 1;
    }
    for (size_t i = 0; i < m->nattachments; i++) {
        const char *a = m->attachments[i];
        const char *name = strstr(a, "; ");
        name = name ? name + 2 : "";
        if (inbox_starts_with_ci(a, "application/tlsrpt")) {
            *why = "SMTP TLS report";
            return 1;
        }
        if (dmarc_report_name(name)) {
            *why = "DMARC aggregate report";
            return 1;
        }
    }
    /* RFC 7489 12.2.4: "Report Domain: X Submitter: Y Report-ID: Z" */
    if (inbox_strcasestr(m->subject, "Report Domain:") &&
        inbox_strcasestr(m->subject, "Submitter:")) {
        *why = "DMARC aggregate report";
        return 1;
    }
    return 0;
}

/* Local parts that are systems, not people. */
static int system_local(const char *addr)
{
    static const char *const names[] = {
        "root",   "cron",      "daemon",     "nobody",   "logwatch", "monitoring",
        "nagios", "icinga",    "zabbix",     "alerts",   "alert",    "noreply",
        "no-reply", "donotreply", "do-not-reply", "notifications", "notification",
        "system", "admin-noreply", "www-data", "backup",  "reports",  "report",
    };
    const char *at = addr ? strrchr(addr, '@') : NULL;
    if (!at)
        return 0;
    size_t n = (size_t)(at - addr);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i]) == n && strncasecmp(addr, names[i], n) == 0)
            return 1;
    return 0;
}

int inbox_system_mail(const struct inbox_msg *m, const char **why)
{
    if (inbox_msg_header(m, "X-Cron-Env") || inbox_starts_with_ci(m->subject, "Cron <")) {
        *why = "cron job output";
        return 2;
    }
    if (system_local(m->from_addr)) {
        *why = "mail from a system account";
        return 2;
    }
    const char *as = inbox_msg_header(m, "Auto-Submitted");
    if (as) {
        while (*as == ' ' || *as == '\t')
            as++;
        /* auto-generated is a machine's own mail; auto-replied answers */
        if (inbox_starts_with_ci(as, "auto-generated") ||
            inbox_starts_with_ci(as, "auto-notified")) {
            *why = "machine-generated mail (Auto-Submitted: auto-generated)";
            return 1;
        }
    }
    return 0;
}
