/*
 * test_templates.c - templates/: escaping modes, header safety, errors that
 * name file and line, the override folders of a template set, the default
 * templates with their sample data, and out-of-memory at every allocation.
 *
 * (The Mustache spec itself is run by test_mustache_spec.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/ab_mem.h"
#include "templates/tpl.h"
#include "tests/unit/harness.h"

/* Render src with data (JSON text) in mode; NULL on any error (em filled). */
static char *render(const char *src, const char *json, enum tpl_mode mode,
                    ab_errmsg *em)
{
    tpl *t = NULL;
    char *out = NULL;
    json_t *data = json_loads(json ? json : "{}", 0, NULL);
    struct tpl_render_opts o = {.mode = mode};
    if (data && tpl_compile("test.mustache", src, strlen(src), &t, em) == AB_OK &&
        tpl_render_str(t, data, &o, &out, em) != AB_OK)
        out = NULL;
    tpl_free(t);
    json_decref(data);
    return out;
}

/* The same, but the result is checked and freed here. */
#define CHECK_RENDER(src, json, mode, want)                          \
    do {                                                             \
        ab_errmsg em_ = {{0}};                                       \
        char *got_ = render(src, json, mode, &em_);                  \
        if (!got_)                                                   \
            t_fail(__FILE__, __LINE__, "render failed: %s", em_.text); \
        else if (strcmp(got_, want) != 0)                            \
            t_fail(__FILE__, __LINE__, "got \"%s\", want \"%s\"", got_, want); \
        free(got_);                                                  \
        if (t_failed())                                              \
            return;                                                  \
    } while (0)

static const char *src_root(void)
{
    const char *r = getenv("AB_SRCDIR");
    return r ? r : ".";
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

static void make_dir(const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(2);
    }
}

/* Files under dir, given as {relative path, contents}; folders are made. */
static void make_tree(const char *dir, const char *const (*files)[2], size_t n)
{
    char p[1024];
    make_dir(dir);
    for (size_t i = 0; i < n; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i][0]);
        char *slash = strrchr(p, '/');
        if (slash > p + strlen(dir)) {
            *slash = '\0';
            make_dir(p);
            *slash = '/';
        }
        write_file(p, files[i][1]);
    }
}
#define MAKE_TREE(dir, files) make_tree(dir, files, sizeof files / sizeof files[0])

/* ---- escaping ------------------------------------------------------- */

