/*
 * chan_command.c - <command name run="/path/prog arg ...">: a local program
 * told about the notice, with no shell in between (run= is split on
 * spaces, its first word an absolute path).
 *
 * The notice's JSON (chan_payload.c) is its standard input, and the fields a
 * script wants most are in its environment: ACKBEAT_CHECK, ACKBEAT_ITEM,
 * ACKBEAT_STATUS, ACKBEAT_PRIORITY, ACKBEAT_NOTICE, ACKBEAT_MESSAGE,
 * ACKBEAT_LEVEL, ACKBEAT_ALERT_ID, ACKBEAT_ALERT_URL, ACKBEAT_TEXT,
 * ACKBEAT_TIME_UTC, ACKBEAT_DELIVERY.  Exit 0 is delivered; any other
 * exit, a signal or the timeout (the process group is killed) is retried;
 * a program that cannot be run (exit 127) fails for good.
 */
#include "channels/chan_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/ab_mem.h"
#include "store/store_deliveries.h"

extern char **environ;

static enum ab_err build_body(const struct cfg_channel *ch, const struct chan_notice *n,
                         const json_t *notice, ab_buf *out, ab_errmsg *em)
{
    (void)ch;
    (void)notice;
    return chan_notice_json(n, out, em);
}

/* A growing NULL-terminated vector of owned strings. */
struct vec {
    char **v;
    size_t n, cap;
};

static int vec_add(struct vec *x, char *s)
{
    if (!s)
        return -1;
    if (x->n + 2 > x->cap) {
        size_t nc = x->cap ? x->cap * 2 : 16;
        char **v = ab_realloc(x->v, nc * sizeof *v);
        if (!v) {
            ab_free(s);
            return -1;
        }
        x->v = v;
        x->cap = nc;
    }
    x->v[x->n++] = s;
    x->v[x->n] = NULL;
    return 0;
}

static void vec_free(struct vec *x)
{
    for (size_t i = 0; i < x->n; i++)
        ab_free(x->v[i]);
    ab_free(x->v);
}

static char *env_pair(const char *name, const char *value)
{
    size_t len = strlen(name) + strlen(value) + 2;
    char *s = ab_malloc(len);
    if (s)
        snprintf(s, len, "%s=%s", name, value);
    return s;
}

/* The environment: ours, less any ACKBEAT_ variable of our own, plus the
 * notice's.  Built before fork: the child only calls execve. */
static int build_env(struct vec *env, const json_t *o, const char *txn)
{
    for (char **p = environ; p && *p; p++)
        if (strncmp(*p, "ACKBEAT_", 8) != 0 && vec_add(env, ab_strdup(*p)))
            return -1;
    static const char *const keys[] = {"check",  "item",  "status",   "priority",
                                       "notice", "message", "level",  "alert_id",
                                       "alert_url", "text", "time_utc"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const json_t *v = json_object_get(o, keys[i]);
        char name[64], num[32];
        const char *val = NULL;
        if (json_is_string(v)) {
            val = json_string_value(v);
        } else if (json_is_integer(v)) {
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
            val = num;
        }
        if (!val)
            continue;
        size_t j = 0;
        j += (size_t)snprintf(name, sizeof name, "ACKBEAT_");
        for (const char *k = keys[i]; *k && j + 1 < sizeof name; k++)
            name[j++] = (char)(*k >= 'a' && *k <= 'z' ? *k - 32 : *k);
        name[j] = '\0';
        if (vec_add(env, env_pair(name, val)))
            return -1;
    }
    return vec_add(env, env_pair("ACKBEAT_DELIVERY", txn));
}

