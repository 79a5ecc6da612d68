/*
 * test_pg_util.h - a fresh PostgreSQL state for a unit test.
 *
 * With AB_TEST_PG_URI set (tests/integration/t_40_state_pg.sh sets it to
 * the test stack's database), t_pg_fresh() makes an empty schema of its
 * own and returns a URI whose search_path is that schema, so that the
 * tests written for a SQLite file run unchanged against PostgreSQL.
 * Without it, NULL: the test uses its file.  t_state(path) is the one
 * to open: the path, or its schema's URI.
 *
 * A test that looks at or writes rows behind the store's back does it
 * with t_state_exec / t_state_text / t_state_int on the same path, so
 * that it reads the same rows on either engine; t_state_tag(path) is the
 * <state> element of a config that should open that state.
 */
#ifndef AB_TEST_PG_UTIL_H
#define AB_TEST_PG_UTIL_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The schema for name (a test's state path): made empty the first time
 * this process asks for it, the same one after, so that a test that
 * closes and reopens its "file" finds what it wrote.  Named by a hash of
 * the whole path as well as its last part: the worlds of one test binary
 * are folders of their own that all hold a "state.db". */
static inline const char *t_pg_schema(const char *name, int fresh)
{
    static char uri[1024];
    static char (*seen)[80];
    static size_t nseen, cap;
    const char *base = getenv("AB_TEST_PG_URI");
    if (!base || !*base)
        return NULL;
    char schema[80], sql[256];
    unsigned long h = 2166136261UL; /* FNV-1a over the whole path */
    for (const char *p = name; *p; p++)
        h = ((h ^ (unsigned char)*p) * 16777619UL) & 0xffffffffUL;
    int n = snprintf(schema, sizeof schema, "t_%ld_%08lx_", (long)getpid(), h);
    const char *b = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    for (; *b && n < 60; b++) /* PostgreSQL keeps 63 bytes of a name */
        schema[n++] = (char)((*b >= 'a' && *b <= 'z') || (*b >= '0' && *b <= '9') ? *b : '_');
    schema[n] = '\0';
    snprintf(uri, sizeof uri, "%s%soptions=-csearch_path%%3D%s", base,
             strchr(base, '?') ? "&" : "?", schema);
    size_t i = 0;
    while (i < nseen && strcmp(seen[i], schema))
        i++;
    if (i < nseen && !fresh)
        return uri;
    if (i == nseen && nseen == cap) {
        cap = cap ? 2 * cap : 64;
        seen = realloc(seen, cap * sizeof *seen);
        if (!seen)
            abort();
    }
    if (i == nseen)
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

static inline const char *t_pg_state(const char *name)
{
    return t_pg_schema(name, 0);
}

/* What a test that removes its file and starts again opens: an empty
 * schema again on PostgreSQL (the path itself on SQLite, which the test
 * removed). */
static inline const char *t_state_fresh(const char *path)
{
    const char *u = t_pg_schema(path, 1);
    return u ? u : path;
}

static inline const char *t_state(const char *path)
{
    const char *u = t_pg_state(path);
    return u ? u : path;
}

/* A connection to path's schema, or NULL (printed) when it fails. */
static inline PGconn *t_pg_conn(const char *path)
{
    PGconn *c = PQconnectdb(t_pg_state(path));
    if (PQstatus(c) != CONNECTION_OK) {
        printf("    %s: %s", path, PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* Run sql (statements without parameters, ';' between them) on the state
 * at path.  0 on success; -1 with the error printed. */
static inline int t_state_exec(const char *path, const char *sql)
{
    if (t_pg_state(path)) {
        PGconn *c = t_pg_conn(path);
        if (!c)
            return -1;
        PGresult *r = PQexec(c, sql);
        ExecStatusType s = PQresultStatus(r);
        int ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
        if (!ok)
            printf("    t_state_exec: %s", PQerrorMessage(c));
        PQclear(r);
        PQfinish(c);
        return ok ? 0 : -1;
    }
    sqlite3 *db;
    char *err = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 10000);
        rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    }
    if (rc != SQLITE_OK)
        printf("    t_state_exec: %s\n", err ? err : sqlite3_errmsg(db));
    sqlite3_free(err);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

/* One field of a row as text: PostgreSQL sends a BYTEA as hex, turned
 * back into its bytes here so that a blob reads the same on both. */
static inline void t_pg_field(FILE *o, PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return;
    if (PQftype(r, col) != 17) { /* BYTEAOID */
        fputs(PQgetvalue(r, row, col), o);
        return;
    }
    size_t n = 0;
    unsigned char *b = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &n);
    if (b)
        fwrite(b, 1, n, o);
    PQfreemem(b);
}

/* The rows of one query on the state at path: fields split by '|', each
 * row ended by '\n', a NULL empty, a blob its bytes.  Free it; NULL on an
 * error (printed). */
static inline char *t_state_text(const char *path, const char *sql)
{
    char *out = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&out, &len);
    int ok = 0;
    if (!o)
        return NULL;
    if (t_pg_state(path)) {
        PGconn *c = t_pg_conn(path);
        PGresult *r = c ? PQexec(c, sql) : NULL;
        if (r && PQresultStatus(r) == PGRES_TUPLES_OK) {
            ok = 1;
            for (int i = 0; i < PQntuples(r); i++) {
                for (int j = 0; j < PQnfields(r); j++) {
                    if (j)
                        fputc('|', o);
                    t_pg_field(o, r, i, j);
                }
                fputc('\n', o);
            }
        } else if (c) {
            printf("    t_state_text: %s", PQerrorMessage(c));
        }
        PQclear(r);
        PQfinish(c);
    } else {
        sqlite3 *db;
        sqlite3_stmt *s = NULL;
        if (sqlite3_open(path, &db) == SQLITE_OK &&
            sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
            int rc;
            sqlite3_busy_timeout(db, 10000);
            while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                for (int j = 0; j < sqlite3_column_count(s); j++) {
                    if (j)
                        fputc('|', o);
                    const void *b = sqlite3_column_blob(s, j);
                    fwrite(b ? b : "", 1, (size_t)sqlite3_column_bytes(s, j), o);
                }
                fputc('\n', o);
            }
            ok = rc == SQLITE_DONE;
        }
        if (!ok)
            printf("    t_state_text: %s\n", sqlite3_errmsg(db));
        sqlite3_finalize(s);
        sqlite3_close(db);
    }
    fclose(o);
    if (!ok) {
        free(out);
        return NULL;
    }
    return out;
}

