/*
 * tpl_set.c - message templates and partials found across an ordered list
 * of folders, with per-check and per-kind overrides (see tpl.h), each
 * file compiled once.
 *
 * Two caches: "what did this lookup resolve to" (so a render does no
 * stat() once warm, and a miss is remembered too), and "the compiled file
 * at this path" (so that fifty checks sharing the default template share
 * one compiled copy).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/ab_mem.h"
#include "templates/tpl_int.h"

#define MAX_TEMPLATE_FILE ((size_t)4 << 20)

struct tpl_set {
    char **dirs;
    size_t ndirs;
    struct tpl_map lookups; /* key -> const tpl *, or &missing */
    struct tpl_map files;   /* path -> tpl * (owned) */
};

static char missing; /* a lookup that found nothing */

enum ab_err tpl_compile_file(const char *path, const char *display_name,
                             tpl **out, ab_errmsg *em)
{
    const char *name = display_name ? display_name : path;
    ab_buf b;
    char chunk[8192];
    enum ab_err e = AB_OK;
    *out = NULL;
    ab_buf_init(&b, MAX_TEMPLATE_FILE);
    FILE *f = fopen(path, "rb");
    if (!f)
        return ab_fail(em, errno == ENOENT ? AB_ENOTFOUND : AB_EIO,
                       "%s: %s", name, strerror(errno));
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if ((e = ab_buf_append(&b, chunk, n))) {
            e = e == AB_ERANGE
                    ? ab_fail(em, AB_ETEMPLATE, "%s: larger than %zu bytes",
                              name, MAX_TEMPLATE_FILE)
                    : ab_fail(em, e, "%s: out of memory", name);
            goto out;
        }
    }
    if (ferror(f)) {
        e = ab_fail(em, AB_EIO, "%s: read error", name);
        goto out;
    }
    e = tpl_compile(name, b.data ? b.data : "", b.len, out, em);
out:
    fclose(f);
    ab_buf_free(&b);
    return e;
}

static void free_tpl(void *p)
{
    tpl_free(p);
}

void tpl_set_free(tpl_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ndirs; i++)
        ab_free(s->dirs[i]);
    ab_free(s->dirs);
    tpl_map_free(&s->lookups, NULL);
    tpl_map_free(&s->files, free_tpl);
    ab_free(s);
}

enum ab_err tpl_set_new(const char *const *dirs, size_t ndirs, tpl_set **out,
                        ab_errmsg *em)
{
    *out = NULL;
    tpl_set *s = ab_calloc(1, sizeof *s);
    if (!s || !(s->dirs = ab_calloc(ndirs ? ndirs : 1, sizeof *s->dirs)))
        goto oom;
    for (size_t i = 0; i < ndirs; i++) {
        if (!(s->dirs[i] = ab_strdup(dirs[i])))
            goto oom;
        s->ndirs++;
    }
    tpl_map_init(&s->lookups);
    tpl_map_init(&s->files);
    *out = s;
    return AB_OK;
oom:
    tpl_set_free(s);
    return ab_fail(em, AB_ENOMEM, "out of memory");
}

static int safe_file_name(const char *n)
{
    if (!n || !*n || *n == '/')
        return 0;
    for (const char *p = n; *p;) {
        size_t k = strcspn(p, "/");
        if (k == 2 && p[0] == '.' && p[1] == '.')
            return 0;
        p += k;
        if (*p)
            p++;
    }
    return 1;
}

