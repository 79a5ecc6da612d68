/*
 * eng_pauses.c - the pauses in force, with who set them, until when and
 * why, for the pages that show them (web/web_page_silence.c); the
 * check view (eng_view_checks.c) only says whether a check is paused.
 */
#include "engine/eng_int.h"

enum ab_err eng_view_pauses(eng *e, ab_time now, struct store_pause **out, size_t *n,
                            ab_errmsg *em)
{
    return store_pause_list(e->st, now, out, n, em);
}

void eng_view_pauses_free(struct store_pause *v, size_t n)
{
    store_pauses_free(v, n);
}
