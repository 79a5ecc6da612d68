/*
 * test_pg_util.h - a fresh PostgreSQL state for a unit test.
 *
 * With AB_TEST_PG_URI set (tests/integration/t_40_state_pg.sh sets it to
 * the test stack's database), t_pg_fresh() makes an empty schema of its
 * own and returns a URI whose search_path is that schema, so that the
 * tests written for a SQLite file run unchanged against PostgreSQL.
 * Without it, NULL: the test uses its file.
 */
#ifndef AB_TEST_PG_UTIL_H
#define AB_TEST_PG_UTIL_H

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline const char *t_pg_fresh(void)
{
    static char uri[1024];
    static int serial;
    const char *base = getenv("AB_TEST_PG_URI");
    if (!base || !*base)
        return NULL;
    char schema[64], sql[256];
    snprintf(schema, sizeof schema, "t_%ld_%d", (long)getpid(), serial++);
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s",
             schema, schema);
    PGconn *c = PQconnectdb(base);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "t_pg_fresh: %s", PQerrorMessage(c));
        abort();
    }
    PQclear(r);
    PQfinish(c);
    snprintf(uri, sizeof uri, "%s%soptions=-csearch_path%%3D%s", base,
             strchr(base, '?') ? "&" : "?", schema);
    return uri;
}

#endif
