/*
 * cfg_xmlmem.c - where libxml2's tree of a config lives while it is read.
 *
 * The tree is the largest thing a load makes (some 1.3 kB an element
 * with its attributes: 130 MB and 2 million mallocs for 100,000 checks),
 * it lives only until the model is built, and it is freed all at once.
 * glibc's malloc spent a third of the load placing those nodes, and
 * their pages, interleaved with the model's arena blocks, could not be
 * given back whole.  So while xmlReadFile runs, libxml2 allocates from
 * big anonymous mappings instead (a bump pointer; transparent huge pages
 * where the kernel allows them), a free there costs nothing, and once
 * xmlFreeDoc has run the mappings are unmapped in one go.
 *
 * Outside a parse every call goes to malloc/realloc/free as before; a
 * free or realloc of a pointer from the mappings is recognised by its
 * address.  The mappings are kept (never reused, never unmapped) if
 * anything allocated in them is still live at the end, e.g. a global
 * libxml2 set up lazily during the parse: a leak rather than a dangling
 * pointer.  Only config/ uses libxml2, and loads do not run in parallel.
 */
#include "config/cfg_int.h"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlmemory.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CHUNK_SIZE ((size_t)64 << 20)
#define ALIGN 16
#define HEAD 64 /* struct chunk, rounded up so that data stays aligned */

struct chunk {
    struct chunk *next;
    size_t size;
    size_t used;
};

/* Each allocation is preceded by its rounded size, for realloc. */
struct hdr {
    size_t size;
    size_t pad;
};

static struct chunk *chunks; /* newest first */
static int active;           /* a parse is running: allocate from chunks */
static size_t live;          /* chunk allocations not yet freed */
static int installed;

static struct chunk *owner(const void *p)
{
    for (struct chunk *c = chunks; c; c = c->next)
        if ((const char *)p >= (const char *)c &&
            (const char *)p < (const char *)c + c->size)
            return c;
    return NULL;
}

static struct chunk *chunk_new(size_t need)
{
    size_t size = CHUNK_SIZE;
    if (need + HEAD > size)
        size = (need + HEAD + ((size_t)2 << 20) - 1) & ~(((size_t)2 << 20) - 1);
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    /* Fewer page faults; if the kernel says no, small pages do. */
    (void)madvise(m, size, MADV_HUGEPAGE);
    struct chunk *c = m;
    c->next = chunks;
    c->size = size;
    c->used = HEAD;
    chunks = c;
    return c;
}

static void *take(size_t n)
{
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    struct chunk *c = chunks;
    if (!c || c->size - c->used < n + sizeof(struct hdr))
        if (!(c = chunk_new(n + sizeof(struct hdr))))
            return NULL;
    struct hdr *h = (struct hdr *)((char *)c + c->used);
    h->size = n;
    c->used += sizeof *h + n;
    live++;
    return h + 1;
}

static void *xm_malloc(size_t n)
{
    return active ? take(n) : malloc(n);
}

static void xm_free(void *p)
{
    if (!p)
        return;
    if (owner(p)) {
        live--;
        return;
    }
    free(p);
}

static void *xm_realloc(void *p, size_t n)
{
    if (!p)
        return xm_malloc(n);
    struct chunk *c = owner(p);
    if (!c)
        return realloc(p, n);
    struct hdr *h = (struct hdr *)p - 1;
    size_t rounded = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    /* The newest allocation grows in place (libxml2's buffers do). */
    if (active && c == chunks && (char *)p + h->size == (char *)c + c->used &&
        rounded <= h->size + (c->size - c->used)) {
        c->used += rounded - h->size;
        h->size = rounded;
        return p;
    }
    void *q = active ? take(n) : malloc(n);
    if (!q)
        return NULL;
    memcpy(q, p, h->size < n ? h->size : n);
    live--;
    return q;
}

static char *xm_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = xm_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void cfg_xmlmem_begin(void)
{
    if (!installed) {
        /* Its globals first, with malloc, so that none is in a chunk. */
        xmlInitParser();
        installed = xmlMemSetup(xm_free, xm_malloc, xm_realloc, xm_strdup) == 0;
    }
    active = installed;
}

void cfg_xmlmem_end(void)
{
    active = 0;
}

void cfg_xmlmem_release(void)
{
    active = 0;
    /* The last error's strings may be in a chunk: drop them first. */
    xmlResetLastError();
    if (live)
        return;
    while (chunks) {
        struct chunk *c = chunks;
        chunks = c->next;
        munmap(c, c->size);
    }
}
