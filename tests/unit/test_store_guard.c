/*
 * test_store_guard.c - the state file: created 0600 in a folder made 0700
 * (it holds every reply token), its -wal and -shm alike; deleted or
 * replaced under an open store, noticed; one daemon lock per file; a
 * random Message-ID part per new database; and four processes opening a
 * new file at once all get a migrated database (they used to crash with
 * "table meta already exists").
 *
 * With AB_TEST_PG_URI the last two run against PostgreSQL (a schema for
 * each "file"); the first three are about the SQLite file itself (its
 * modes, its inode, its flock) and are skipped there: on PostgreSQL
 * several daemons on one state are the point, and there is no file.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/ab_mem.h"
#include "store/store.h"
#include "test_pg_util.h"

static int mode_of(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (int)(sb.st_mode & 0777) : -1;
}

TEST(state_file_and_folder_are_private)
{
    SQLITE_ONLY();
    char dir[1024], path[1100], side[1200];
    snprintf(dir, sizeof dir, "%s/private/state", t_tmpdir());
    snprintf(path, sizeof path, "%s/state.db", dir);
    mode_t old = umask(022); /* what a daemon usually has */
    store *st = NULL;
    ab_errmsg em = {{0}};
    enum ab_err e = store_open(path, &st, &em);
    umask(old);
    CHECK_OK(e);
    CHECK_OK(store_meta_set(st, "k", "v", &em)); /* a write: -wal and -shm exist */
    CHECK_INT(mode_of(path), 0600);
    snprintf(side, sizeof side, "%s-wal", path);
    CHECK_INT(mode_of(side), 0600);
    snprintf(side, sizeof side, "%s-shm", path);
    CHECK_INT(mode_of(side), 0600);
    CHECK_INT(mode_of(dir), 0700);
    snprintf(side, sizeof side, "%s/private", t_tmpdir());
    CHECK_INT(mode_of(side), 0700);
    store_close(st);
}

TEST(a_state_file_deleted_or_replaced_is_noticed)
{
    SQLITE_ONLY();
    char path[1100], other[1200];
    snprintf(path, sizeof path, "%s/watched.db", t_tmpdir());
    store *st = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(path, &st, &em));
    CHECK_OK(store_check_file(st, &em));
    /* Replaced: another file renamed over it. */
    snprintf(other, sizeof other, "%s/other.db", t_tmpdir());
    FILE *f = fopen(other, "w");
    CHECK(f != NULL);
    fclose(f);
    CHECK(rename(other, path) == 0);
    CHECK(store_check_file(st, &em) == AB_ESTORE);
    CHECK_CONTAINS(em.text, "was replaced");
    /* Deleted. */
    CHECK(unlink(path) == 0);
    CHECK(store_check_file(st, &em) == AB_ESTORE);
    CHECK_CONTAINS(em.text, "is gone");
    store_close(st);
}

TEST(one_daemon_per_state_database)
{
    SQLITE_ONLY();
    char path[1100];
    snprintf(path, sizeof path, "%s/locked.db", t_tmpdir());
    store *a = NULL, *b = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(path, &a, &em));
    CHECK_OK(store_open(path, &b, &em));
    CHECK_OK(store_lock_daemon(a, &em));
    CHECK(store_lock_daemon(b, &em) == AB_EBUSY);
    CHECK_CONTAINS(em.text, "another `ackbeat run` is already using");
    /* The first one's database still works (its SQLite locks survive). */
    CHECK_OK(store_meta_set(a, "k", "v", &em));
    store_close(a);
    CHECK_OK(store_lock_daemon(b, &em)); /* free again */
    store_close(b);
}

TEST(each_new_database_has_its_own_message_id_part)
{
    char p1[1100], p2[1100], s1[32], s2[32];
    snprintf(p1, sizeof p1, "%s/salt1.db", t_tmpdir());
    snprintf(p2, sizeof p2, "%s/salt2.db", t_tmpdir());
    store *a = NULL, *b = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(t_state(p1), &a, &em));
    CHECK_OK(store_open(t_state(p2), &b, &em));
    CHECK_OK(store_msgid_salt(a, s1, sizeof s1, &em));
    CHECK_OK(store_msgid_salt(b, s2, sizeof s2, &em));
    CHECK_INT(strlen(s1), 12);
    CHECK(strcmp(s1, s2) != 0);
    store_close(a);
    store_close(b);
    /* Reopened, the same. */
    CHECK_OK(store_open(t_state(p1), &a, &em));
    CHECK_OK(store_msgid_salt(a, s2, sizeof s2, &em));
    CHECK_STR(s2, s1);
    store_close(a);
}

TEST(four_processes_open_a_new_database_at_once)
{
    char path[1100], state[2048];
    int rounds = 5, bad = 0;
    for (int r = 0; r < rounds; r++) {
        /* A new "file" each round; its URI made before the fork, as the
         * schema's name has the parent's pid. */
        snprintf(path, sizeof path, "%s/race%d.db", t_tmpdir(), r);
        unlink(path);
        snprintf(state, sizeof state, "%s", t_state(path));
        pid_t kids[4];
        for (int i = 0; i < 4; i++) {
            kids[i] = fork();
            if (kids[i] == 0) {
                store *st = NULL;
                ab_errmsg em = {{0}};
                enum ab_err e = store_open(state, &st, &em);
                if (e)
                    fprintf(stderr, "    child: %s\n", em.text);
                store_close(st);
                _exit(e ? 1 : 0);
            }
        }
        for (int i = 0; i < 4; i++) {
            int status = 0;
            if (kids[i] < 0 || waitpid(kids[i], &status, 0) < 0 || !WIFEXITED(status) ||
                WEXITSTATUS(status) != 0)
                bad++;
        }
    }
    CHECK_INT(bad, 0);
    store *st = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(state, &st, &em));
    CHECK_INT(store_schema_version(st), STORE_SCHEMA_VERSION);
    store_close(st);
}
