/*
 * eng_view_open.c - an engine that opens its own state: what a command or
 * the web server starts from, so that neither cli/ nor web/ ever holds
 * the store.  Also the few names of stored values the views print.
 *
 * A view engine (ENG_OPEN_VIEW) loads no templates: `status` or `alerts`
 * must answer on a machine whose templates are broken, which is exactly
 * when someone runs them.
 */
#include "engine/eng_int.h"

#include <string.h>

#include "common/ab_mem.h"

static enum ab_err view_engine(const cfg *c, store *st, eng **out, ab_errmsg *em)
{
    eng *e = ab_calloc(1, sizeof *e);
    if (!e)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    e->c = c;
    e->st = st;
    e->send = 0; /* a view never drains the outbox */
    e->started = AB_TIME_NONE;
    e->node_started = AB_TIME_NONE;
    /* A node too: the self-watch may ask it for the leader's lease. */
    if (eng_node_init(e, cfg_global(c)->state_node) != AB_OK) {
        ab_free(e);
        return ab_fail(em, AB_ENOMEM, "out of memory");
    }
    *out = e;
    return AB_OK;
}

/* The configured state: a file, or PostgreSQL with the password read from
 * password-env=/-file= (libpq's PGPASSWORD or .pgpass when neither). */
enum ab_err eng_state_open(const cfg *c, store **st, ab_errmsg *em)
{
    const struct cfg_global *g = cfg_global(c);
    if (!g->state_url)
        return store_open(g->state_path, st, em);
    char *pw = NULL;
    enum ab_err err = cfg_secret_read(&g->state_password, &pw, em);
    if (err)
        return err;
    err = store_open_with(g->state_url, pw, st, em);
    if (pw)
        explicit_bzero(pw, strlen(pw)); /* no copy left in freed memory */
    ab_free(pw);
    return err;
}

char *eng_state_display(const cfg *c)
{
    return store_url_display(cfg_global(c)->state_path);
}

enum ab_err eng_open(const cfg *c, const char *template_dir, int flags, eng **out,
                     ab_errmsg *em)
{
    *out = NULL;
    store *st = NULL;
    enum ab_err err = eng_state_open(c, &st, em);
    if (err)
        return err;
    eng *e = NULL;
    if (flags & ENG_OPEN_VIEW)
        err = view_engine(c, st, &e, em);
    else if (eng_new(c, st, template_dir, &e, em) != AB_OK)
        err = AB_ECONFIG; /* the state is fine: the templates or the digest are not */
    if (err) {
        store_close(st);
        return err;
    }
    e->own_st = 1;
    *out = e;
    return AB_OK;
}

enum ab_err eng_lock_daemon(eng *e, ab_errmsg *em)
{
    return store_lock_daemon(e->st, em);
}

enum ab_err eng_check_state_file(eng *e, ab_errmsg *em)
{
    return store_check_file(e->st, em);
}

store *eng_state(eng *e)
{
    return e->st;
}

const char *eng_status_name(int s)
{
    return ab_status_name((enum ab_status)s);
}

int eng_status_parse(const char *s)
{
    return ab_status_parse(s);
}

const char *eng_outbox_status_name(int s)
{
    return store_outbox_status_name((enum store_outbox_status)s);
}
