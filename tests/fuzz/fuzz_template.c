// fuzz-sources: templates/*.c common/*.c
// fuzz-pkgs: jansson libical
/*
 * fuzz_template.c - libFuzzer target: compile and render arbitrary
 * Mustache against a fixed JSON context, in every escaping mode.
 *
 * The input is up to three templates separated by NUL bytes: the main one,
 * and the partials "a" and "b" (any other partial name is missing), so
 * that partials, parents, blocks and recursion between them are reached.
 */
// Build and run by hand (tests/fuzz/run does the same from the lines above):
//   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c17 -I. -D_GNU_SOURCE \
//       $(pkg-config --cflags jansson) tests/fuzz/fuzz_template.c \
//       templates/*.c common/*.c $(pkg-config --libs jansson) -o build/fuzz_template
//   build/fuzz_template -max_total_time=30 tests/fuzz/corpus/template
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/ab_mem.h"
#include "templates/tpl.h"

static json_t *ctx;

struct parts {
    tpl *a, *b;
};

static enum ab_err load(void *ud, const char *name, const tpl **out,
                        ab_errmsg *em)
{
    const struct parts *p = ud;
    (void)em;
    if (strcmp(name, "a") == 0 && p->a)
        *out = p->a;
    else if (strcmp(name, "b") == 0 && p->b)
        *out = p->b;
    else
        return AB_ENOTFOUND;
    return AB_OK;
}

static const char context_json[] =
    "{\"s\": \"<b>&'\\\"x\\r\\ny\", \"n\": 42, \"r\": 1.5, \"z\": 0, "
    "\"t\": true, \"f\": false, \"nul\": null, \"e\": \"\", \"name\": \"a\", "
    "\"list\": [1, \"two\", {\"s\": \"inner\", \"list\": []}, [3, 4]], "
    "\"o\": {\"s\": \"deep\", \"o\": {\"n\": -7, \"name\": \"b\"}}, "
    "\"items\": [{\"item\": \"x\", \"value\": 0}, {\"item\": \"y\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s[3] = {NULL, NULL, NULL};
    size_t n[3] = {0, 0, 0}, k = 0;
    const char *p = (const char *)data, *end = p + size;
    struct parts parts = {NULL, NULL};
    tpl *t = NULL;
    ab_errmsg em;

    if (!ctx)
        ctx = json_loads(context_json, 0, NULL);
    while (k < 3) {
        const char *z = memchr(p, '\0', (size_t)(end - p));
        s[k] = p;
        n[k] = z ? (size_t)(z - p) : (size_t)(end - p);
        k++;
        if (!z)
            break;
        p = z + 1;
    }
    if (s[1] && tpl_compile("a", s[1], n[1], &parts.a, &em) != AB_OK)
        parts.a = NULL;
    if (s[2] && tpl_compile("b", s[2], n[2], &parts.b, &em) != AB_OK)
        parts.b = NULL;
    if (tpl_compile("main", s[0], n[0], &t, &em) == AB_OK) {
        struct tpl_loader ld = {load, &parts};
        for (int mode = TPL_HTML; mode <= TPL_HEADER; mode++) {
            struct tpl_render_opts o = {
                .mode = (enum tpl_mode)mode,
                .flags = mode == TPL_TEXT ? 0 : TPL_MISSING_PARTIAL_EMPTY,
                .loader = &ld,
                .max_output = 1 << 20,
                .max_steps = 200000,
            };
            char *out = NULL;
            if (tpl_render_str(t, ctx, &o, &out, &em) == AB_OK) {
                /* Header mode's promise: never a line break. */
                if (mode == TPL_HEADER && strpbrk(out, "\r\n"))
                    __builtin_trap();
                ab_free(out);
            }
        }
    }
    tpl_free(t);
    tpl_free(parts.a);
    tpl_free(parts.b);
    return 0;
}
