/*
 * bench_templates.c - how fast the default alert-opened message renders
 * (subject + text + HTML, with its layout and partials), beside two
 * baselines measured in the same run:
 *
 *   re-parse    compile every template (message, layout, partials) from
 *               memory for every render, as a renderer without compiled
 *               templates would: the ratio is what compiling once buys.
 *   snprintf    the same bytes produced by one snprintf per part with the
 *               values as %s arguments: a floor no template engine beats.
 *               Its format strings are made from the rendered output, so
 *               it writes exactly as much.
 *
 * Build and run from the repo root (make bench builds build/bench/):
 *   make build/libtemplates.a build/libcommon.a
 *   cc -O2 -std=c17 -D_GNU_SOURCE -I. bench/bench_templates.c \
 *       build/libtemplates.a build/libcommon.a -ljansson -lical \
 *       -o build/bench_templates
 *   build/bench_templates [seconds-per-variant, default 1]
 * (each variant's seconds are spent in five rounds, the variants taking
 * turns, and the best round counts: see time_all)
 *   build/bench_templates --renders N [compiled|reparse|snprintf]
 *       N messages of one variant and nothing else, for callgrind:
 *       the instructions of 1200 less those of 200, over 1000, are one
 *       message's
 *
 * Ends with BENCH lines: BENCH templates <metric> <value> <baseline> <ratio>,
 * messages per second by the wall clock (msgs_per_s) and per second of CPU
 * (msgs_per_cpu_s: steadier on a shared machine).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/ab_mem.h"
#include "templates/tpl.h"

#define MAX_SRC 64
#define MAX_ARGS 64

static const char *const parts[3] = {"subject", "txt", "html"};
static const char *root;
static double budget = 1.0;

static double clock_s(clockid_t which)
{
    struct timespec ts;
    clock_gettime(which, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "bench_templates: %s: %s\n", what, detail);
    exit(1);
}

/* ---- every default template's source, in memory ------------------------ */

static struct {
    char *name; /* file name without .mustache */
    char *text;
    size_t len;
} src[MAX_SRC];
static size_t nsrc;

static void read_sources(void)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/templates/default", root);
    DIR *d = opendir(dir);
    if (!d)
        die(dir, "cannot open");
    struct dirent *de;
    while ((de = readdir(d)) && nsrc < MAX_SRC) {
        size_t n = strlen(de->d_name);
        if (n < 10 || strcmp(de->d_name + n - 9, ".mustache") != 0)
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            die(path, "cannot open");
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        rewind(f);
        src[nsrc].text = malloc((size_t)len + 1);
        if (!src[nsrc].text || fread(src[nsrc].text, 1, (size_t)len, f) != (size_t)len)
            die(path, "cannot read");
        fclose(f);
        src[nsrc].len = (size_t)len;
        src[nsrc].name = strndup(de->d_name, n - 9);
        nsrc++;
    }
    closedir(d);
}

