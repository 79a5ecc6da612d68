/*
 * ab_mem.c - allocation wrappers; see ab_mem.h for why they exist.
 *
 * The injection counter is process-wide test state, touched only by tests;
 * production code never arms it.
 */
#include "ab_mem.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

static long fail_after = -1; /* < 0: injection off */
static long alloc_count;

static int should_fail(void)
{
    if (fail_after < 0)
        return 0;
    if (alloc_count++ >= fail_after)
        return 1;
    return 0;
}

void *ab_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *ab_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *ab_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

char *ab_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    size_t len = strnlen(s, n);
    char *d = ab_malloc(len + 1);
    if (!d)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *ab_strdup(const char *s)
{
    return s ? ab_strndup(s, strlen(s)) : NULL;
}

void ab_free(void *p)
{
    free(p);
}

void ab_mem_fail_after(long n)
{
    fail_after = n;
    alloc_count = 0;
}

long ab_mem_fail_reset(void)
{
    long made = alloc_count;
    fail_after = -1;
    alloc_count = 0;
    return made;
}

/*
 * glibc gives the top of the heap back to the kernel (brk down) whenever
 * more than M_TRIM_THRESHOLD is free there, 128 KiB by default.  Sending
 * mail frees and takes again a few hundred KiB per message (libcurl's
 * transfer buffers, SQLite's statements around them), so the heap went
 * down and up once a message: each shrink a TLB shootdown on every core,
 * each growth page faults on fresh memory.  perf on the mail benchmark
 * put 15 % of the time in brk and 12 % in those faults; keeping 2 MiB
 * drained 250 -> 320..420 messages a second (256 KiB was not enough, 1
 * MiB was).  Setting it also fixes glibc's mmap threshold at 128 KiB
 * instead of letting it grow with the largest block freed, so that a
 * large block (a big config's tree at start-up) still goes back to the
 * kernel when freed, and resident size is at most 2 MiB more.
 */
void ab_mem_tune(void)
{
    mallopt(M_TRIM_THRESHOLD, (int)AB_MEM_TRIM_KEEP);
}
