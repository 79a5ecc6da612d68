/*
 * eng_pingrun.c - ping runs paired by a run id, as Healthchecks' ?rid=:
 * a job that may run twice at once sends /ping/TOKEN/start?rid=UUID and
 * then /ping/TOKEN?rid=UUID (or /fail?rid=, /EXIT?rid=) with the same
 * UUID, so that each run's start finds its own finish.
 *
 * What it changes: a finish says how long its own run took ("run
 * 3f2b8c1e took 4 minutes 12 seconds", in the ping's detail, so status,
 * history and the web show it with the report), and a start whose own
 * finish has not come within grace= is a run that hung: Failing ("run
 * 3f2b8c1e started at ... did not finish within 1h"), even when another
 * run started and finished meanwhile, which the newest-start-against-
 * newest-finish rule of eng_ping.c cannot see (that test is in
 * eng_pinghung.c, which eng_ping.c calls: this file calls eng_ping.c).
 * A finish pinged after that deadline is news that moves the check on.
 * Without a rid nothing here applies.
 */
#include "engine/eng_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/ab_log.h"
#include "store/store_pingruns.h"

/* Healthchecks takes a UUID in its canonical text form; so do we, in any
 * case (stored in lower case, so that one run is one id). */
int eng_rid_valid(const char *rid)
{
    if (!rid || strlen(rid) != 36)
        return 0;
    for (size_t i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? rid[i] != '-' : !isxdigit((unsigned char)rid[i]))
            return 0;
    }
    return 1;
}

/* The detail a finish is stored with: its run's duration, then the job's
 * own words.  Written into buf. */
static void finish_detail(eng *e, const char *check, const char *rid, ab_time now,
                          const char *detail, char *buf, size_t len)
{
    ab_time started = AB_TIME_NONE;
    char took[AB_HUMAN_LEN];
    if (store_ping_run_start(e->st, check, rid, &started, NULL, NULL) != AB_OK ||
        started == AB_TIME_NONE)
        snprintf(took, sizeof took, "finished (no start seen)");
    else {
        char d[AB_HUMAN_LEN];
        snprintf(took, sizeof took, "took %s",
                 ab_duration_human(now - started < 0 ? 0 : now - started, d, sizeof d));
    }
    snprintf(buf, len, "run %.8s %s%s%s", rid, took, detail && *detail ? ": " : "",
             detail ? detail : "");
}

enum ab_err eng_ping_rid(eng *e, const char *check, enum store_ping_kind kind, int exit_code,
                         const char *via, const char *detail, const char *rid, ab_time now,
                         ab_errmsg *em)
{
    if (!rid)
        return eng_ping(e, check, kind, exit_code, via, detail, now, em);
    if (!eng_rid_valid(rid))
        return ab_fail(em, AB_EINVAL, "rid=\"%.40s\" is not a run id: give a UUID such as "
                                      "3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b, the same one "
                                      "for a run's start and its finish", rid);
    const struct cfg_check *k;
    enum ab_err err = eng_ping_target(e, check, kind, exit_code, &k, em);
    if (err)
        return err;
    char id[37], text[600];
    for (size_t i = 0; i < sizeof id; i++)
        id[i] = (char)tolower((unsigned char)rid[i]);
    if (kind != STORE_PING_START) {
        finish_detail(e, k->name, id, now, detail, text, sizeof text);
        detail = text;
    }
    err = store_ping_add_rid(e->st, k->name, now, kind, exit_code, via, detail, id, em);
    if (err)
        return err;
    ab_log(AB_LOG_INFO, "ping %s: %s of run %s via %s", k->name, store_ping_kind_name(kind),
           id, via ? via : "http");
    return eng_ping_judge(e, k, now, NULL, NULL, em);
}

enum ab_err eng_ping_rid_atomic(eng *e, const char *check, enum store_ping_kind kind,
                                int exit_code, const char *via, const char *detail,
                                const char *rid, ab_time now, ab_errmsg *em)
{
    enum ab_err err = store_begin(e->st, em);
    if (err)
        return err;
    err = eng_ping_rid(e, check, kind, exit_code, via, detail, rid, now, em);
    if (err) {
        store_rollback(e->st);
        return err;
    }
    return store_commit(e->st, em);
}
