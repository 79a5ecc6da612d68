/*
 * ab_buf.c - growable buffer; doubling growth, always NUL-terminated.
 */
#include "ab_buf.h"

#include <stdio.h>
#include <string.h>

#include "ab_mem.h"

void ab_buf_init(ab_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : AB_BUF_DEFAULT_MAX;
}

void ab_buf_free(ab_buf *b)
{
    size_t max = b->max;
    ab_free(b->data);
    ab_buf_init(b, max);
}

void ab_buf_reset(ab_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static enum ab_err reserve(ab_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return AB_ERANGE;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return AB_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = ab_realloc(b->data, cap);
    if (!p)
        return AB_ENOMEM;
    b->data = p;
    b->cap = cap;
    return AB_OK;
}

enum ab_err ab_buf_append(ab_buf *b, const void *p, size_t n)
{
    enum ab_err e = reserve(b, n);
    if (e)
        return e;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return AB_OK;
}

enum ab_err ab_buf_puts(ab_buf *b, const char *s)
{
    return ab_buf_append(b, s, strlen(s));
}

enum ab_err ab_buf_putc(ab_buf *b, char c)
{
    return ab_buf_append(b, &c, 1);
}

enum ab_err ab_buf_vprintf(ab_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return AB_EINVAL;
    enum ab_err e = reserve(b, (size_t)n);
    if (e)
        return e;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return AB_OK;
}

enum ab_err ab_buf_printf(ab_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum ab_err e = ab_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return e;
}

const char *ab_buf_str(const ab_buf *b)
{
    return b->data ? b->data : "";
}

char *ab_buf_steal(ab_buf *b)
{
    char *p = b->data;
    if (!p)
        p = ab_strdup("");
    ab_buf_init(b, b->max);
    return p;
}