/* Compile path once; *t borrowed from the set. */
static enum ab_err file_tpl(tpl_set *s, const char *path, const tpl **t,
                            ab_errmsg *em)
{
    void **have = tpl_map_get(&s->files, path, strlen(path));
    if (have) {
        *t = *have;
        return AB_OK;
    }
    tpl *c;
    enum ab_err e = tpl_compile_file(path, NULL, &c, em);
    if (e)
        return e;
    if (tpl_map_put(&s->files, path, strlen(path), c)) {
        tpl_free(c);
        return ab_fail(em, AB_ENOMEM, "out of memory");
    }
    *t = c;
    return AB_OK;
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * Look for file in each folder, under the check and kind folders first:
 * the first that exists.  *out stays NULL when none does.  Returns an
 * error only for a file that exists and cannot be read or compiled.
 */
static enum ab_err search(tpl_set *s, const char *file, const char *const *sub,
                          size_t nsub, const tpl **out, ab_errmsg *em)
{
    ab_buf path;
    enum ab_err e = AB_OK;
    ab_buf_init(&path, 0);
    for (size_t d = 0; d < s->ndirs && !*out && !e; d++) {
        for (size_t i = 0; i <= nsub && !*out && !e; i++) {
            ab_buf_reset(&path);
            /* i == nsub: the folder itself, after the check and kind */
            if (i < nsub ? ab_buf_printf(&path, "%s/%s/%s", s->dirs[d], sub[i], file)
                         : ab_buf_printf(&path, "%s/%s", s->dirs[d], file))
                e = ab_fail(em, AB_ENOMEM, "out of memory");
            else if (is_file(path.data))
                e = file_tpl(s, path.data, out, em);
        }
    }
    ab_buf_free(&path);
    return e;
}

/* n's length when it can be used as a folder name, else 0. */
static size_t folder_len(const char *n)
{
    if (!n || !*n || *n == '.')
        return 0;
    size_t k = strlen(n);
    return memchr(n, '/', k) ? 0 : k;
}

/*
 * Find file (flen bytes, e.g. "alert-opened.txt.mustache") for check and
 * kind.  The result, found or not, is remembered under the key
 * "file\0sub1\0sub2": a C string holds no NUL, so the fields cannot run
 * into each other.  (This runs a dozen times per message, so once the
 * cache is warm it builds the key from known lengths, with no printf, and
 * allocates nothing.)
 */
static enum ab_err resolve(tpl_set *s, const char *file, size_t flen, const char *check,
                           const char *kind, const tpl **out, ab_errmsg *em)
{
    const char *sub[2] = {NULL, NULL};
    size_t sublen[2] = {0, 0}, nsub = 0;
    size_t cl = folder_len(check), kl = folder_len(kind);
    char kbuf[512], *key = kbuf;
    enum ab_err e;
    *out = NULL;
    if (cl) {
        sub[0] = check;
        sublen[nsub++] = cl;
    }
    if (kl && !(cl == kl && memcmp(kind, check, kl) == 0)) {
        sub[nsub] = kind;
        sublen[nsub++] = kl;
    }
    size_t klen = flen + 1 + sublen[0] + 1 + sublen[1];
    if (klen + 1 > sizeof kbuf && !(key = ab_malloc(klen + 1)))
        return ab_fail(em, AB_ENOMEM, "out of memory");
    memcpy(key, file, flen);
    key[flen] = '\0';
    memcpy(key + flen + 1, sub[0] ? sub[0] : "", sublen[0]);
    key[flen + 1 + sublen[0]] = '\0';
    memcpy(key + flen + 2 + sublen[0], sub[1] ? sub[1] : "", sublen[1]);
    key[klen] = '\0';
    void **have = tpl_map_get(&s->lookups, key, klen);
    if (have) {
        e = *have == &missing ? AB_ENOTFOUND : AB_OK;
        if (!e)
            *out = *have;
    } else if (!(e = search(s, file, sub, nsub, out, em))) {
        if (tpl_map_put(&s->lookups, key, klen, *out ? (void *)*out : (void *)&missing))
            e = ab_fail(em, AB_ENOMEM, "out of memory");
        else
            e = *out ? AB_OK : AB_ENOTFOUND;
    }
    if (key != kbuf)
        ab_free(key);
    return e;
}

static enum ab_err not_found(const tpl_set *s, const char *file,
                             ab_errmsg *em)
{
    char where[768] = "";
    size_t used = 0;
    for (size_t d = 0; d < s->ndirs && used < sizeof where; d++) {
        int n = snprintf(where + used, sizeof where - used, "%s%s",
                         d ? ", " : "", s->dirs[d]);
        if (n > 0)
            used += (size_t)n;
    }
    return ab_fail(em, AB_ENOTFOUND, "no template %s in %s", file,
                   s->ndirs ? where : "(no folders)");
}

enum ab_err tpl_set_get(tpl_set *s, const char *message, const char *part,
                        const char *check, const char *kind, const tpl **out,
                        ab_errmsg *em)
{
    char file[512];
    size_t ml = folder_len(message), pl = folder_len(part);
    *out = NULL;
    if (!ml || !pl || ml + pl + 11 > sizeof file)
        return ab_fail(em, AB_EINVAL, "bad template name '%s.%s'",
                       message ? message : "", part ? part : "");
    memcpy(file, message, ml);
    file[ml] = '.';
    memcpy(file + ml + 1, part, pl);
    memcpy(file + ml + 1 + pl, ".mustache", 10);
    enum ab_err e = resolve(s, file, ml + 1 + pl + 9, check, kind, out, em);
    return e == AB_ENOTFOUND ? not_found(s, file, em) : e;
}

enum ab_err tpl_set_load_partial(void *scope, const char *name,
                                 const tpl **out, ab_errmsg *em)
{
    const struct tpl_set_scope *sc = scope;
    char file[512];
    size_t n;
    *out = NULL;
    if (!safe_file_name(name) || (n = strlen(name)) + 10 > sizeof file)
        return AB_ENOTFOUND;
    memcpy(file, name, n);
    memcpy(file + n, ".mustache", 10);
    return resolve(sc->set, file, n + 9, sc->check, sc->kind, out, em);
}

enum tpl_mode tpl_mode_for_part(const char *part)
{
    if (part && strcmp(part, "subject") == 0)
        return TPL_HEADER;
    if (part && strcmp(part, "html") == 0)
        return TPL_HTML;
    return TPL_TEXT;
}

enum ab_err tpl_set_render(tpl_set *s, const char *message, const char *part,
                           const char *check, const char *kind,
                           const json_t *data, ab_buf *out, ab_errmsg *em)
{
    const tpl *t;
    enum ab_err e = tpl_set_get(s, message, part, check, kind, &t, em);
    if (e)
        return e;
    struct tpl_set_scope sc = {s, check, kind};
    struct tpl_loader ld = {tpl_set_load_partial, &sc};
    struct tpl_render_opts o = {.mode = tpl_mode_for_part(part),
                                .loader = &ld};
    return tpl_render(t, data, &o, out, em);
}
