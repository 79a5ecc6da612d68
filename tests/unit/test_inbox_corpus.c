/*
 * test_inbox_corpus.c - every message of the mail corpus through parse
 * and classify, against its expectation.
 *
 * The expectations live beside the messages, in an EXPECT file per
 * folder under tests/data/mail (format in tests/data/mail/EXPECT), so
 * that adding a message is adding a file and a line.  Every mistake is
 * reported, not only the first, and the figures per class are printed:
 * they are what a closing note quotes.  A .eml file with no line, or a
 * line with no file, fails the run: either would test nothing.
 */
#include "harness.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/ab_mem.h"
#include "inbox/inbox.h"
#include "test_inbox_util.h"

struct expect {
    char file[256];  /* relative to tests/data/mail */
    char klass[32];
    char token[64];
    char bounced[512];
    char via[32];
    char text[512];  /* "" when not given */
    int seen;        /* a file for this line exists */
};

static struct expect *exp_v;
static size_t exp_n;

static void load_expect(const char *dir_rel)
{
    char rel[512];
    snprintf(rel, sizeof rel, "mail/%s%sEXPECT", dir_rel, *dir_rel ? "/" : "");
    FILE *f = fopen(t_data(rel), "r");
    if (!f)
        return;
    char line[2048];
    int ln = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        line[strcspn(line, "\r\n")] = '\0';
        char *p = line + strspn(line, " \t");
        if (*p == '#' || !*p)
            continue;
        struct expect x;
        memset(&x, 0, sizeof x);
        char file[256];
        int used = 0;
        if (sscanf(p, "%255s %31s %63s %511s %31s %n", file, x.klass, x.token, x.bounced,
                   x.via, &used) < 5) {
            t_fail(__FILE__, __LINE__, "%s:%d: want FILE CLASS TOKEN BOUNCED VIA [TEXT]",
                   rel, ln);
            continue;
        }
        snprintf(x.file, sizeof x.file, "%s%s%s", dir_rel, *dir_rel ? "/" : "", file);
        if (used)
            snprintf(x.text, sizeof x.text, "%s", p + used);
        struct expect *nv = ab_realloc(exp_v, (exp_n + 1) * sizeof *nv);
        if (!nv)
            break;
        exp_v = nv;
        exp_v[exp_n++] = x;
    }
    fclose(f);
}

static struct expect *find_expect(const char *file)
{
    for (size_t i = 0; i < exp_n; i++)
        if (strcmp(exp_v[i].file, file) == 0)
            return &exp_v[i];
    return NULL;
}

struct tally {
    char klass[32];
    int right, wrong;
};
static struct tally tallies[16];
static size_t ntallies;

static void count(const char *klass, int ok)
{
    size_t i;
    for (i = 0; i < ntallies; i++)
        if (strcmp(tallies[i].klass, klass) == 0)
            break;
    if (i == ntallies) {
        if (ntallies == sizeof tallies / sizeof *tallies)
            return;
        snprintf(tallies[ntallies++].klass, sizeof tallies->klass, "%s", klass);
    }
    if (ok)
        tallies[i].right++;
    else
        tallies[i].wrong++;
}

static void join(char *out, size_t len, const struct inbox_verdict *v)
{
    size_t off = 0;
    out[0] = '\0';
    if (!v->nbounced) {
        snprintf(out, len, "-");
        return;
    }
    for (size_t i = 0; i < v->nbounced && off < len; i++)
        off += (size_t)snprintf(out + off, len - off, "%s%s", i ? "," : "",
                                v->bounced[i].addr);
}

static int check_one(struct expect *x)
{
    struct inbox_msg *m = NULL;
    struct inbox_verdict v;
    x->seen = 1;
    if (tu_classify_file(x->file, &m, &v) != AB_OK) {
        t_fail(__FILE__, __LINE__, "%s: cannot be read or parsed", x->file);
        inbox_verdict_free(&v);
        inbox_msg_free(m);
        return 0;
    }
    char bounced[1024];
    join(bounced, sizeof bounced, &v);
    const char *tok = v.token[0] ? v.token : "-";
    const char *line = v.bounce_line ? v.bounce_line : "";
    const char *reason = v.reason ? v.reason : "";
    const char *untrusted = v.untrusted ? v.untrusted : "";
    int ok = strcmp(inbox_class_name(v.klass), x->klass) == 0 &&
             strcmp(tok, x->token) == 0 && strcmp(bounced, x->bounced) == 0 &&
             (strcmp(x->via, "*") == 0 || strcmp(inbox_via_name(v.via), x->via) == 0) &&
             (!x->text[0] || strstr(line, x->text) || strstr(reason, x->text) ||
              strstr(untrusted, x->text));
    if (!ok)
        t_fail(__FILE__, __LINE__,
               "%s: got class=%s token=%s bounced=%s via=%s line='%s' reason='%s'; "
               "want class=%s token=%s bounced=%s via=%s text='%s'",
               x->file, inbox_class_name(v.klass), tok, bounced, inbox_via_name(v.via),
               line, reason, x->klass, x->token, x->bounced, x->via, x->text);
    count(x->klass, ok);
    inbox_verdict_free(&v);
    inbox_msg_free(m);
    return ok;
}

/* Every .eml under tests/data/mail/DIR, depth first; DIR's EXPECT is
 * loaded on the way in. */
static void walk(const char *dir_rel, int *files)
{
    char rel[512];
    snprintf(rel, sizeof rel, "mail%s%s", *dir_rel ? "/" : "", dir_rel);
    char path[1024];
    snprintf(path, sizeof path, "%s", t_data(rel));
    load_expect(dir_rel);
    DIR *d = opendir(path);
    if (!d) {
        t_fail(__FILE__, __LINE__, "cannot open %s", path);
        return;
    }
    struct dirent *de;
    char **names = NULL;
    size_t n = 0;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.') {
            char **nv = ab_realloc(names, (n + 1) * sizeof *nv);
            if (!nv)
                break;
            names = nv;
            names[n++] = ab_strdup(de->d_name);
        }
    closedir(d);
    for (size_t i = 0; i < n; i++) {
        char sub[768], full[1536];
        snprintf(sub, sizeof sub, "%s%s%s", dir_rel, *dir_rel ? "/" : "", names[i]);
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        struct stat sb;
        if (stat(full, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            walk(sub, files);
        } else if (strlen(names[i]) > 4 &&
                   strcmp(names[i] + strlen(names[i]) - 4, ".eml") == 0) {
            (*files)++;
            struct expect *x = find_expect(sub);
            if (!x)
                t_fail(__FILE__, __LINE__, "%s has no line in an EXPECT file", sub);
            else
                check_one(x);
        }
        ab_free(names[i]);
    }
    ab_free(names);
}

TEST(corpus_every_message_classified_right)
{
    int files = 0;
    walk("", &files);
    for (size_t i = 0; i < exp_n; i++)
        if (!exp_v[i].seen)
            t_fail(__FILE__, __LINE__, "EXPECT names %s, which is not there", exp_v[i].file);
    int right = 0, total = 0;
    for (size_t i = 0; i < ntallies; i++) {
        printf("# corpus %-10s %3d messages, %d right\n", tallies[i].klass,
               tallies[i].right + tallies[i].wrong, tallies[i].right);
        right += tallies[i].right;
        total += tallies[i].right + tallies[i].wrong;
    }
    printf("# corpus total      %3d messages, %d right\n", total, right);
    CHECK(files > 0);
    CHECK_INT(right, total);
    ab_free(exp_v);
    exp_v = NULL;
    exp_n = 0;
}
