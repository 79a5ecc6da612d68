/*
 * test_mustache_spec.c - runs the official Mustache spec against templates/.
 *
 * Every *.json file in the spec folder ($AB_MUSTACHE_SPEC, default
 * ../shared/mustache-spec relative to the repo root) becomes one test that
 * runs all of that file's cases and prints "FILE: N passed, N failed,
 * N skipped".  Cases run in the spec's own terms: HTML escaping, and a
 * partial that does not exist renders as nothing.  Lambdas are skipped
 * (ackbeat's data is JSON, it has no code in it).  When the folder is
 * absent no test is registered: the binary reports 0 passed, 0 failed,
 * and a note saying why.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_mem.h"
#include "templates/tpl.h"
#include "tests/unit/harness.h"

#define MAX_FILES 32
#define MAX_PARTIALS 16

static char spec_dir[1024];
static char *files[MAX_FILES];
static size_t nfiles;

struct mem_partials {
    const char *names[MAX_PARTIALS];
    tpl *tpls[MAX_PARTIALS];
    size_t n;
};

static enum ab_err mem_load(void *ud, const char *name, const tpl **out,
                            ab_errmsg *em)
{
    struct mem_partials *m = ud;
    (void)em;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->names[i], name) == 0) {
            *out = m->tpls[i];
            return AB_OK;
        }
    return AB_ENOTFOUND;
}

/* Lambdas appear in the spec's JSON as {"__tag__": "code", ...}. */
static int has_lambda(const json_t *v)
{
    if (json_is_object(v)) {
        const json_t *tag = json_object_get(v, "__tag__");
        if (json_is_string(tag) && strcmp(json_string_value(tag), "code") == 0)
            return 1;
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x)
            if (has_lambda(x))
                return 1;
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (has_lambda(json_array_get(v, i)))
                return 1;
    }
    return 0;
}

static void show(const char *label, const char *s)
{
    printf("      %-9s \"", label);
    for (; s && *s; s++) {
        if (*s == '\n')
            printf("\\n");
        else if (*s == '\r')
            printf("\\r");
        else if (*s == '\t')
            printf("\\t");
        else
            putchar(*s);
    }
    printf("\"\n");
}

/* One case: 1 passed, 0 failed. */
static int run_case(const char *file, const json_t *c)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *src = json_string_value(json_object_get(c, "template"));
    const char *want = json_string_value(json_object_get(c, "expected"));
    const json_t *parts = json_object_get(c, "partials");
    struct mem_partials m = {{0}, {0}, 0};
    struct tpl_loader ld = {mem_load, &m};
    struct tpl_render_opts o = {
        .mode = TPL_HTML, .flags = TPL_MISSING_PARTIAL_EMPTY, .loader = &ld};
    ab_errmsg em = {{0}};
    tpl *t = NULL;
    char *got = NULL;
    int ok = 0;
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)parts, k, v) {
        if (m.n == MAX_PARTIALS || !json_is_string(v))
            break;
        m.names[m.n] = k;
        if (tpl_compile(k, json_string_value(v), json_string_length(v),
                        &m.tpls[m.n], &em))
            goto out;
        m.n++;
    }
    if (tpl_compile(name, src, strlen(src), &t, &em) ||
        tpl_render_str(t, json_object_get(c, "data"), &o, &got, &em))
        goto out;
    ok = strcmp(got, want) == 0;
out:
    if (!ok) {
        printf("    %s: \"%s\" failed%s%s\n", file, name, em.text[0] ? ": " : "",
               em.text);
        show("template", src);
        show("expected", want);
        show("got", got);
    }
    ab_free(got);
    tpl_free(t);
    for (size_t i = 0; i < m.n; i++)
        tpl_free(m.tpls[i]);
    return ok;
}

static void run_file(size_t idx)
{
    char path[2048];
    json_error_t je;
    snprintf(path, sizeof path, "%s/%s", spec_dir, files[idx]);
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc) {
        t_fail(__FILE__, __LINE__, "%s:%d: %s", path, je.line, je.text);
        return;
    }
    const json_t *cases = json_object_get(doc, "tests");
    int passed = 0, failed = 0, skipped = 0;
    for (size_t i = 0; i < json_array_size(cases); i++) {
        const json_t *c = json_array_get(cases, i);
        if (has_lambda(json_object_get(c, "data")))
            skipped++;
        else if (run_case(files[idx], c))
            passed++;
        else
            failed++;
    }
    printf("  %-22s %3d passed, %d failed, %d skipped%s\n", files[idx], passed,
           failed, skipped, skipped ? " (lambdas)" : "");
    json_decref(doc);
    if (failed)
        t_fail(__FILE__, __LINE__, "%s: %d spec case(s) failed", files[idx],
               failed);
}

/* The harness registers plain functions, so each file gets a trampoline. */
#define TRAMP(i) static void spec_file_##i(void) { run_file(i); }
TRAMP(0) TRAMP(1) TRAMP(2) TRAMP(3) TRAMP(4) TRAMP(5) TRAMP(6) TRAMP(7)
TRAMP(8) TRAMP(9) TRAMP(10) TRAMP(11) TRAMP(12) TRAMP(13) TRAMP(14) TRAMP(15)
TRAMP(16) TRAMP(17) TRAMP(18) TRAMP(19) TRAMP(20) TRAMP(21) TRAMP(22) TRAMP(23)
TRAMP(24) TRAMP(25) TRAMP(26) TRAMP(27) TRAMP(28) TRAMP(29) TRAMP(30) TRAMP(31)
static const t_fn tramps[MAX_FILES] = {
    spec_file_0, spec_file_1, spec_file_2, spec_file_3, spec_file_4,
    spec_file_5, spec_file_6, spec_file_7, spec_file_8, spec_file_9,
    spec_file_10, spec_file_11, spec_file_12, spec_file_13, spec_file_14,
    spec_file_15, spec_file_16, spec_file_17, spec_file_18, spec_file_19,
    spec_file_20, spec_file_21, spec_file_22, spec_file_23, spec_file_24,
    spec_file_25, spec_file_26, spec_file_27, spec_file_28, spec_file_29,
    spec_file_30, spec_file_31,
};

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_files(void)
{
    for (size_t i = 0; i < nfiles; i++)
        free(files[i]);
}

__attribute__((constructor)) static void find_spec(void)
{
    const char *dir = getenv("AB_MUSTACHE_SPEC");
    snprintf(spec_dir, sizeof spec_dir, "%s",
             dir && *dir ? dir : "../shared/mustache-spec");
    DIR *d = opendir(spec_dir);
    if (!d) {
        printf("mustache_spec: note: no spec folder at %s (set "
               "AB_MUSTACHE_SPEC); nothing to run\n", spec_dir);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) && nfiles < MAX_FILES) {
        size_t n = strlen(de->d_name);
        if (n > 5 && strcmp(de->d_name + n - 5, ".json") == 0)
            files[nfiles++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(files, nfiles, sizeof *files, by_name);
    for (size_t i = 0; i < nfiles; i++)
        if (files[i])
            t_register(files[i], tramps[i]);
    atexit(free_files);
    printf("mustache_spec: %zu spec files in %s\n", nfiles, spec_dir);
}