static int split_args(struct vec *argv, const char *run)
{
    for (const char *p = run; *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (!len)
            break;
        char *w = ab_malloc(len + 1);
        if (!w)
            return -1;
        memcpy(w, p, len);
        w[len] = '\0';
        if (vec_add(argv, w))
            return -1;
        p += len;
    }
    return argv->n ? 0 : -1;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The pipes: in carries the notice, written whole before the program
 * starts so that a program that never reads it cannot block us (or
 * SIGPIPE us); err brings back what it says on stderr. */
static enum ab_err open_pipes(const struct cfg_channel *ch, const struct store_delivery *d,
                              int in[2], int err[2], ab_errmsg *em)
{
    if (pipe2(in, O_CLOEXEC) || pipe2(err, O_CLOEXEC | O_NONBLOCK))
        return ab_fail(em, AB_ETEMPFAIL, "command %s: pipe: %s", ch->name, strerror(errno));
    (void)fcntl(in[1], F_SETPIPE_SZ, (int)(d->len + 4096));
    (void)fcntl(in[1], F_SETFL, O_NONBLOCK);
    if (write(in[1], d->body, d->len) != (ssize_t)d->len)
        return ab_fail(em, AB_EPERMFAIL, "command %s: the notice is too large for a pipe",
                       ch->name);
    close(in[1]);
    in[1] = -1;
    return AB_OK;
}

/* In the child: its own process group, the notice on stdin, stdout to
 * /dev/null, stderr to the pipe; 127 when the program cannot be run. */
static void child_exec(const struct vec *argv, const struct vec *env, int in_fd, int err_fd)
{
    setpgid(0, 0);
    int null = open("/dev/null", O_WRONLY);
    dup2(in_fd, 0);
    if (null >= 0)
        dup2(null, 1);
    dup2(err_fd, 2);
    execve(argv->v[0], argv->v, env->v);
    _exit(127);
}

/* Wait for pid until the deadline (then kill its group), keeping what it
 * says on err_fd, on one line, in why.  Returns 1 when it timed out. */
static int wait_child(pid_t pid, int err_fd, int64_t deadline, char *why, size_t whysize,
                      int *status)
{
    size_t wl = 0;
    int done = 0, timed_out = 0;
    while (!done) {
        char buf[256];
        ssize_t r;
        while ((r = read(err_fd, buf, sizeof buf)) > 0)
            for (ssize_t i = 0; i < r && wl + 1 < whysize; i++)
                why[wl++] = buf[i] == '\n' ? ' ' : buf[i];
        why[wl] = '\0';
        pid_t w = waitpid(pid, status, WNOHANG);
        if (w == pid) {
            done = 1;
        } else if (mono_ms() >= deadline) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, status, 0);
            timed_out = done = 1;
        } else {
            struct timespec ts = {0, 10 * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    while (wl && why[wl - 1] == ' ')
        why[--wl] = '\0';
    return timed_out;
}

/* Delivered (exit 0), retried, or failed for good (cannot be run). */
static enum ab_err verdict(const struct cfg_channel *ch, const char *prog, int status,
                           int timed_out, const char *why, ab_errmsg *em)
{
    if (timed_out)
        return ab_fail(em, AB_ETEMPFAIL, "command %s: timed out after %llds", ch->name,
                       (long long)(ch->timeout > 0 ? ch->timeout : 10));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return AB_OK;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return ab_fail(em, AB_EPERMFAIL, "command %s: %s could not be run", ch->name, prog);
    if (WIFEXITED(status))
        return ab_fail(em, AB_ETEMPFAIL, "command %s: exit %d%s%s", ch->name,
                       WEXITSTATUS(status), why[0] ? ": " : "", why);
    return ab_fail(em, AB_ETEMPFAIL, "command %s: killed by signal %d", ch->name,
                   WTERMSIG(status));
}

static enum ab_err send_one(const struct cfg_channel *ch, const struct store_delivery *d,
                        ab_errmsg *em)
{
    struct vec argv = {0}, env = {0};
    int in[2] = {-1, -1}, err[2] = {-1, -1};
    enum ab_err e = AB_OK;
    json_t *o = json_loadb(d->body, d->len, 0, NULL);
    if (!o) {
        e = ab_fail(em, AB_EPERMFAIL, "command %s: the stored notice is not JSON", ch->name);
        goto out;
    }
    if (split_args(&argv, ch->run) || build_env(&env, o, d->txn)) {
        e = ab_fail(em, AB_ETEMPFAIL, "command %s: out of memory", ch->name);
        goto out;
    }
    if ((e = open_pipes(ch, d, in, err, em)))
        goto out;
    pid_t pid = fork();
    if (pid < 0) {
        e = ab_fail(em, AB_ETEMPFAIL, "command %s: fork: %s", ch->name, strerror(errno));
        goto out;
    }
    if (pid == 0)
        child_exec(&argv, &env, in[0], err[1]);
    close(err[1]);
    err[1] = -1;
    char why[256] = "";
    int64_t deadline = mono_ms() + (ch->timeout > 0 ? ch->timeout : 10) * 1000;
    int status = 0;
    int timed_out = wait_child(pid, err[0], deadline, why, sizeof why, &status);
    e = verdict(ch, argv.v[0], status, timed_out, why, em);
out:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (err[i] >= 0)
            close(err[i]);
    }
    json_decref(o);
    vec_free(&argv);
    vec_free(&env);
    return e;
}

const struct chan_kind chan_kind_command = {"command", build_body, send_one};