static int find_src(const char *name)
{
    for (size_t i = 0; i < nsrc; i++)
        if (strcmp(src[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* The naive loader: compile on every load, free after the render. */
struct naive {
    tpl *made[16];
    size_t n;
};

static enum ab_err naive_load(void *ud, const char *name, const tpl **out,
                              ab_errmsg *em)
{
    struct naive *nv = ud;
    int i = find_src(name);
    if (i < 0 || nv->n == 16)
        return AB_ENOTFOUND;
    tpl *t;
    enum ab_err e = tpl_compile(name, src[i].text, src[i].len, &t, em);
    if (e)
        return e;
    nv->made[nv->n++] = t;
    *out = t;
    return AB_OK;
}

static size_t render_naive(const json_t *data, ab_buf *out)
{
    size_t bytes = 0;
    for (int p = 0; p < 3; p++) {
        char name[64];
        struct naive nv = {{0}, 0};
        struct tpl_loader ld = {naive_load, &nv};
        struct tpl_render_opts o = {.mode = tpl_mode_for_part(parts[p]),
                                    .loader = &ld};
        ab_errmsg em;
        const tpl *t;
        snprintf(name, sizeof name, "alert-opened.%s", parts[p]);
        ab_buf_reset(out);
        if (naive_load(&nv, name, &t, &em) || tpl_render(t, data, &o, out, &em))
            die("re-parse render", em.text);
        bytes += out->len;
        for (size_t i = 0; i < nv.n; i++)
            tpl_free(nv.made[i]);
    }
    return bytes;
}

static size_t render_compiled(tpl_set *s, const json_t *data, ab_buf *out)
{
    size_t bytes = 0;
    for (int p = 0; p < 3; p++) {
        ab_errmsg em;
        ab_buf_reset(out);
        if (tpl_set_render(s, "alert-opened", parts[p], "orders-fresh",
                           "freshness", data, out, &em))
            die("compiled render", em.text);
        bytes += out->len;
    }
    return bytes;
}

/* ---- the snprintf floor ------------------------------------------------ */

static const char *leaves[256];
static size_t nleaves;
static char numbufs[64][32];
static size_t nnum;

/* Every string (and number, as text) in the data that is long enough not
 * to match by accident. */
static void collect(const json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, x)
            collect(x);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x)
            collect(x);
    } else if (json_is_string(v) && json_string_length(v) >= 3 && nleaves < 256) {
        leaves[nleaves++] = json_string_value(v);
    } else if (json_is_integer(v) && nnum < 64 && nleaves < 256) {
        snprintf(numbufs[nnum], sizeof numbufs[nnum], "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        if (strlen(numbufs[nnum]) >= 3)
            leaves[nleaves++] = numbufs[nnum++];
    }
}

struct floor_part {
    char *fmt;
    const char *args[MAX_ARGS];
    size_t nargs;
};

/* Turn rendered text into a format string plus its %s arguments. */
static void make_floor(const char *text, struct floor_part *fp)
{
    ab_buf b;
    ab_buf_init(&b, 0);
    fp->nargs = 0;
    for (const char *p = text; *p;) {
        const char *best = NULL;
        size_t blen = 0;
        for (size_t i = 0; i < nleaves && fp->nargs < MAX_ARGS; i++) {
            size_t n = strlen(leaves[i]);
            if (n > blen && strncmp(p, leaves[i], n) == 0) {
                best = leaves[i];
                blen = n;
            }
        }
        enum ab_err e;
        if (best) {
            e = ab_buf_puts(&b, "%s");
            fp->args[fp->nargs++] = best;
            p += blen;
        } else {
            e = *p == '%' ? ab_buf_puts(&b, "%%") : ab_buf_putc(&b, *p);
            p++;
        }
        if (e)
            die("floor", "out of memory");
    }
    fp->fmt = ab_buf_steal(&b);
    for (size_t i = fp->nargs; i < MAX_ARGS; i++)
        fp->args[i] = "";
}

static size_t render_floor(const struct floor_part *fp, char *buf, size_t len)
{
    size_t bytes = 0;
    for (int p = 0; p < 3; p++) {
        const char *const *a = fp[p].args;
        /* Arguments past those the format uses are ignored (C17 7.21.6.1). */
        int n = snprintf(buf, len, fp[p].fmt, a[0], a[1], a[2], a[3], a[4],
                         a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12],
                         a[13], a[14], a[15], a[16], a[17], a[18], a[19], a[20],
                         a[21], a[22], a[23], a[24], a[25], a[26], a[27], a[28],
                         a[29], a[30], a[31], a[32], a[33], a[34], a[35], a[36],
                         a[37], a[38], a[39], a[40], a[41], a[42], a[43], a[44],
                         a[45], a[46], a[47], a[48], a[49], a[50], a[51], a[52],
                         a[53], a[54], a[55], a[56], a[57], a[58], a[59], a[60],
                         a[61], a[62], a[63]);
        if (n < 0 || (size_t)n >= len)
            die("floor", "buffer too small");
        bytes += (size_t)n;
    }
    return bytes;
}

/* ---- timing ------------------------------------------------------------ */

/* What one message of every variant needs, made once. */
struct bench {
    tpl_set *set;
    json_t *data;
    ab_buf out;
    struct floor_part fp[3];
    char fbuf[1 << 16];
};

enum variant { V_COMPILED, V_REPARSE, V_SNPRINTF, NVARIANTS };
static const char *const variant_names[NVARIANTS] = {"compiled", "reparse", "snprintf"};

static size_t render_one(struct bench *b, enum variant v)
{
    switch (v) {
    case V_COMPILED: return render_compiled(b->set, b->data, &b->out);
    case V_REPARSE: return render_naive(b->data, &b->out);
    default: return render_floor(b->fp, b->fbuf, sizeof b->fbuf);
    }
}

struct result {
    double per_s;     /* the best round's rate, by the wall clock */
    double per_cpu_s; /* the best round's, per second of this process's CPU */
    size_t bytes;
};

/*
 * Each variant runs for a fifth of its budget, five times over, the
 * variants taking turns, and keeps its best round.  On a machine that
 * other work shares, a slow round is the other work's, not the code's;
 * taking turns puts every variant under the same load, so that the ratios
 * of one run compare like with like.  Each round is also timed by the
 * process's CPU clock: the rate per CPU second leaves out the time the
 * process waited for a core, and is what an idle machine would give
 * (the wall-clock rate of a loaded one can be half of it or less).
 */
#define ROUNDS 5
static void time_all(struct bench *b, struct result res[NVARIANTS])
{
    memset(res, 0, NVARIANTS * sizeof *res);
    for (int round = 0; round < ROUNDS; round++) {
        for (int v = 0; v < NVARIANTS; v++) {
            unsigned long iters = 0;
            double t0 = clock_s(CLOCK_MONOTONIC), t;
            double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), c;
            do {
                for (int k = 0; k < 50; k++)
                    res[v].bytes = render_one(b, (enum variant)v);
                iters += 50;
            } while ((t = clock_s(CLOCK_MONOTONIC) - t0) < budget / ROUNDS);
            c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
            if ((double)iters / t > res[v].per_s)
                res[v].per_s = (double)iters / t;
            if (c > 0 && (double)iters / c > res[v].per_cpu_s)
                res[v].per_cpu_s = (double)iters / c;
        }
    }
}

