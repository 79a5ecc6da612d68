/*
 * cmd_render.c - `ackbeat render`: preview a template with sample data.
 *
 *   ackbeat render --template FILE --data FILE.json [--partials DIR]... [--html]
 *
 * Prints the rendered text.  Escaping is HTML when --html is given or the
 * file name ends in .html.mustache, plain text otherwise (--text forces
 * it, --header renders as a mail header would be).  Partials and parents
 * ({{>name}}, {{<name}}) are DIR/name.mustache, searched in the order the
 * --partials folders are given, by default the template's own folder.  A
 * missing partial is an error, as it would be when ackbeat sends mail.
 *
 * Exit 0 when rendered, 2 on a template that does not parse or render, bad
 * JSON, a missing file or bad usage; every message names the file and line.
 */
#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/ab_mem.h"
#include "templates/tpl.h"

#define MAX_PARTIAL_DIRS 16

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ackbeat render --template FILE [--data FILE.json] "
            "[--partials DIR]... [--html|--text|--header]\n"
            "  Render a Mustache template with JSON data and print the result "
            "(a preview).\n"
            "  -t, --template FILE   the template (.mustache)\n"
            "  -d, --data FILE       JSON object with the variables (default "
            "{})\n"
            "  -p, --partials DIR    folder of partials and parents, "
            "DIR/NAME.mustache;\n"
            "                        repeat to search several (default: the "
            "template's folder)\n"
            "      --html            HTML-escape {{x}} (the default for "
            "*.html.mustache)\n"
            "      --text            escape nothing\n"
            "      --header          as a mail header: one line, CR/LF become "
            "spaces\n");
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* What render takes (it uses none of the shared options but --help). */
struct render_args {
    const char *tfile, *dfile;
    const char *dirs[MAX_PARTIAL_DIRS];
    size_t ndirs;
    int mode; /* enum tpl_mode, -1: from the file name */
};

enum { O_HTML = 256, O_TEXT, O_HEADER };

static int own_opt(void *ud, int key, const char *arg)
{
    struct render_args *a = ud;
    switch (key) {
    case 't': a->tfile = arg; return CLI_GO_ON;
    case 'd': a->dfile = arg; return CLI_GO_ON;
    case 'p':
        if (a->ndirs == MAX_PARTIAL_DIRS) {
            cli_err("render", "at most %d --partials folders", MAX_PARTIAL_DIRS);
            return EXIT_USAGE;
        }
        a->dirs[a->ndirs++] = arg;
        return CLI_GO_ON;
    case O_HTML: a->mode = TPL_HTML; return CLI_GO_ON;
    case O_TEXT: a->mode = TPL_TEXT; return CLI_GO_ON;
    default: a->mode = TPL_HEADER; return CLI_GO_ON;
    }
}

/* The data of --data FILE (an object), or {}.  NULL after saying why. */
static json_t *load_data(const char *dfile)
{
    if (!dfile) {
        json_t *data = json_object();
        if (!data)
            cli_err("render", "out of memory");
        return data;
    }
    json_error_t je;
    json_t *data = json_load_file(dfile, JSON_REJECT_DUPLICATES, &je);
    if (!data) {
        cli_err("render", "%s:%d:%d: %s", dfile, je.line, je.column, je.text);
        return NULL;
    }
    if (!json_is_object(data)) {
        cli_err("render", "%s: the data must be a JSON object", dfile);
        json_decref(data);
        return NULL;
    }
    return data;
}

/* Compile, render into out; the partials from a's folders, by default
 * the template's own.  0, or -1 after saying why. */
static int render(struct render_args *a, json_t *data, ab_buf *out)
{
    tpl *t = NULL;
    tpl_set *set = NULL;
    char *tdir = NULL;
    ab_errmsg em = {{0}};
    int rc = -1;
    if (tpl_compile_file(a->tfile, NULL, &t, &em)) {
        cli_err("render", "%s", em.text);
        goto out;
    }
    if (!a->ndirs) {
        /* dirname() may change its argument: give it a copy. */
        if (!(tdir = ab_strdup(a->tfile))) {
            cli_err("render", "out of memory");
            goto out;
        }
        a->dirs[a->ndirs++] = dirname(tdir);
    }
    if (tpl_set_new(a->dirs, a->ndirs, &set, &em)) {
        cli_err("render", "%s", em.text);
        goto out;
    }
    struct tpl_set_scope scope = {set, NULL, NULL};
    struct tpl_loader loader = {tpl_set_load_partial, &scope};
    struct tpl_render_opts ro = {.mode = (enum tpl_mode)a->mode, .loader = &loader};
    if (tpl_render(t, data, &ro, out, &em)) {
        cli_err("render", "%s", em.text);
        goto out;
    }
    rc = 0;
out:
    tpl_set_free(set);
    tpl_free(t);
    ab_free(tdir);
    return rc;
}

int cmd_render(int argc, char **argv)
{
    static const struct option own[] = {{"template", required_argument, 0, 't'},
                                        {"data", required_argument, 0, 'd'},
                                        {"partials", required_argument, 0, 'p'},
                                        {"html", no_argument, 0, O_HTML},
                                        {"text", no_argument, 0, O_TEXT},
                                        {"header", no_argument, 0, O_HEADER},
                                        {0, 0, 0, 0}};
    struct render_args a = {.mode = -1};
    const struct cli_spec sp = {.cmd = "render",
                                .own = own,
                                .own_short = "t:d:p:",
                                .fn = own_opt,
                                .ud = &a,
                                .usage = usage};
    struct cli_opts o;
    int rc = cli_opts_parse(argc, argv, &sp, &o);
    if (rc != CLI_GO_ON)
        return rc;
    if (o.argi < argc) {
        cli_err("render", "unexpected argument \"%s\"", argv[o.argi]);
        return EXIT_USAGE;
    }
    if (!a.tfile) {
        cli_err("render", "--template FILE is required");
        usage(stderr);
        return EXIT_USAGE;
    }
    if (a.mode < 0)
        a.mode = ends_with(a.tfile, ".html.mustache") ? TPL_HTML : TPL_TEXT;
    json_t *data = load_data(a.dfile);
    if (!data)
        return EXIT_USAGE;
    ab_buf out;
    ab_buf_init(&out, 0);
    rc = EXIT_USAGE;
    if (render(&a, data, &out) == 0) {
        fwrite(out.data, 1, out.len, stdout);
        /* A header has no line end of its own; end the terminal's line. */
        if (a.mode == TPL_HEADER)
            fputc('\n', stdout);
        rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
    }
    ab_buf_free(&out);
    json_decref(data);
    return rc;
}
