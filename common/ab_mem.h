/*
 * ab_mem.h - allocation wrappers with a fault-injection seam.
 *
 * All of ackbeat allocates through these so that a test can make the Nth
 * allocation fail and prove that every failure path cleans up (the SQLite
 * approach to out-of-memory testing).  In production they are thin calls
 * to malloc and friends.
 */
#ifndef AB_MEM_H
#define AB_MEM_H

#include <stddef.h>

void *ab_malloc(size_t n);
void *ab_calloc(size_t count, size_t size);
void *ab_realloc(void *p, size_t n);
char *ab_strdup(const char *s);          /* ab_strdup(NULL) returns NULL */
char *ab_strndup(const char *s, size_t n);
void ab_free(void *p);

/*
 * Once, first thing in main(): keep up to AB_MEM_TRIM_KEEP bytes free at
 * the top of the heap instead of handing them back to the kernel at each
 * free() (see ab_mem.c for why).
 */
#define AB_MEM_TRIM_KEEP (2u << 20)
void ab_mem_tune(void);

/*
 * Test seam: after n more successful allocations, every allocation fails
 * until ab_mem_fail_reset().  n < 0 disables injection.  Returns how many
 * allocations were made since the last arm, so a test can loop n = 0..total.
 */
void ab_mem_fail_after(long n);
long ab_mem_fail_reset(void);

#endif
