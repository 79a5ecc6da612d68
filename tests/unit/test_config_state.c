/*
 * test_config_state.c - <state>: a SQLite file (path=) or a PostgreSQL
 * database (url=, its password from password-env=/-file=), and node=.
 * Each mistake is an error naming the file and line, and no message ever
 * shows a password written into the URL.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"
#include "config/cfg.h"
#include "engine/eng.h"

/* A config whose <state> has the attributes attrs, written as name. */
static cfg *load_state(const char *name, const char *attrs, ab_buf *errs, enum ab_err *e)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", t_tmpdir(), name);
    FILE *f = fopen(path, "w");
    if (!f) {
        *e = AB_EIO;
        return NULL;
    }
    fprintf(f, "<ackbeat name=\"s\" timezone=\"UTC\">\n"
               "  <state %s/>\n"
               "</ackbeat>\n",
            attrs);
    fclose(f);
    cfg *c = NULL;
    ab_buf_init(errs, 1 << 16);
    *e = cfg_load(path, &c, errs);
    return c;
}

TEST(path_alone_is_a_file_with_the_default_node)
{
    ab_buf errs;
    enum ab_err e;
    cfg *c = load_state("st-path.xml", "path=\"s.db\"", &errs, &e);
    CHECK_OK(e);
    const struct cfg_global *g = cfg_global(c);
    CHECK_CONTAINS(g->state_path, "/s.db");
    CHECK(g->state_path[0] == '/');
    CHECK(g->state_url == NULL);
    CHECK(g->state_node == NULL);
    CHECK(g->state_password.env == NULL && g->state_password.file == NULL);
    cfg_free(c);
    ab_buf_free(&errs);
}

TEST(url_with_password_env_and_node)
{
    ab_buf errs;
    enum ab_err e;
    cfg *c = load_state("st-url.xml",
                        "url=\"postgresql://ab@db.example.test:5432/ab?sslmode=require\" "
                        "password-env=\"AB_STATE_PW\" node=\"web-1\"",
                        &errs, &e);
    CHECK_OK(e);
    const struct cfg_global *g = cfg_global(c);
    CHECK_STR(g->state_url, "postgresql://ab@db.example.test:5432/ab?sslmode=require");
    /* Whatever opens state_path opens the configured database. */
    CHECK_STR(g->state_path, g->state_url);
    CHECK_STR(g->state_password.env, "AB_STATE_PW");
    CHECK_STR(g->state_password.attr, "password-env");
    CHECK_STR(g->state_node, "web-1");
    cfg_free(c);
    ab_buf_free(&errs);

    c = load_state("st-url2.xml", "url=\"postgres://ab@h/ab\" password-file=\"pw\"", &errs, &e);
    CHECK_OK(e);
    CHECK_CONTAINS(cfg_global(c)->state_password.file, "/pw");
    cfg_free(c);
    ab_buf_free(&errs);
}

/* validate and the logs show the URL through eng_state_display. */
TEST(a_password_in_the_url_is_accepted_and_never_shown)
{
    ab_buf errs;
    enum ab_err e;
    cfg *c = load_state("st-inurl.xml", "url=\"postgresql://ab:s3cr3t@h:5432/ab\"", &errs, &e);
    CHECK_OK(e);
    char *shown = eng_state_display(c);
    CHECK(shown != NULL);
    CHECK_STR(shown, "postgresql://ab@h:5432/ab");
    ab_free(shown);
    cfg_free(c);
    ab_buf_free(&errs);

    c = load_state("st-inq.xml", "url=\"postgresql://ab@h/ab?sslmode=disable&amp;password=s3cr3t\"",
                   &errs, &e);
    CHECK_OK(e);
    shown = eng_state_display(c);
    CHECK(shown != NULL && strstr(shown, "s3cr3t") == NULL);
    ab_free(shown);
    cfg_free(c);
    ab_buf_free(&errs);
}

TEST(every_state_mistake_names_the_line)
{
    static const struct {
        const char *attrs, *want;
    } bad[] = {
        {"keep=\"30d\"", ":2: <state>: needs path= (a SQLite file) or url="},
        {"path=\"s.db\" url=\"postgresql://h/ab\"", ":2: <state>: give path= (a SQLite file) "
                                                  "or url= (a PostgreSQL database), not both"},
        {"url=\"mysql://root:hunter2@h/ab\"",
         ":2: <state>: url= must start with postgresql:// or postgres:// (it starts with "
         "\"mysql://\")"},
        {"url=\"postgresql://ab:hunter2@h/ab\" password-env=\"PW\"",
         ":2: <state>: the password is both in url= and in password-env=; give it once"},
        {"url=\"postgresql://ab@h/ab?password=hunter2\" password-file=\"pw\"",
         ":2: <state>: the password is both in url= and in password-file="},
        {"path=\"s.db\" password-env=\"PW\"",
         ":2: <state>: password-env= goes with url= (PostgreSQL); a SQLite file has no "
         "password"},
        {"url=\"postgresql://h/ab\" password-env=\"PW\" password-file=\"pw\"",
         ":2: state: give password-file or password-env, not both"},
        {"path=\"s.db\" node=\"\"", ":2: <state>: node=\"\" must be 1 to 200 printable"},
        {"path=\"s.db\" password=\"hunter2\"", ":2:"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ab_buf errs;
        enum ab_err e;
        char name[64], want[400];
        snprintf(name, sizeof name, "st-bad%zu.xml", i);
        cfg *c = load_state(name, bad[i].attrs, &errs, &e);
        CHECK(c == NULL);
        CHECK_INT(e, AB_ECONFIG);
        snprintf(want, sizeof want, "%s%s", name, bad[i].want);
        CHECK_CONTAINS(ab_buf_str(&errs), want);
        /* No password ever reaches a message. */
        CHECK(strstr(ab_buf_str(&errs), "hunter2") == NULL);
        ab_buf_free(&errs);
    }
}
