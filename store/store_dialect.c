/*
 * store_dialect.c - the store's SQL as PostgreSQL reads it.
 *
 * The store writes one SQL for both engines: the portable subset (ON
 * CONFLICT, RETURNING, CASE, COALESCE, substr) that SQLite 3.35+ and
 * PostgreSQL share.  What cannot be written once is turned here, on
 * PostgreSQL only, when a statement is prepared:
 *
 *  - placeholders: SQLite's ? and ?N become $N (a bare ? takes one more
 *    than the largest index so far, as SQLite numbers it);
 *  - COLLATE BINARY becomes COLLATE "C" (byte order, as SQLite's);
 *    COLLATE NOCASE needs nothing: store_pg.c creates a collation of
 *    that name;
 *  - instr(a, b) becomes strpos(a, b); CAST(... AS REAL) a double;
 *  - "? IS NULL" casts its parameter to text, which has to have a type.
 *
 * And for the migrations (store_dialect_pg_ddl), the schema's types:
 * INTEGER PRIMARY KEY becomes an identity column, INTEGER a BIGINT (our
 * integers are 64-bit), REAL a double, BLOB a BYTEA, and TEXT compares
 * as bytes (COLLATE "C", so ISO instants and names order as in SQLite
 * whatever the database's locale).  A table with no integer key gets a
 * hidden "rowid" identity, so that ORDER BY rowid means insertion order
 * on both engines.
 *
 * Quoted strings and identifiers are copied untouched.  The input is the
 * store's own SQL, never a user's.
 */
#include "store/store_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"

