/*
 * cfg_schema.c - validating the document against the RelaxNG schema that is
 * compiled into the binary (config/ackbeat.rng).
 *
 * libxml2's RelaxNG messages are terse ("Element checks has extra
 * content: frshness"), so the builder's own checks run too and speak
 * first: a schema message is kept only for a line the builder said
 * nothing about.
 */
#include "config/cfg_int.h"

#include <libxml/relaxng.h>
#include <stdio.h>
#include <string.h>

extern const unsigned char cfg_schema_rng[];
extern const unsigned long cfg_schema_rng_len;

struct schema_ctx {
    struct cfg_builder *b;
    int count;
};

static void on_error(void *ud, const xmlError *err)
{
    struct schema_ctx *sc = ud;
    if (!err || !err->message)
        return;
    int line = err->line;
    /* The builder's message for the same line says it better; and a
     * schema complaint with no line adds nothing to the builder's. */
    if (cfg_line_has_error(sc->b, line) || (line <= 0 && sc->b->ndiags))
        return;
    char msg[700];
    snprintf(msg, sizeof msg, "%s", err->message);
    size_t len = strlen(msg);
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
        msg[--len] = '\0';
    cfg_errl(sc->b, line, "%s", msg);
    sc->count++;
}

/* libxml2 2.9 declares the handler with a non-const error. */
static void on_error_compat(void *ud, xmlErrorPtr err)
{
    on_error(ud, err);
}

void cfg_validate_schema(struct cfg_builder *b, xmlDoc *doc)
{
    xmlRelaxNGParserCtxtPtr pc = xmlRelaxNGNewMemParserCtxt(
        (const char *)cfg_schema_rng, (int)cfg_schema_rng_len);
    xmlRelaxNGPtr schema = pc ? xmlRelaxNGParse(pc) : NULL;
    xmlRelaxNGValidCtxtPtr vc = schema ? xmlRelaxNGNewValidCtxt(schema) : NULL;
    if (!vc) {
        /* A broken built-in schema is our bug, not the user's. */
        cfg_errl(b, 0, "internal error: the built-in schema did not load");
        goto out;
    }
    struct schema_ctx sc = {b, 0};
    xmlRelaxNGSetValidStructuredErrors(vc, on_error_compat, &sc);
    if (xmlRelaxNGValidateDoc(vc, doc) != 0 && sc.count == 0 && b->ndiags == 0)
        cfg_errl(b, 0, "the file does not match the ackbeat schema");
out:
    xmlRelaxNGFreeValidCtxt(vc);
    xmlRelaxNGFree(schema);
    xmlRelaxNGFreeParserCtxt(pc);
}
