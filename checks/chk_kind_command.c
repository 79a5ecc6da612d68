/*
 * chk_kind_command.c - an external program speaking the Nagios plugin protocol
 * (monitoring-plugins' check_disk, check_file_age, check_procs, or your
 * own script).
 *
 * The program runs with fork/exec, without a shell unless the config asks
 * for one (shell="yes": /bin/sh -c LINE).  Exit 0 is Healthy, 1 Degraded,
 * 2 Failing; 3 (UNKNOWN), any other code, a signal or a timeout is
 * Offline: the state could not be determined.
 *
 * Results: the main item ("") carries the exit status, the first line of
 * output as its message, the raw perfdata, and the first perfdata value.
 * Then each perfdata label becomes an item of its own with its value.
 * The exit code stays authoritative: an item's status is the exit status,
 * except that an item whose own warn/crit thresholds it is within is
 * marked no worse than those say, so that with three disks and one full
 * the other two are not reported Failing.  When the exit status is
 * Offline, every item is Offline.
 */
#include "checks/chk_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ab_mem.h"

static enum ab_status exit_status(const struct chk_proc_res *r)
{
    if (r->end != CHK_PROC_EXITED)
        return AB_OFFLINE;
    switch (r->code) {
    case 0: return AB_HEALTHY;
    case 1: return AB_DEGRADED;
    case 2: return AB_FAILING;
    default: return AB_OFFLINE;
    }
}

static enum ab_status item_status(const struct chk_perf *it, enum ab_status ex)
{
    if (ex == AB_OFFLINE || !it->has_value || (!it->warn && !it->crit))
        return ex;
    enum ab_status own = AB_HEALTHY;
    if (chk_range_alert(it->crit, it->value) == 1)
        own = AB_FAILING;
    else if (chk_range_alert(it->warn, it->value) == 1)
        own = AB_DEGRADED;
    return own < ex ? own : ex;
}

static enum ab_err cm_need(const struct cfg_check *c, const char *const **argv,
                           const char **shargv, ab_errmsg *em)
{
    if (c->shell && *c->shell) {
        shargv[0] = "/bin/sh";
        shargv[1] = "-c";
        shargv[2] = c->shell;
        shargv[3] = NULL;
        *argv = shargv;
        return AB_OK;
    }
    if (!c->argv || !c->argv[0] || !*c->argv[0])
        return ab_fail(em, AB_EINVAL, "a command check needs a program");
    *argv = c->argv;
    return AB_OK;
}

static int timeout_of(const struct cfg_check *c)
{
    return c->timeout > 0 ? (int)c->timeout : CHK_DEFAULT_PROC_TIMEOUT;
}

static enum ab_err cm_run(chk_ctx *ctx, const struct cfg_check *c, ab_time now,
                          struct chk_res *out, ab_errmsg *em)
{
    const char *const *argv = NULL;
    const char *shargv[4];
    struct chk_proc_spec spec = {0};
    struct chk_proc_res r;
    struct chk_perf *perf = NULL;
    size_t nperf = 0;
    char *msg = NULL, *ptext = NULL, how[128];
    (void)ctx;
    (void)now;
    enum ab_err e = cm_need(c, &argv, shargv, em);
    if (e)
        return e;
    spec.argv = argv;
    spec.timeout_s = timeout_of(c);
    spec.out_cap = CHK_OUTPUT_CAP;
    if ((e = chk_proc_run(&spec, &r, em)))
        return e;
    chk_proc_describe(&r, spec.timeout_s, how, sizeof how);
    if (r.end == CHK_PROC_NOSTART) {
        e = chk_res_add(out, "", AB_OFFLINE, 0, 0, NULL, "cannot run %s: %s",
                        argv[0], strerror(r.code));
        goto out;
    }
    if ((e = chk_nagios_split(r.out, &msg, &ptext)) ||
        (e = chk_perf_parse(ptext, &perf, &nperf)))
        goto out;
    enum ab_status st = exit_status(&r);
    int has_value = nperf > 0 && perf[0].has_value;
    double value = has_value ? perf[0].value : 0;
    const char *pd = *ptext ? ptext : NULL;
    if (r.end == CHK_PROC_EXITED && r.code <= 3)
        e = chk_res_add(out, "", st, has_value, value, pd, "%s",
                        *msg ? msg : r.code == 0 ? "(no output)" : "(no output; exit status only)");
    else
        e = chk_res_add(out, "", st, has_value, value, pd, "%s%s%s", how,
                        *msg ? ": " : "", msg);
    for (size_t i = 0; !e && i < nperf; i++)
        e = chk_res_add(out, perf[i].label, item_status(&perf[i], st), perf[i].has_value,
                        perf[i].value, perf[i].raw, "%s", perf[i].raw);
out:
    chk_perf_free(perf, nperf);
    ab_free(msg);
    ab_free(ptext);
    chk_proc_res_free(&r);
    return e;
}

/* Is prog runnable as execvp would find it?  0, or an errno. */
static int findable(const char *prog)
{
    if (strchr(prog, '/'))
        return access(prog, X_OK) == 0 ? 0 : errno;
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        char full[4096];
        snprintf(full, sizeof full, "%.*s/%s", (int)(n ? n : 1), n ? path : ".", prog);
        if (access(full, X_OK) == 0)
            return 0;
        path += n;
        if (*path == ':')
            path++;
    }
    return ENOENT;
}

static enum ab_err cm_validate(chk_ctx *ctx, const struct cfg_check *c, ab_errmsg *em)
{
    const char *const *argv = NULL;
    const char *shargv[4];
    (void)ctx;
    enum ab_err e = cm_need(c, &argv, shargv, em);
    if (e)
        return e;
    int er = findable(argv[0]);
    if (er)
        return ab_fail(em, er == ENOENT ? AB_ENOTFOUND : AB_EINVAL,
                       "program %s: %s", argv[0], strerror(er));
    return AB_OK;
}

const struct chk_kind chk_kind_command = {
    .kind = CFG_COMMAND,
    .run = cm_run,
    .validate = cm_validate,
};
