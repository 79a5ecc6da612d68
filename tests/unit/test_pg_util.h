/*
 * test_pg_util.h - a fresh PostgreSQL state for a unit test.
 *
 * With AB_TEST_PG_URI set (tests/integration/t_40_state_pg.sh sets it to
 * the test stack's database), t_pg_fresh() makes an empty schema of its
 * own and returns a URI whose search_path is that schema, so that the
 * tests written for a SQLite file run unchanged against PostgreSQL.
 * Without it, NULL: the test uses its file.  t_state(path) is the one
 * to open: the path, or its schema's URI.
 */
#ifndef AB_TEST_PG_UTIL_H
#define AB_TEST_PG_UTIL_H

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The schema for name (a test's file name): made empty the first time
 * this process asks for it, the same one after, so that a test that
 * closes and reopens its "file" finds what it wrote. */
static inline const char *t_pg_state(const char *name)
{
    static char uri[1024];
    static char seen[64][80];
    static int nseen;
    const char *base = getenv("AB_TEST_PG_URI");
    if (!base || !*base)
        return NULL;
    char schema[80], sql[256];
    int n = snprintf(schema, sizeof schema, "t_%ld_", (long)getpid());
    const char *b = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    for (; *b && n < (int)sizeof schema - 1; b++)
        schema[n++] = (char)((*b >= 'a' && *b <= 'z') || (*b >= '0' && *b <= '9') ? *b : '_');
    schema[n] = '\0';
    snprintf(uri, sizeof uri, "%s%soptions=-csearch_path%%3D%s", base,
             strchr(base, '?') ? "&" : "?", schema);
    for (int i = 0; i < nseen; i++)
        if (!strcmp(seen[i], schema))
            return uri;
    if (nseen < 64)
        snprintf(seen[nseen++], sizeof seen[0], "%s", schema);
    snprintf(sql, sizeof sql,
             "SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE; "
             "CREATE SCHEMA %s",
             schema, schema);
    PGconn *c = PQconnectdb(base);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "t_pg_fresh: %s", PQerrorMessage(c));
        abort();
    }
    PQclear(r);
    PQfinish(c);
    return uri;
}

static inline const char *t_state(const char *path)
{
    const char *u = t_pg_state(path);
    return u ? u : path;
}

/* Tests that look inside the SQLite file itself. */
#define SQLITE_ONLY()                                                    \
    do {                                                                 \
        if (getenv("AB_TEST_PG_URI") && *getenv("AB_TEST_PG_URI"))       \
            SKIP("reads the SQLite file itself");                        \
    } while (0)

#endif