/* A growing output buffer; on OOM it keeps failing and returns NULL. */
struct out {
    char *p;
    size_t len, cap;
    int oom;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->oom)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t ncap = (o->cap ? o->cap * 2 : 256) + n;
        char *np = ab_realloc(o->p, ncap);
        if (!np) {
            o->oom = 1;
            return;
        }
        o->p = np;
        o->cap = ncap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static int is_word(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* The length of the quoted run starting at s (a quote char), doubled
 * quotes included. */
static size_t quoted_len(const char *s)
{
    char q = s[0];
    size_t i = 1;
    for (;;) {
        if (!s[i])
            return i;
        if (s[i] == q) {
            if (s[i + 1] == q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i++;
    }
}

/* Copy the quoted run at s untouched; its length. */
static size_t copy_quoted(struct out *o, const char *s)
{
    size_t n = quoted_len(s);
    put(o, s, n);
    return n;
}

/* Does the word at s (length n) equal w, case-insensitively? */
static int word_is(const char *s, size_t n, const char *w)
{
    return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

/* The next word after position i (spaces skipped): its start and length. */
static size_t next_word(const char *s, size_t i, size_t *len)
{
    while (s[i] && isspace((unsigned char)s[i]))
        i++;
    size_t j = i;
    while (is_word(s[j]))
        j++;
    *len = j - i;
    return i;
}

static char *finish(struct out *o)
{
    if (o->oom || !o->p) {
        ab_free(o->p);
        return o->oom ? NULL : ab_strdup("");
    }
    return o->p;
}

char *store_dialect_pg(const char *sql, int *nparams)
{
    struct out o = {0};
    int maxp = 0;
    size_t i = 0;
    while (sql[i]) {
        char c = sql[i];
        if (c == '\'' || c == '"') {
            i += copy_quoted(&o, sql + i);
        } else if (c == '?') {
            i++;
            int idx = 0;
            if (isdigit((unsigned char)sql[i])) {
                while (isdigit((unsigned char)sql[i]))
                    idx = idx * 10 + (sql[i++] - '0');
            } else {
                idx = maxp + 1;
            }
            if (idx > maxp)
                maxp = idx;
            /* "?1 IS NULL" alone does not tell PostgreSQL a type for a
             * parameter bound as text or NULL; a cast does, and is what
             * SQLite's typeless comparison meant. */
            size_t wl, w = next_word(sql, i, &wl);
            int isnull = word_is(sql + w, wl, "IS");
            char buf[40];
            snprintf(buf, sizeof buf, isnull ? "CAST($%d AS TEXT)" : "$%d", idx);
            puts_(&o, buf);
        } else if (is_word(c) && (i == 0 || !is_word(sql[i - 1]))) {
            size_t j = i;
            while (is_word(sql[j]))
                j++;
            size_t n = j - i, wl;
            size_t w2 = next_word(sql, j, &wl);
            if (word_is(sql + i, n, "COLLATE") && word_is(sql + w2, wl, "BINARY")) {
                puts_(&o, "COLLATE \"C\"");
                i = w2 + wl;
            } else if (word_is(sql + i, n, "instr") && sql[j] == '(') {
                puts_(&o, "strpos");
                i = j;
            } else if (word_is(sql + i, n, "AS") && word_is(sql + w2, wl, "REAL")) {
                puts_(&o, "AS DOUBLE PRECISION");
                i = w2 + wl;
            } else {
                put(&o, sql + i, n);
                i = j;
            }
        } else {
            put(&o, sql + i, 1);
            i++;
        }
    }
    if (nparams)
        *nparams = maxp;
    return finish(&o);
}

/* Does the column definition going on at i (up to its comma or the
 * list's closing parenthesis) name a collation of its own? */
static int column_collates(const char *sql, size_t i)
{
    int depth = 0;
    for (; sql[i]; i++) {
        char c = sql[i];
        if (c == '\'' || c == '"') {
            i += quoted_len(sql + i) - 1;
        } else if (c == '(') {
            depth++;
        } else if (c == ')') {
            if (depth-- == 0)
                return 0;
        } else if ((c == ',' && depth == 0) || c == ';') {
            return 0;
        } else if (is_word(c) && !is_word(sql[i - 1])) {
            size_t j = i;
            while (is_word(sql[j]))
                j++;
            if (word_is(sql + i, j - i, "COLLATE"))
                return 1;
            i = j - 1;
        }
    }
    return 0;
}

/* Inside CREATE TABLE (...): the depth of its parenthesis, and whether it
 * declared an integer key. */
struct table {
    int active;   /* saw CREATE TABLE, waiting for or inside its list */
    int depth;    /* parenthesis depth inside the column list, 0 = not yet */
    int has_key;
};

static void ddl_word(struct out *o, const char *sql, size_t *ip, struct table *t)
{
    size_t i = *ip, j = i;
    while (is_word(sql[j]))
        j++;
    size_t n = j - i, wl, wl3;
    size_t w2 = next_word(sql, j, &wl);
    size_t w3 = next_word(sql, w2 + wl, &wl3);
    if (word_is(sql + i, n, "CREATE") && word_is(sql + w2, wl, "TABLE")) {
        t->active = 1;
        t->depth = 0;
        t->has_key = 0;
        put(o, sql + i, n);
    } else if (word_is(sql + i, n, "INTEGER") && word_is(sql + w2, wl, "PRIMARY") &&
               word_is(sql + w3, wl3, "KEY")) {
        puts_(o, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
        t->has_key = 1;
        j = w3 + wl3;
    } else if (word_is(sql + i, n, "INTEGER")) {
        puts_(o, "BIGINT");
    } else if (word_is(sql + i, n, "REAL")) {
        puts_(o, "DOUBLE PRECISION");
    } else if (word_is(sql + i, n, "BLOB")) {
        puts_(o, "BYTEA");
    } else if (word_is(sql + i, n, "TEXT") && !column_collates(sql, j)) {
        puts_(o, "TEXT COLLATE \"C\"");
    } else {
        put(o, sql + i, n);
    }
    *ip = j;
}

char *store_dialect_pg_ddl(const char *sql)
{
    struct out o = {0};
    struct table t = {0};
    size_t i = 0;
    while (sql[i]) {
        char c = sql[i];
        if (c == '\'' || c == '"') {
            i += copy_quoted(&o, sql + i);
        } else if (is_word(c) && (i == 0 || !is_word(sql[i - 1]))) {
            ddl_word(&o, sql, &i, &t);
        } else {
            if (t.active && c == '(') {
                t.depth++;
            } else if (t.active && c == ')' && --t.depth == 0) {
                if (!t.has_key)
                    puts_(&o, ", rowid BIGINT GENERATED ALWAYS AS IDENTITY");
                t.active = 0;
            } else if (t.active && c == ';') {
                t.active = 0; /* CREATE TABLE ... AS SELECT: no list */
            }
            put(&o, sql + i, 1);
            i++;
        }
    }
    return finish(&o);
}

/* The length of the UTF-8 sequence at v (n bytes left), 0 if it is not
 * one PostgreSQL accepts: no overlong forms, no surrogates, nothing past
 * U+10FFFF. */
static size_t utf8_seq(const unsigned char *v, size_t n)
{
    unsigned char c = v[0];
    size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                                                     : c >= 0xf0 && c <= 0xf4   ? 4
                                                                                : 0;
    if (!len || len > n)
        return 0;
    for (size_t k = 1; k < len; k++)
        if ((v[k] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && v[1] < 0xa0) || (c == 0xed && v[1] > 0x9f) ||
        (c == 0xf0 && v[1] < 0x90) || (c == 0xf4 && v[1] > 0x8f))
        return 0;
    return len;
}

char *store_dialect_utf8(const char *v, size_t len, size_t *out_len, int *oom)
{
    const unsigned char *u = (const unsigned char *)v;
    size_t i = 0, bad = 0;
    *oom = 0;
    while (i < len) {
        size_t k = utf8_seq(u + i, len - i);
        bad += !k;
        i += k ? k : 1;
    }
    if (!bad)
        return NULL;
    char *r = ab_malloc(len + 2 * bad + 1); /* each bad byte: 3 bytes */
    if (!r) {
        *oom = 1;
        return NULL;
    }
    size_t o = 0;
    for (i = 0; i < len;) {
        size_t k = utf8_seq(u + i, len - i);
        if (k) {
            memcpy(r + o, v + i, k);
            o += k;
            i += k;
        } else {
            memcpy(r + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    r[o] = '\0';
    *out_len = o;
    return r;
}
