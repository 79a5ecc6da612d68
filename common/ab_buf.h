/*
 * ab_buf.h - a growable byte buffer with a size cap.
 *
 * A value type: embed it, ab_buf_init() it, ab_buf_free() it.  The cap
 * keeps untrusted input (a 50 MB email, a runaway child process) from
 * growing memory without bound: an append past the cap fails with
 * AB_ERANGE and leaves the buffer as it was.  The data is always
 * NUL-terminated so it can be used as a C string when it holds text.
 */
#ifndef AB_BUF_H
#define AB_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "ab_err.h"

typedef struct ab_buf {
    char *data;   /* NULL until the first append; then NUL-terminated */
    size_t len;   /* bytes used, not counting the NUL */
    size_t cap;   /* bytes allocated */
    size_t max;   /* largest len allowed; 0 means AB_BUF_DEFAULT_MAX */
} ab_buf;

#define AB_BUF_DEFAULT_MAX ((size_t)64 << 20) /* 64 MiB */

void ab_buf_init(ab_buf *b, size_t max);
void ab_buf_free(ab_buf *b);              /* back to the state after init */
void ab_buf_reset(ab_buf *b);             /* len = 0, keeps the memory */
enum ab_err ab_buf_append(ab_buf *b, const void *p, size_t n) AB_MUST_CHECK;
enum ab_err ab_buf_puts(ab_buf *b, const char *s) AB_MUST_CHECK;
enum ab_err ab_buf_putc(ab_buf *b, char c) AB_MUST_CHECK;
enum ab_err ab_buf_printf(ab_buf *b, const char *fmt, ...)
    AB_PRINTF(2, 3) AB_MUST_CHECK;
enum ab_err ab_buf_vprintf(ab_buf *b, const char *fmt, va_list ap)
    AB_MUST_CHECK;
/* The text so far ("" when empty); borrowed, valid until the next change. */
const char *ab_buf_str(const ab_buf *b);
/* Hand the bytes to the caller (who frees with ab_free); b is re-inited. */
char *ab_buf_steal(ab_buf *b);

#endif
