/*
 * cli_selfwatch.c - the daemon's own liveness, made visible from outside:
 * a GET of <watchdog ping-url=> on every tick (libcurl, short timeout,
 * failures logged only).  The daily message to admin= is the engine's
 * (engine/eng_selfwatch.c); this file hands it the tick and the host name,
 * which only the daemon knows.
 */
#include "cli/cli_selfwatch.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/ab_dl_curl.h"
#include "common/ab_log.h"
#include "common/ab_mem.h"

struct cli_selfwatch {
    CURL *curl;
    int ping_failing;          /* last ping failed: log only changes */
    int held_back;             /* not pinging: the state is unreachable */
    int curl_ready;            /* curl_global_init done (at the first ping) */
    char url[1024];            /* the URL the handle is set up for */
    eng_selfwatch *daily;      /* the daily message's state */
};

struct cli_selfwatch *cli_selfwatch_new(ab_time started)
{
    struct cli_selfwatch *w = ab_calloc(1, sizeof *w);
    if (!w)
        return NULL;
    if (!(w->daily = eng_selfwatch_new(started))) {
        ab_free(w);
        return NULL;
    }
    return w;
}

void cli_selfwatch_free(struct cli_selfwatch *w)
{
    if (!w)
        return;
    if (w->curl)
        curl_easy_cleanup(w->curl);
    eng_selfwatch_free(w->daily);
    ab_free(w);
}

static size_t discard(char *p, size_t sz, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return sz * n;
}

static void ping(struct cli_selfwatch *w, const struct cfg_watchdog *wd)
{
    if (!w->curl || strcmp(w->url, wd->ping_url) != 0) {
        /* libcurl's global init is OpenSSL's too (about 2 MB resident):
         * only a daemon with a ping-url= pays for it, at its first ping. */
        if (!w->curl_ready)
            w->curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
        if (w->curl)
            curl_easy_cleanup(w->curl);
        w->curl = curl_easy_init();
        if (!w->curl)
            return;
        snprintf(w->url, sizeof w->url, "%s", wd->ping_url);
        curl_easy_setopt(w->curl, CURLOPT_URL, w->url);
        curl_easy_setopt(w->curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(w->curl, CURLOPT_FAILONERROR, 1L);
        curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(w->curl, CURLOPT_USERAGENT, "ackbeat/" AB_VERSION);
    }
    /* A ping must never hold the loop up for long: the watchdog and
     * the checks wait behind it. */
    curl_easy_setopt(w->curl, CURLOPT_TIMEOUT, (long)wd->ping_timeout);
    curl_easy_setopt(w->curl, CURLOPT_CONNECTTIMEOUT, (long)wd->ping_timeout);
    CURLcode rc = curl_easy_perform(w->curl);
    if (rc != CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &code);
        if (!w->ping_failing && rc == CURLE_HTTP_RETURNED_ERROR)
            ab_log(AB_LOG_WARN, "watchdog: ping %s failed: HTTP %ld", w->url, code);
        else if (!w->ping_failing)
            ab_log(AB_LOG_WARN, "watchdog: ping %s failed: %s", w->url,
                   curl_easy_strerror(rc));
        else
            ab_log(AB_LOG_DEBUG, "watchdog: ping still failing: %s",
                   curl_easy_strerror(rc));
        w->ping_failing = 1;
        return;
    }
    if (w->ping_failing)
        ab_log(AB_LOG_INFO, "watchdog: ping %s works again", w->url);
    else
        ab_log(AB_LOG_DEBUG, "watchdog: pinged %s", w->url);
    w->ping_failing = 0;
}

void cli_selfwatch_tick(struct cli_selfwatch *w, const cfg *c, eng *e, ab_time now)
{
    const struct cfg_watchdog *wd = &cfg_global(c)->watchdog;
    if (!w || !wd->enabled)
        return;
    /* A node that cannot reach its state does no work: the dead-man's
     * switch elsewhere should notice, so no ping until it is back. */
    if (wd->ping_url && eng_state_down_since(e) != AB_TIME_NONE) {
        if (!w->held_back)
            ab_log(AB_LOG_WARN,
                   "watchdog: not pinging %s while the state database "
                   "is unreachable",
                   wd->ping_url);
        w->held_back = 1;
    } else if (wd->ping_url) {
        w->held_back = 0;
        ping(w, wd);
    }
    if (wd->admin.n && wd->daily) {
        char host[128] = "";
        gethostname(host, sizeof host - 1);
        eng_selfwatch_daily(w->daily, e, host, now);
    }
}
