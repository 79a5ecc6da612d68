/*
 * web_live.c - the server's live read model (engine/eng_live*.c): what the
 * status page, the check list of the API, /metrics, the badges and every
 * page's header read, kept in memory by the engine instead of asked of
 * the store for every request.
 *
 * The server tells the model what a request is about to write before the
 * handler runs (a report or a pause: its check; a dismissal or a
 * silence: the parts every check shares; a ping names its check itself,
 * where it is written), so that the answer the handler builds after its
 * write, and every request after it, shows the write: a ping and then a
 * GET shows the ping.  Writes from elsewhere
 * (the daemon's tick on its own connection, the CLI, another node) are
 * seen through the store's change marker, and web_state_changed() lets
 * the daemon say so at once after its tick.
 */
#include "web/web_int.h"

#include <string.h>
#include <time.h>

/* Not the wall clock: the pace of outside refreshes only. */
static int64_t mono_ms(void *ud)
{
    (void)ud;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum ab_err web_live_open(web *w, ab_errmsg *em)
{
    w->live = eng_live_new(w->e, mono_ms, NULL);
    w->cache = web_cache_new();
    if (!w->live || !w->cache)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    return AB_OK;
}

void web_live_close(web *w)
{
    eng_live_free(w->live);
    w->live = NULL;
    web_cache_free(w->cache);
    w->cache = NULL;
}

const struct eng_live_view *web_live(web *w, ab_time now)
{
    return eng_live_get(w->live, now);
}

void web_state_changed(web *w)
{
    if (w)
        eng_live_poke(w->live);
}

static int is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

void web_live_before(web *w, const struct web_request *rq, char **seg, size_t n)
{
    const char *m = rq->method ? rq->method : "";
    int read = is(m, "GET") || is(m, "HEAD");
    if (n >= 2 && is(seg[0], "ping"))
        return; /* the ping names its check when it writes (web_ingest.c) */
    if (read)
        return;
    if (n == 2 && is(seg[0], "report")) {
        eng_live_touch(w->live, seg[1]);
        return;
    }
    /* POST /checks/NAME/pause|resume and /api/checks/NAME/pause|resume. */
    size_t at = n >= 1 && is(seg[0], "api") ? 1 : 0;
    if (n == at + 3 && is(seg[at], "checks") &&
        (is(seg[at + 2], "pause") || is(seg[at + 2], "resume"))) {
        eng_live_touch(w->live, seg[at + 1]);
        return;
    }
    /* A dismissal, a silence (or a refused or unknown action): what every
     * check shares (the open alerts, the silences, the outbox).  A silence
     * is matched against the checks at each request's now, so no check
     * needs reading again for it. */
    eng_live_touch_shared(w->live);
}
