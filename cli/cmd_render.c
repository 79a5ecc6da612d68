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
#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

/* "ackbeat render: msg" on stderr.  (Not cli_err: that would pull in the
 * config headers, and previewing a template needs no config.) */
static void err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ackbeat render: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int cmd_render(int argc, char **argv)
{
    enum { O_HTML = 256, O_TEXT, O_HEADER };
    static const struct option opts[] = {
        {"template", required_argument, 0, 't'},
        {"data", required_argument, 0, 'd'},
        {"partials", required_argument, 0, 'p'},
        {"html", no_argument, 0, O_HTML},
        {"text", no_argument, 0, O_TEXT},
        {"header", no_argument, 0, O_HEADER},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *tfile = NULL, *dfile = NULL;
    const char *dirs[MAX_PARTIAL_DIRS];
    size_t ndirs = 0;
    int mode = -1, ch, rc = EXIT_USAGE;
    char *tdir = NULL;
    tpl *t = NULL;
    tpl_set *set = NULL;
    json_t *data = NULL;
    ab_buf out;
    ab_errmsg em = {{0}};

    ab_buf_init(&out, 0);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "t:d:p:h", opts, NULL)) != -1) {
        switch (ch) {
        case 't': tfile = optarg; break;
        case 'd': dfile = optarg; break;
        case 'p':
            if (ndirs == MAX_PARTIAL_DIRS) {
                err("at most %d --partials folders",
                        MAX_PARTIAL_DIRS);
                return EXIT_USAGE;
            }
            dirs[ndirs++] = optarg;
            break;
        case O_HTML: mode = TPL_HTML; break;
        case O_TEXT: mode = TPL_TEXT; break;
        case O_HEADER: mode = TPL_HEADER; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        err("unexpected argument \"%s\"", argv[optind]);
        return EXIT_USAGE;
    }
    if (!tfile) {
        err("--template FILE is required");
        usage(stderr);
        return EXIT_USAGE;
    }
    if (mode < 0)
        mode = ends_with(tfile, ".html.mustache") ? TPL_HTML : TPL_TEXT;

    if (dfile) {
        json_error_t je;
        data = json_load_file(dfile, JSON_REJECT_DUPLICATES, &je);
        if (!data) {
            err("%s:%d:%d: %s", dfile, je.line, je.column,
                    je.text);
            goto out;
        }
        if (!json_is_object(data)) {
            err("%s: the data must be a JSON object", dfile);
            goto out;
        }
    } else if (!(data = json_object())) {
        err("out of memory");
        goto out;
    }

    if (tpl_compile_file(tfile, NULL, &t, &em)) {
        err("%s", em.text);
        goto out;
    }
    if (!ndirs) {
        /* dirname() may change its argument: give it a copy. */
        if (!(tdir = ab_strdup(tfile))) {
            err("out of memory");
            goto out;
        }
        dirs[ndirs++] = dirname(tdir);
    }
    if (tpl_set_new(dirs, ndirs, &set, &em)) {
        err("%s", em.text);
        goto out;
    }
    struct tpl_set_scope scope = {set, NULL, NULL};
    struct tpl_loader loader = {tpl_set_load_partial, &scope};
    struct tpl_render_opts ro = {.mode = (enum tpl_mode)mode,
                                 .loader = &loader};
    if (tpl_render(t, data, &ro, &out, &em)) {
        err("%s", em.text);
        goto out;
    }
    fwrite(out.data, 1, out.len, stdout);
    /* A header has no line end of its own; end the terminal's line. */
    if (mode == TPL_HEADER)
        fputc('\n', stdout);
    rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
out:
    ab_buf_free(&out);
    tpl_set_free(set);
    tpl_free(t);
    json_decref(data);
    ab_free(tdir);
    return rc;
}
