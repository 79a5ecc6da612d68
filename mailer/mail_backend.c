/*
 * mail_backend.c - small helpers the transport backends share: line ends
 * for local files and tools, one result for every recipient, and server
 * or tool text squeezed onto one line for logs and error messages.
 *
 * They sit in a file of their own, under the transport table
 * (mail_transport.c) and the backends it lists, so that neither calls
 * back into the other.
 */
#include "mailer/mail_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum ab_err mail_crlf_to_lf(ab_buf *out, const char *data, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        if (data[i] == '\r' && data[i + 1] == '\n') {
            enum ab_err e = ab_buf_append(out, data + start, i - start);
            if (e)
                return e;
            start = i + 1; /* keep the \n */
        }
    }
    return ab_buf_append(out, data + start, len - start);
}

void mail_results_set(struct mail_rcpt_result *res, size_t n, enum ab_err err,
                      const char *fmt, ...)
{
    char text[sizeof res[0].detail];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < n; i++) {
        res[i].err = err;
        memcpy(res[i].detail, text, sizeof text);
    }
}

void mail_oneline(char *dst, size_t n, const char *text, size_t len)
{
    size_t j = 0;
    int space = 1; /* drops leading white space too */
    if (n == 0)
        return;
    for (size_t i = 0; i < len && text[i] && j + 1 < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 32 || c == 127) {
            if (!space)
                dst[j++] = ' ';
            space = 1;
            continue;
        }
        if (c == ' ' && space)
            continue;
        dst[j++] = (char)c;
        space = c == ' ';
    }
    while (j > 0 && dst[j - 1] == ' ')
        j--;
    dst[j] = 0;
}
