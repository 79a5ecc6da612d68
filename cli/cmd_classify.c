/*
 * cmd_classify.c - `ackbeat classify [-c FILE] [--reply-address A] FILE.eml...`:
 * show how the inbox watcher sees each message, so a person can tell why
 * a reply was or was not counted.  One line per message:
 *
 *   FILE class=ack token=T from=ADDR bounced=- issued=yes [failure="..."]
 *        [unverified="..."] reason="..."
 *
 * With -c the state database says whether the token was issued (yes/no),
 * and the config gives the reply address, ack-from domains and ping
 * checks; without it issued is "unknown".  A delay warning (a bounce that
 * is not a failure) gets " note=delay" at the end.  Nothing is recorded.
 * Exit 0, or 1 when a file could not be read.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/ab_buf.h"
#include "common/ab_mem.h"
#include "inbox/inbox.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: ackbeat classify [-c FILE] [--reply-address LOCAL@DOMAIN] FILE.eml...\n"
               "  Print how each message is classified (nothing is recorded).\n"
               "  -c, --config FILE        look tokens up in the state database\n"
               "  --reply-address ADDR     the heartbeats' reply address "
               "(default: the config's)\n");
}

static int read_file(const char *path, ab_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char tmp[65536];
    size_t n;
    int r = 0;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        if (b->len + n > INBOX_MAX_MESSAGE ||
            ab_buf_append(b, tmp, n) != AB_OK)
            break; /* the front of a huge message is what gets parsed */
    if (ferror(f))
        r = -1;
    fclose(f);
    return r;
}

static void print_one(const char *file, const struct inbox_verdict *v, int have_db)
{
    printf("%s class=%s token=%s from=%s bounced=", file, inbox_class_name(v->klass),
           v->token[0] ? v->token : "-", v->from ? v->from : "-");
    for (size_t i = 0; i < v->nbounced; i++)
        printf("%s%s", i ? "," : "", v->bounced[i].addr);
    printf("%s issued=%s%s", v->nbounced ? "" : "-",
           !have_db ? "unknown" : v->issued == 1 ? "yes" : "no",
           v->klass == INBOX_BOUNCE && v->delay ? " note=delay" : "");
    if (v->klass == INBOX_BOUNCE && v->inferred)
        printf(" inferred=yes");
    if (v->bounce_line)
        printf(" failure=\"%s\"", v->bounce_line);
    if (v->untrusted)
        printf(" unverified=\"%s\"", v->untrusted);
    printf(" reason=\"%s\"\n", v->reason ? v->reason : "");
}

/* --reply-address ADDR, the one option of its own. */
static int own_opt(void *reply, int key, const char *arg)
{
    (void)key;
    *(const char **)reply = arg;
    return CLI_GO_ON;
}

/* One file: read, parse, classify, print.  0, or -1 after saying why. */
static int classify_one(const char *file, const struct inbox_rules *rules, int have_db)
{
    ab_buf b;
    ab_buf_init(&b, INBOX_MAX_MESSAGE + 1);
    if (read_file(file, &b) < 0) {
        cli_err("classify", "%s: cannot read", file);
        ab_buf_free(&b);
        return -1;
    }
    struct inbox_msg *m = NULL;
    struct inbox_verdict v;
    memset(&v, 0, sizeof v);
    ab_errmsg em = {{0}};
    enum ab_err e = inbox_parse(b.data ? b.data : "", b.len, &m, &em);
    if (e == AB_OK) {
        e = inbox_classify(m, rules, &v, &em);
    } else if (e == AB_EPARSE) {
        v.klass = INBOX_SKIPPED;
        e = AB_OK;
    }
    if (e)
        cli_err("classify", "%s: %s", file, em.text);
    else
        print_one(file, &v, have_db);
    inbox_verdict_free(&v);
    inbox_msg_free(m);
    ab_buf_free(&b);
    return e ? -1 : 0;
}

/* With -c: the config, the state (through a view) and the ping checks
 * the rules need.  EXIT_OK, or the exit code after saying why, with
 * nothing left open. */
static int open_config(const char *config, cfg **c, eng **view, struct inbox_ping **pings,
                       size_t *npings)
{
    if (!(*c = cli_load_config(config)))
        return EXIT_USAGE;
    if (!(*view = cli_open_view(*c))) {
        cfg_free(*c);
        *c = NULL;
        return EXIT_FAIL;
    }
    ab_errmsg pem = {{0}};
    if (inbox_pings_of(*c, pings, npings, &pem) != AB_OK) {
        cli_err("classify", "%s", pem.text);
        eng_free(*view);
        cfg_free(*c);
        *view = NULL;
        *c = NULL;
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

int cmd_classify(int argc, char **argv)
{
    static const struct option own[] = {{"reply-address", required_argument, 0, 'r'},
                                        {0, 0, 0, 0}};
    const char *reply = NULL;
    const struct cli_spec sp = {.cmd = "classify",
                                .shared = CLI_OPT_CONFIG_OPTIONAL,
                                .own = own,
                                .fn = own_opt,
                                .ud = &reply,
                                .usage = usage};
    struct cli_opts o;
    int rc = cli_opts_parse(argc, argv, &sp, &o);
    if (rc != CLI_GO_ON)
        return rc;
    if (o.argi >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    cfg *c = NULL;
    eng *view = NULL;
    store *st = NULL; /* the engine's, for the inbox's rules */
    struct inbox_ping *pings = NULL;
    size_t npings = 0;
    struct inbox_rules rules;
    inbox_rules_init(&rules, NULL, NULL, 0, NULL, AB_TIME_NONE);
    rules.reply_address = reply;
    if (o.config) {
        if ((rc = open_config(o.config, &c, &view, &pings, &npings)))
            return rc;
        st = eng_state(view);
        ab_time now;
        if (cli_now(NULL, &now) < 0) /* classify has no --now: the clock */
            now = AB_TIME_NONE;
        inbox_rules_init(&rules, &cfg_global(c)->inbox, pings, npings, st, now);
        rules.zone = cfg_global(c)->timezone;
        if (reply)
            rules.reply_address = reply;
    }
    rc = EXIT_OK;
    for (int i = o.argi; i < argc; i++)
        if (classify_one(argv[i], &rules, st != NULL) < 0)
            rc = EXIT_FAIL;
    ab_free(pings);
    eng_free(view);
    cfg_free(c);
    return rc;
}