TEST(html_mode_escapes_double_mustache_only)
{
    const char *d = "{\"x\": \"<a href=\\\"q\\\">Tom & 'Jerry'</a>\"}";
    CHECK_RENDER("{{x}}", d, TPL_HTML,
                 "&lt;a href=&quot;q&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
    CHECK_RENDER("{{{x}}}|{{&x}}", d, TPL_HTML,
                 "<a href=\"q\">Tom & 'Jerry'</a>|<a href=\"q\">Tom & 'Jerry'</a>");
}

TEST(text_mode_escapes_nothing)
{
    CHECK_RENDER("{{x}} {{{x}}}", "{\"x\": \"a<b>&c\"}", TPL_TEXT,
                 "a<b>&c a<b>&c");
}

TEST(header_mode_removes_cr_lf_from_values_and_template)
{
    const char *d = "{\"name\": \"db\\r\\nBcc: victim@example.com\", "
                    "\"t\": \"x\\ny\"}";
    ab_errmsg em = {{0}};
    char *got = render("  Alert: {{name}}\n{{#t}}\r\n{{t}}{{/t}}\n\n", d,
                       TPL_HEADER, &em);
    CHECK(got != NULL);
    CHECK(strchr(got, '\r') == NULL);
    CHECK(strchr(got, '\n') == NULL);
    CHECK_STR(got, "Alert: db  Bcc: victim@example.com x y");
    free(got);
    /* A NUL or other control character from the data is no better. */
    got = render("{{v}}", "{\"v\": \"\\ta\\u0001b\\u007fc\\u000bd\"}",
                 TPL_HEADER, &em);
    CHECK(got != NULL);
    CHECK_STR(got, "a b c d");
    free(got);
}

TEST(numbers_booleans_and_nulls_render_like_the_spec)
{
    CHECK_RENDER("{{i}} {{r}} {{big}} {{neg}} {{t}} {{f}} [{{n}}]",
                 "{\"i\": 85, \"r\": 1.21, \"big\": 9007199254740993, "
                 "\"neg\": -0.5, \"t\": true, \"f\": false, \"n\": null}",
                 TPL_TEXT, "85 1.21 9007199254740993 -0.5 true false []");
    CHECK_RENDER("{{x}}", "{\"x\": 0.1}", TPL_TEXT, "0.1");
    CHECK_RENDER("{{x}}", "{\"x\": 1e300}", TPL_TEXT, "1e+300");
}

TEST(truthiness_zero_is_shown_empty_string_is_not)
{
    CHECK_RENDER("{{#v}}value {{v}}{{/v}}|{{#s}}has s{{/s}}{{^s}}no s{{/s}}",
                 "{\"v\": 0, \"s\": \"\"}", TPL_TEXT, "value 0|no s");
}

TEST(list_index_prints_a_heading_once)
{
    const char *src = "{{#items.0}}Items:\n{{/items.0}}{{#items}}- {{.}}\n"
                      "{{/items}}{{items.1}}";
    CHECK_RENDER(src, "{\"items\": [\"a\", \"b\"]}", TPL_TEXT,
                 "Items:\n- a\n- b\nb");
    CHECK_RENDER(src, "{\"items\": []}", TPL_TEXT, "");
    CHECK_RENDER("{{items.01}}{{items.9}}", "{\"items\": [\"a\", \"b\"]}",
                 TPL_TEXT, "");
}

TEST(objects_where_a_value_is_expected_show_as_json)
{
    CHECK_RENDER("{{o}}", "{\"o\": {\"a\": [1, \"<\"]}}", TPL_HTML,
                 "{&quot;a&quot;:[1,&quot;&lt;&quot;]}");
}

/* ---- errors ---------------------------------------------------------- */

static void compile_error(const char *name, const char *src, const char *want,
                          const char *file, int line)
{
    tpl *t = NULL;
    ab_errmsg em = {{0}};
    enum ab_err e = tpl_compile(name, src, strlen(src), &t, &em);
    if (e != AB_ETEMPLATE || t)
        t_fail(file, line, "compile of \"%s\" returned %d", src, (int)e);
    else if (strcmp(em.text, want) != 0)
        t_fail(file, line, "message \"%s\", want \"%s\"", em.text, want);
    tpl_free(t);
}
#define CHECK_COMPILE_ERROR(name, src, want)                         \
    do {                                                             \
        compile_error(name, src, want, __FILE__, __LINE__);          \
        if (t_failed())                                              \
            return;                                                  \
    } while (0)

TEST(parse_errors_name_file_and_line)
{
    const char *n = "alert-opened.html.mustache";
    CHECK_COMPILE_ERROR(n, "a\nb\n{{#items}}\n{{x}}\n",
                        "alert-opened.html.mustache:3: unclosed section 'items'");
    CHECK_COMPILE_ERROR(n, "{{#a}}\n{{#b}}\n{{/a}}\n",
                        "alert-opened.html.mustache:3: closing tag 'a' does not "
                        "match 'b' opened on line 2");
    CHECK_COMPILE_ERROR(n, "x\n\n{{/a}}",
                        "alert-opened.html.mustache:3: closing tag 'a' closes "
                        "nothing");
    CHECK_COMPILE_ERROR(n, "one\ntwo {{name\n", "alert-opened.html.mustache:2: "
                        "unclosed tag");
    CHECK_COMPILE_ERROR(n, "{{<layout}}\n{{$body}}\n", "alert-opened.html."
                        "mustache:2: unclosed block 'body'");
    CHECK_COMPILE_ERROR(n, "\n{{=<% %>}}", "alert-opened.html.mustache:2: "
                        "unclosed set-delimiters tag");
    CHECK_COMPILE_ERROR(n, "{{a b}}", "alert-opened.html.mustache:1: blank "
                        "inside tag name 'a b'");
    CHECK_COMPILE_ERROR(n, "{{a..b}}", "alert-opened.html.mustache:1: empty "
                        "part in dotted name 'a..b'");
    CHECK_COMPILE_ERROR(n, "{{}}", "alert-opened.html.mustache:1: empty tag");
}

TEST(unknown_partial_is_an_error_unless_asked_for_the_spec)
{
    tpl *t;
    ab_errmsg em = {{0}};
    const char *src = "Hi\n\n  {{>footer}}\n";
    CHECK_OK(tpl_compile("alert.txt.mustache", src, strlen(src), &t, &em));
    ab_buf out;
    ab_buf_init(&out, 0);
    CHECK_OK(ab_buf_puts(&out, "kept"));
    struct tpl_render_opts o = {.mode = TPL_TEXT};
    CHECK_INT(tpl_render(t, NULL, &o, &out, &em), AB_ETEMPLATE);
    CHECK_STR(em.text, "alert.txt.mustache:3: unknown partial 'footer'");
    CHECK_STR(ab_buf_str(&out), "kept"); /* nothing half-rendered left */
    o.flags = TPL_MISSING_PARTIAL_EMPTY;
    CHECK_OK(tpl_render(t, NULL, &o, &out, &em));
    CHECK_STR(ab_buf_str(&out), "keptHi\n\n");
    ab_buf_free(&out);
    tpl_free(t);
}

static enum ab_err self_loader(void *ud, const char *name, const tpl **out,
                               ab_errmsg *em)
{
    (void)name;
    (void)em;
    *out = ud;
    return AB_OK;
}

TEST(runaway_recursion_and_output_are_stopped)
{
    tpl *t;
    ab_errmsg em = {{0}};
    const char *src = "x{{>self}}";
    CHECK_OK(tpl_compile("self.mustache", src, strlen(src), &t, &em));
    struct tpl_loader ld = {self_loader, t};
    struct tpl_render_opts o = {.mode = TPL_TEXT, .loader = &ld};
    char *out = NULL;
    CHECK_INT(tpl_render_str(t, NULL, &o, &out, &em), AB_ETEMPLATE);
    CHECK(out == NULL);
    CHECK_CONTAINS(em.text, "self.mustache:1: partial 'self' nested more than 64");
    o.max_depth = 1000;
    o.max_output = 100;
    CHECK_INT(tpl_render_str(t, NULL, &o, &out, &em), AB_ERANGE);
    CHECK_CONTAINS(em.text, "exceeds 100 bytes");
    tpl_free(t);
}

TEST(empty_loops_cannot_run_for_hours)
{
    /* 10 nested loops over 10 items: 10^10 visits, no output at all. */
    char src[512];
    size_t k = 0;
    for (int i = 0; i < 20; i++)
        k += (size_t)snprintf(src + k, sizeof src - k, i < 10 ? "{{#l}}" : "{{/l}}");
    ab_errmsg em = {{0}};
    tpl *t;
    char *got = NULL;
    json_t *data = json_pack("{s:[iiiiiiiiii]}", "l", 0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    struct tpl_render_opts o = {.mode = TPL_TEXT, .max_steps = 100000};
    CHECK_OK(tpl_compile("loops.mustache", src, strlen(src), &t, &em));
    CHECK_INT(tpl_render_str(t, data, &o, &got, &em), AB_ETEMPLATE);
    CHECK(got == NULL);
    CHECK_STR(em.text, "loops.mustache:1: rendering took more than 100000 "
                       "steps (runaway loop?)");
    tpl_free(t);
    json_decref(data);
}

TEST(free_null_is_a_no_op)
{
    tpl_free(NULL);
    tpl_set_free(NULL);
}

/* ---- template sets ---------------------------------------------------- */

TEST(set_lookup_order_check_then_kind_then_plain_per_folder)
{
    char user[512], def[512];
    snprintf(user, sizeof user, "%s/order-user", t_tmpdir());
    snprintf(def, sizeof def, "%s/order-default", t_tmpdir());
    static const char *const deffiles[][2] = {
        {"m.txt.mustache", "default plain"},
        {"freshness/m.txt.mustache", "default kind"},
        {"orders/m.txt.mustache", "default check"},
        {"m.html.mustache", "default html"},
    };
    static const char *const userfiles[][2] = {
        {"m.txt.mustache", "user plain"},
        {"sql/m.txt.mustache", "user kind"},
    };
    MAKE_TREE(def, deffiles);
    MAKE_TREE(user, userfiles);

    const char *dirs[] = {user, def};
    tpl_set *s;
    ab_errmsg em = {{0}};
    ab_buf out;
    ab_buf_init(&out, 0);
    CHECK_OK(tpl_set_new(dirs, 2, &s, &em));
    struct {
        const char *part, *check, *kind, *want;
    } cases[] = {
        /* the user folder comes first, whatever is in the default one */
        {"txt", "orders", "freshness", "user plain"},
        {"txt", "orders", "sql", "user kind"},
        {"txt", "other", "sql", "user kind"},
        {"txt", NULL, NULL, "user plain"},
        /* a part only the default folder has */
        {"html", "orders", "sql", "default html"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ab_buf_reset(&out);
        CHECK_OK(tpl_set_render(s, "m", cases[i].part, cases[i].check,
                                cases[i].kind, NULL, &out, &em));
        CHECK_STR(ab_buf_str(&out), cases[i].want);
    }
    tpl_set_free(s);

    /* Without the user folder: check beats kind beats plain. */
    CHECK_OK(tpl_set_new(dirs + 1, 1, &s, &em));
    const char *want[][3] = {{"orders", "freshness", "default check"},
                             {"orders", "sql", "default check"},
                             {"other", "freshness", "default kind"},
                             {"other", "sql", "default plain"},
                             {"../orders", "freshness", "default kind"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        ab_buf_reset(&out);
        CHECK_OK(tpl_set_render(s, "m", "txt", want[i][0], want[i][1], NULL,
                                &out, &em));
        CHECK_STR(ab_buf_str(&out), want[i][2]);
    }
    const tpl *t;
    CHECK_INT(tpl_set_get(s, "nope", "txt", NULL, NULL, &t, &em), AB_ENOTFOUND);
    CHECK_CONTAINS(em.text, "no template nope.txt.mustache in ");
    CHECK_CONTAINS(em.text, "order-default");
    tpl_set_free(s);
    ab_buf_free(&out);
}

TEST(set_partials_follow_the_same_folders_and_modes_follow_the_part)
{
    char d[512];
    static const char *const files[][2] = {
        {"msg.subject.mustache", "[{{>tag}}] {{x}}\n"},
        {"msg.html.mustache", "<p>{{x}}</p>{{>tag}}"},
        {"tag.mustache", "plain tag"},
        {"db1/tag.mustache", "db1 tag"},
        {"broken.txt.mustache", "ok\n{{>bad}}\n"},
        {"bad.mustache", "line one\n{{#open}}\n"},
    };
    snprintf(d, sizeof d, "%s/partials", t_tmpdir());
    MAKE_TREE(d, files);

    const char *dirs[] = {d};
    tpl_set *s;
    ab_errmsg em = {{0}};
    ab_buf out;
    ab_buf_init(&out, 0);
    json_t *data = json_pack("{s:s}", "x", "a<b\r\nc");
    CHECK_OK(tpl_set_new(dirs, 1, &s, &em));
    CHECK_OK(tpl_set_render(s, "msg", "subject", NULL, NULL, data, &out, &em));
    CHECK_STR(ab_buf_str(&out), "[plain tag] a<b  c");
    ab_buf_reset(&out);
    CHECK_OK(tpl_set_render(s, "msg", "subject", "db1", NULL, data, &out, &em));
    CHECK_STR(ab_buf_str(&out), "[db1 tag] a<b  c");
    ab_buf_reset(&out);
    CHECK_OK(tpl_set_render(s, "msg", "html", NULL, "db1", data, &out, &em));
    CHECK_STR(ab_buf_str(&out), "<p>a&lt;b\r\nc</p>db1 tag");
    ab_buf_reset(&out);
    /* A partial that does not compile: both files and lines are named. */
    CHECK_INT(tpl_set_render(s, "broken", "txt", NULL, NULL, data, &out, &em),
              AB_ETEMPLATE);
    CHECK_CONTAINS(em.text, "broken.txt.mustache:2: partial 'bad': ");
    CHECK_CONTAINS(em.text, "bad.mustache:2: unclosed section 'open'");
    /* Partial names cannot climb out of the folders. */
    struct tpl_set_scope sc = {s, NULL, NULL};
    const tpl *t;
    CHECK_INT(tpl_set_load_partial(&sc, "../partials/tag", &t, &em),
              AB_ENOTFOUND);
    CHECK_INT(tpl_set_load_partial(&sc, "/etc/passwd", &t, &em), AB_ENOTFOUND);
    CHECK_OK(tpl_set_load_partial(&sc, "db1/tag", &t, &em));
    json_decref(data);
    tpl_set_free(s);
    ab_buf_free(&out);
}

TEST(compile_file_names_the_file)
{
    char p[600];
    snprintf(p, sizeof p, "%s/bad-file.mustache", t_tmpdir());
    write_file(p, "one\ntwo\n{{#x}}three\n");
    tpl *t = NULL;
    ab_errmsg em = {{0}};
    CHECK_INT(tpl_compile_file(p, NULL, &t, &em), AB_ETEMPLATE);
    CHECK_CONTAINS(em.text, "/bad-file.mustache:3: unclosed section 'x'");
    CHECK_INT(tpl_compile_file(p, "shown.mustache", &t, &em), AB_ETEMPLATE);
    CHECK_STR(em.text, "shown.mustache:3: unclosed section 'x'");
    snprintf(p, sizeof p, "%s/no-such-file.mustache", t_tmpdir());
    CHECK_INT(tpl_compile_file(p, NULL, &t, &em), AB_ENOTFOUND);
    CHECK_CONTAINS(em.text, "no-such-file.mustache: ");
}

/* ---- the default templates ------------------------------------------- */

static const char *const messages[][2] = {
    {"heartbeat-request", "heartbeat.json"},
    {"heartbeat-reminder", "heartbeat.json"},
    {"nobody-confirmed", "nobody-confirmed.json"},
    {"alert-opened", "alert.json"},
    {"alert-repeated", "alert.json"},
    {"alert-escalated", "alert.json"},
    {"alert-resolved", "alert-resolved.json"},
    {"digest", "digest.json"},
    {"monthly-report", "monthly-report.json"},
};
static const char *const parts[] = {"subject", "txt", "html"};

static json_t *sample(const char *file)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/templates/samples/%s", src_root(), file);
    json_error_t je;
    json_t *j = json_load_file(p, 0, &je);
    if (!j)
        printf("    %s:%d: %s\n", p, je.line, je.text);
    return j;
}

static tpl_set *default_set(void)
{
    char d[1024];
    snprintf(d, sizeof d, "%s/templates/default", src_root());
    const char *dirs[] = {d};
    tpl_set *s = NULL;
    ab_errmsg em;
    return tpl_set_new(dirs, 1, &s, &em) == AB_OK ? s : NULL;
}

TEST(every_default_template_renders_completely)
{
    tpl_set *s = default_set();
    CHECK(s != NULL);
    ab_buf out;
    ab_buf_init(&out, 0);
    for (size_t m = 0; m < sizeof messages / sizeof messages[0]; m++) {
        json_t *data = sample(messages[m][1]);
        CHECK(data != NULL);
        for (size_t p = 0; p < 3; p++) {
            ab_errmsg em = {{0}};
            ab_buf_reset(&out);
            enum ab_err e = tpl_set_render(s, messages[m][0], parts[p], "c",
                                           "k", data, &out, &em);
            if (e)
                t_fail(__FILE__, __LINE__, "%s.%s: %s", messages[m][0],
                       parts[p], em.text);
            const char *r = ab_buf_str(&out);
            if (!e && (strstr(r, "{{") || strstr(r, "}}")))
                t_fail(__FILE__, __LINE__, "%s.%s: unrendered tag in:\n%s",
                       messages[m][0], parts[p], r);
            if (!e && out.len < (p ? 200u : 20u))
                t_fail(__FILE__, __LINE__, "%s.%s: suspiciously short: %s",
                       messages[m][0], parts[p], r);
            if (!e && p == 0 && strpbrk(r, "\r\n"))
                t_fail(__FILE__, __LINE__, "%s subject has a line break",
                       messages[m][0]);
            if (!e && p == 2 && (!strstr(r, "<!DOCTYPE html>") ||
                                 !strstr(r, "</html>\n")))
                t_fail(__FILE__, __LINE__, "%s.html is not a whole page",
                       messages[m][0]);
            /* The greeting, and nothing left empty by a missing variable. */
            if (!e && p && (!strstr(r, "Hello ") || strstr(r, "()") ||
                            strstr(r, " ,") || strstr(r, "\n\n\n")))
                t_fail(__FILE__, __LINE__, "%s.%s: gap or blank run in:\n%s",
                       messages[m][0], parts[p], r);
        }
        json_decref(data);
        if (t_failed())
            break;
    }
    ab_buf_free(&out);
    tpl_set_free(s);
}

TEST(heartbeat_text_ends_with_the_reference_line)
{
    tpl_set *s = default_set();
    json_t *data = sample("heartbeat.json");
    CHECK(s && data);
    const char *ref = json_string_value(json_object_get(data, "reference"));
    char want[256];
    snprintf(want, sizeof want, "\n%s\n", ref);
    ab_buf out;
    ab_buf_init(&out, 0);
    ab_errmsg em = {{0}};
    const char *msgs[] = {"heartbeat-request", "heartbeat-reminder"};
    for (int i = 0; i < 2; i++) {
        ab_buf_reset(&out);
        CHECK_OK(tpl_set_render(s, msgs[i], "txt", NULL, NULL, data, &out, &em));
        CHECK(out.len > strlen(want));
        CHECK_STR(out.data + out.len - strlen(want), want);
        ab_buf_reset(&out);
        CHECK_OK(tpl_set_render(s, msgs[i], "html", NULL, NULL, data, &out, &em));
        CHECK_CONTAINS(out.data, ref);
        CHECK_CONTAINS(out.data, "mailto:heartbeat@acme.example");
    }
    ab_buf_free(&out);
    json_decref(data);
    tpl_set_free(s);
}

TEST(default_templates_escape_html_and_keep_headers_on_one_line)
{
    tpl_set *s = default_set();
    json_t *data = sample("alert.json");
    CHECK(s && data);
    json_t *check = json_object_get(data, "check");
    json_object_set_new(check, "label",
                        json_string("<script>x</script>\r\nBcc: all@example.com"));
    ab_buf out;
    ab_buf_init(&out, 0);
    ab_errmsg em = {{0}};
    CHECK_OK(tpl_set_render(s, "alert-opened", "subject", NULL, NULL, data,
                            &out, &em));
    CHECK(strpbrk(out.data, "\r\n") == NULL);
    CHECK_CONTAINS(out.data, "<script>x</script>  Bcc: all@example.com");
    ab_buf_reset(&out);
    CHECK_OK(tpl_set_render(s, "alert-opened", "html", NULL, NULL, data, &out,
                            &em));
    CHECK(strstr(out.data, "<script>") == NULL);
    CHECK_CONTAINS(out.data, "&lt;script&gt;x&lt;/script&gt;");
    ab_buf_reset(&out);
    CHECK_OK(tpl_set_render(s, "alert-opened", "txt", NULL, NULL, data, &out,
                            &em));
    CHECK_CONTAINS(out.data, "<script>x</script>");
    /* reply_hint false: no instructions about replying. */
    json_object_set_new(data, "reply_hint", json_false());
    ab_buf_reset(&out);
    CHECK_OK(tpl_set_render(s, "alert-opened", "txt", NULL, NULL, data, &out,
                            &em));
    CHECK(strstr(out.data, "snooze") == NULL);
    ab_buf_free(&out);
    json_decref(data);
    tpl_set_free(s);
}

/* ---- out of memory ------------------------------------------------------ */

TEST(every_allocation_failure_fails_cleanly)
{
    json_t *data = sample("alert.json");
    CHECK(data != NULL);
    char d[1024];
    snprintf(d, sizeof d, "%s/templates/default", src_root());
    const char *dirs[] = {d};
    long n;
    int done = 0;
    for (n = 0; n < 100000 && !done; n++) {
        tpl_set *s = NULL;
        ab_buf out;
        ab_errmsg em = {{0}};
        ab_buf_init(&out, 0);
        ab_mem_fail_after(n);
        size_t before = 0;
        enum ab_err e = tpl_set_new(dirs, 1, &s, &em);
        for (int p = 0; p < 3 && !e; p++) {
            before = out.len;
            e = tpl_set_render(s, "alert-opened", parts[p], "c", "k", data,
                               &out, &em);
        }
        ab_mem_fail_reset();
        if (e == AB_OK)
            done = 1;
        else if (e != AB_ENOMEM)
            t_fail(__FILE__, __LINE__, "n=%ld: code %d: %s", n, (int)e, em.text);
        else if (out.len != before)
            t_fail(__FILE__, __LINE__, "n=%ld: partial output left", n);
        ab_buf_free(&out);
        tpl_set_free(s);
        if (t_failed())
            break;
    }
    json_decref(data);
    CHECK(done);
    CHECK(n > 50); /* the loop really went through many allocations */
}
