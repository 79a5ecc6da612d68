/*
 * test_checks_util.h - helpers shared by the checks/ unit tests
 * (test_checks.c, test_checks_proc.c, test_checks_odbc.c): building
 * checks and sources by hand, making SQLite files, running a check.
 *
 * Included once per test binary; the functions are static.
 */
#ifndef TEST_CHECKS_UTIL_H
#define TEST_CHECKS_UTIL_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/chk.h"
#include "common/ab_mem.h"
#include "config/cfg.h"
#include "harness.h"

/*
 * The checks archive calls cfg_secret_read (config/cfg_secret.c) for ODBC
 * passwords.  These tests do not link config/, so a weak stand-in reads
 * the environment variable or the first line of the file; when config/
 * is linked, its definition wins.
 */
__attribute__((weak)) enum ab_err cfg_secret_read(const struct cfg_secret *s,
                                                  char **out, ab_errmsg *em)
{
    *out = NULL;
    if (s->env) {
        const char *v = getenv(s->env);
        if (!v)
            return ab_fail(em, AB_ENOTFOUND, "environment variable %s is not set", s->env);
        *out = ab_strdup(v);
        return *out ? AB_OK : AB_ENOMEM;
    }
    if (!s->file)
        return AB_OK;
    FILE *f = fopen(s->file, "r");
    char line[1024];
    if (!f)
        return ab_fail(em, AB_EIO, "%s: cannot open", s->file);
    if (!fgets(line, sizeof line, f))
        line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    *out = ab_strdup(line);
    return *out ? AB_OK : AB_ENOMEM;
}

/* A path in this binary's scratch directory. */
static __attribute__((unused)) const char *tpath(const char *name)
{
    static char p[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", t_tmpdir(), name);
    return p[k];
}

/* Create (or extend) a SQLite file with sql; returns 0 on success. */
static __attribute__((unused)) int mkdb(const char *path, const char *sql)
{
    sqlite3 *db;
    char *err = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return -1;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fprintf(stdout, "    mkdb: %s\n", err ? err : "?");
    sqlite3_free(err);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

static __attribute__((unused)) ab_time T(const char *iso)
{
    ab_time t = 0;
    if (ab_time_parse(iso, &t) != AB_OK) {
        fprintf(stdout, "    bad time literal %s\n", iso);
        abort();
    }
    return t;
}

static __attribute__((unused)) struct cfg_source src_sqlite(const char *name, const char *path)
{
    struct cfg_source s;
    memset(&s, 0, sizeof s);
    s.name = name;
    s.kind = CFG_SRC_SQLITE;
    s.path = path;
    s.timeout = 5;
    return s;
}

static __attribute__((unused)) struct cfg_source src_odbc(const char *name, const char *conn)
{
    struct cfg_source s;
    memset(&s, 0, sizeof s);
    s.name = name;
    s.kind = CFG_SRC_ODBC;
    s.connection = conn;
    s.timeout = 5;
    return s;
}

static __attribute__((unused)) struct cfg_check mkcheck(const char *name, enum cfg_check_kind kind,
                                const struct cfg_source *src)
{
    struct cfg_check c;
    memset(&c, 0, sizeof c);
    c.name = name;
    c.label = name;
    c.kind = kind;
    c.type = "Information";
    c.source = src;
    c.ts_format = CFG_TS_AUTO;
    return c;
}

/* Run c at now; NULL (and a printed reason) if chk_run itself failed. */
static __attribute__((unused)) struct chk_outcome *run(chk_ctx *ctx, const struct cfg_check *c, ab_time now)
{
    struct chk_outcome *o = NULL;
    ab_errmsg em = {{0}};
    enum ab_err e = chk_run(ctx, c, now, &o, &em);
    if (e) {
        fprintf(stdout, "    chk_run(%s): %s: %s\n", c->name, ab_strerror(e), em.text);
        return NULL;
    }
    if (getenv("T_VERBOSE"))
        for (size_t i = 0; i < o->nresults; i++)
            fprintf(stdout, "    [%s] %s %s%s value=%g: %s\n", c->name,
                    o->results[i].item, ab_status_name(o->results[i].status),
                    o->results[i].has_value ? "" : " (no value)", o->results[i].value,
                    o->results[i].message ? o->results[i].message : "");
    return o;
}

/* The item named item, or NULL. */
static __attribute__((unused)) const struct ab_result *item(const struct chk_outcome *o, const char *name)
{
    for (size_t i = 0; o && i < o->nresults; i++)
        if (strcmp(o->results[i].item, name) == 0)
            return &o->results[i];
    return NULL;
}

/* Does the outcome have status st and a first message containing want
 * (NULL: any)?  Prints what it got when not. */
static __attribute__((unused)) int outcome_is(const struct chk_outcome *o,
                                              enum ab_status st, const char *want,
                                              const char *file, int line)
{
    const char *msg = o->results[0].message ? o->results[0].message : "";
    if (o->status == st && (!want || strstr(msg, want)))
        return 1;
    t_fail(file, line, "status %s, message \"%s\"; expected %s, \"%s\"",
           ab_status_name(o->status), msg, ab_status_name(st), want ? want : "*");
    return 0;
}

/* Run and check the status and the main message:
 *     EXPECT(ctx, &c, now, AB_HEALTHY, "3d 4h old"); */
#define EXPECT(ctx, c, now, st, want)                                          \
    do {                                                                       \
        struct chk_outcome *o_ = run((ctx), (c), (now));                       \
        CHECK(o_ != NULL);                                                     \
        int ok_ = outcome_is(o_, (st), (want), __FILE__, __LINE__);            \
        chk_outcome_free(o_);                                                  \
        if (!ok_)                                                              \
            return;                                                            \
    } while (0)

#endif
