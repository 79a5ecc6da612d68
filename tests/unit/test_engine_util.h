/*
 * test_engine_util.h - what every engine test needs to drive ackbeat in a
 * folder of its own: ISO times, small files, the default templates, and
 * a config text turned into a loaded model, an open store and an engine.
 * Static: each test binary that includes it gets its own copy.  Each
 * test file keeps its own world (the config it writes differs).
 */
#ifndef AB_TEST_ENGINE_UTIL_H
#define AB_TEST_ENGINE_UTIL_H

#include "test_pg_util.h"
#include <stdio.h>
#include <stdlib.h>

#include "common/ab_buf.h"
#include "common/ab_time.h"
#include "config/cfg.h"
#include "engine/eng.h"
#include "store/store.h"

/* An ISO 8601 time; a typo in a test aborts it at once. */
static __attribute__((unused)) ab_time T(const char *iso)
{
    ab_time t = 0;
    if (ab_time_parse(iso, &t) != AB_OK)
        abort();
    return t;
}

static __attribute__((unused)) void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
}

/* The whole file (ab_free it), or NULL. */
static __attribute__((unused)) char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    ab_buf b;
    ab_buf_init(&b, 1 << 24);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (ab_buf_append(&b, chunk, n))
            break;
    fclose(f);
    return ab_buf_steal(&b);
}

/* The repository's default templates (AB_SRCDIR, else the current folder). */
static __attribute__((unused)) const char *templates(void)
{
    static char p[1024];
    const char *root = getenv("AB_SRCDIR");
    snprintf(p, sizeof p, "%s/templates/default", root ? root : ".");
    return p;
}

/*
 * Write xml as the config file path, load it, open its state and an
 * engine on the default templates.  0 on success; -1 with the errors
 * printed.  The caller frees *c, *st and *e (eng_free, store_close,
 * cfg_free).
 */
static __attribute__((unused)) int te_open_path(const char *path, const char *xml, cfg **c,
                                                store **st, eng **e)
{
    write_file(path, xml);
    ab_buf errs;
    ab_buf_init(&errs, 1 << 16);
    if (cfg_load(path, c, &errs) != AB_OK) {
        printf("%.2000s", ab_buf_str(&errs));
        ab_buf_free(&errs);
        return -1;
    }
    ab_buf_free(&errs);
    ab_errmsg em = {{0}};
    if (store_open(t_state(cfg_global(*c)->state_path), st, &em) != AB_OK ||
        eng_new(*c, *st, templates(), e, &em) != AB_OK) {
        printf("%s\n", em.text);
        return -1;
    }
    return 0;
}

/* The same with the config file DIR/ackbeat.xml. */
static __attribute__((unused)) int te_open(const char *dir, const char *xml, cfg **c,
                                           store **st, eng **e)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/ackbeat.xml", dir);
    return te_open_path(path, xml, c, st, e);
}

/* What te_open opened, closed in order (the engine first: it uses both). */
static __attribute__((unused)) void te_close(cfg *c, store *st, eng *e)
{
    eng_free(e);
    store_close(st);
    cfg_free(c);
}

/* One tick at iso; its error printed, and -1. */
static __attribute__((unused)) int te_tick(eng *e, const char *iso)
{
    struct eng_tick_stats s;
    ab_errmsg em = {{0}};
    if (eng_tick(e, T(iso), &s, &em) != AB_OK) {
        printf("    tick %s: %s\n", iso, em.text);
        return -1;
    }
    return 0;
}

#endif