/* The first field of the first row as a number; -1 when there is none. */
static inline long long t_state_int(const char *path, const char *sql)
{
    char *t = t_state_text(path, sql);
    long long v = t && *t ? strtoll(t, NULL, 10) : -1;
    free(t);
    return v;
}

/* After rows written with explicit ids: PostgreSQL's identity for
 * table.id is moved past them (SQLite takes max(id) + 1 by itself). */
static inline int t_state_ids_past(const char *path, const char *table)
{
    if (!t_pg_state(path))
        return 0;
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT setval(pg_get_serial_sequence('%s', 'id'), "
             "(SELECT COALESCE(max(id), 0) + 1 FROM %s), false)",
             table, table);
    return t_state_exec(path, sql);
}

/* The <state> element of a config whose state is path: the file itself,
 * or with AB_TEST_PG_URI its schema's URL ('&' written as "&amp;"). */
static inline const char *t_state_tag(const char *path)
{
    static char tag[2048];
    const char *u = t_pg_state(path);
    if (!u) {
        snprintf(tag, sizeof tag, "<state path=\"%s\"/>", path);
        return tag;
    }
    size_t n = (size_t)snprintf(tag, sizeof tag, "<state url=\"");
    for (; *u && n < sizeof tag - 8; u++) {
        if (*u == '&')
            n += (size_t)snprintf(tag + n, sizeof tag - n, "&amp;");
        else
            tag[n++] = *u;
    }
    snprintf(tag + n, sizeof tag - n, "\"/>");
    return tag;
}

/* Do the tests run against PostgreSQL (AB_TEST_PG_URI)? */
static inline int t_on_pg(void)
{
    const char *u = getenv("AB_TEST_PG_URI");
    return u && *u;
}

/* Tests that look inside the SQLite file itself. */
#define SQLITE_ONLY()                                                    \
    do {                                                                 \
        if (getenv("AB_TEST_PG_URI") && *getenv("AB_TEST_PG_URI"))       \
            SKIP("reads the SQLite file itself");                        \
    } while (0)

#endif