static void report(const struct result res[NVARIANTS])
{
    static const char *const label[NVARIANTS] = {
        "compiled once (tpl_set cache)", "baseline: re-parse every render",
        "floor: snprintf, same output"};
    const struct result *c = &res[V_COMPILED], *r = &res[V_REPARSE],
                        *f = &res[V_SNPRINTF];
    printf("bench_templates: default alert-opened, subject + txt + html, "
           "%zu bytes a message (best of %d rounds)\n",
           c->bytes, ROUNDS);
    printf("  %-34s %10s %10s %12s %8s\n", "variant", "msgs/s", "us/msg",
           "msgs/CPU-s", "bytes");
    for (int v = 0; v < NVARIANTS; v++)
        printf("  %-34s %10.0f %10.2f %12.0f %8zu\n", label[v], res[v].per_s,
               1e6 / res[v].per_s, res[v].per_cpu_s, res[v].bytes);
    printf("  compiled vs re-parse: %.2fx faster; compiled vs snprintf: "
           "%.2fx of its speed; issue 17 asks for 150000 msgs/s\n",
           c->per_s / r->per_s, c->per_s / f->per_s);
    printf("BENCH templates alert_opened_msgs_per_s_vs_reparse %.0f %.0f %.3f\n",
           c->per_s, r->per_s, c->per_s / r->per_s);
    printf("BENCH templates alert_opened_msgs_per_s_vs_snprintf %.0f %.0f %.3f\n",
           c->per_s, f->per_s, c->per_s / f->per_s);
    printf("BENCH templates alert_opened_msgs_per_cpu_s_vs_reparse %.0f %.0f %.3f\n",
           c->per_cpu_s, r->per_cpu_s, c->per_cpu_s / r->per_cpu_s);
    printf("BENCH templates alert_opened_msgs_per_cpu_s_vs_snprintf %.0f %.0f %.3f\n",
           c->per_cpu_s, f->per_cpu_s, c->per_cpu_s / f->per_cpu_s);
}

static void setup(struct bench *b)
{
    char path[1024], dir[1024];
    snprintf(path, sizeof path, "%s/templates/samples/alert.json", root);
    snprintf(dir, sizeof dir, "%s/templates/default", root);
    json_error_t je;
    if (!(b->data = json_load_file(path, 0, &je)))
        die(path, je.text);
    const char *dirs[] = {dir};
    ab_errmsg em;
    if (tpl_set_new(dirs, 1, &b->set, &em))
        die("set", em.text);
    ab_buf_init(&b->out, 0);
    /* Formats for the floor, from one real render. */
    collect(b->data);
    for (int p = 0; p < 3; p++) {
        ab_buf_reset(&b->out);
        if (tpl_set_render(b->set, "alert-opened", parts[p], NULL, NULL, b->data, &b->out,
                           &em))
            die("render", em.text);
        make_floor(ab_buf_str(&b->out), &b->fp[p]);
    }
    render_compiled(b->set, b->data, &b->out); /* warm the cache */
}

int main(int argc, char **argv)
{
    static struct bench b;
    long renders = 0;
    const char *variant = "compiled";
    root = getenv("AB_SRCDIR") ? getenv("AB_SRCDIR") : ".";
    if (argc > 2 && strcmp(argv[1], "--renders") == 0) {
        renders = strtol(argv[2], NULL, 10);
        if (argc > 3)
            variant = argv[3];
    } else if (argc > 1 && atof(argv[1]) > 0) {
        budget = atof(argv[1]);
    }
    read_sources();
    setup(&b);
    if (renders) {
        /* A fixed amount of work, for valgrind --tool=callgrind: the
         * difference between two counts is the cost of the extra renders,
         * free of start-up and of the timer. */
        int v = 0;
        while (v < NVARIANTS && strcmp(variant, variant_names[v]) != 0)
            v++;
        if (v == NVARIANTS)
            die(variant, "unknown variant (compiled, reparse, snprintf)");
        for (long i = 0; i < renders; i++)
            render_one(&b, (enum variant)v);
    } else {
        struct result res[NVARIANTS];
        time_all(&b, res);
        report(res);
    }
    for (int p = 0; p < 3; p++)
        ab_free(b.fp[p].fmt);
    for (size_t i = 0; i < nsrc; i++) {
        free(src[i].name);
        free(src[i].text);
    }
    ab_buf_free(&b.out);
    tpl_set_free(b.set);
    json_decref(b.data);
    return 0;
}
