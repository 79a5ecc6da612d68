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
    /* The notice is written into the pipe before the program starts, so
     * a program that never reads it cannot block us (or SIGPIPE us). */
    if (pipe2(in, O_CLOEXEC) || pipe2(err, O_CLOEXEC | O_NONBLOCK)) {
        e = ab_fail(em, AB_ETEMPFAIL, "command %s: pipe: %s", ch->name, strerror(errno));
        goto out;
    }
    (void)fcntl(in[1], F_SETPIPE_SZ, (int)(d->len + 4096));
    (void)fcntl(in[1], F_SETFL, O_NONBLOCK);
    if (write(in[1], d->body, d->len) != (ssize_t)d->len) {
        e = ab_fail(em, AB_EPERMFAIL, "command %s: the notice is too large for a pipe",
                    ch->name);
        goto out;
    }
    close(in[1]);
    in[1] = -1;
    pid_t pid = fork();
    if (pid < 0) {
        e = ab_fail(em, AB_ETEMPFAIL, "command %s: fork: %s", ch->name, strerror(errno));
        goto out;
    }
    if (pid == 0) {
        setpgid(0, 0);
        int null = open("/dev/null", O_WRONLY);
        dup2(in[0], 0);
        if (null >= 0)
            dup2(null, 1);
        dup2(err[1], 2);
        execve(argv.v[0], argv.v, env.v);
        _exit(127);
    }
    close(err[1]);
    err[1] = -1;
    char why[256] = "";
    size_t wl = 0;
    int64_t deadline = mono_ms() + (ch->timeout > 0 ? ch->timeout : 10) * 1000;
    int status = 0, done = 0, timed_out = 0;
    while (!done) {
        char buf[256];
        ssize_t r;
        while ((r = read(err[0], buf, sizeof buf)) > 0)
            for (ssize_t i = 0; i < r && wl + 1 < sizeof why; i++)
                why[wl++] = buf[i] == '\n' ? ' ' : buf[i];
        why[wl] = '\0';
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            done = 1;
        } else if (mono_ms() >= deadline) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            timed_out = done = 1;
        } else {
            struct timespec ts = {0, 10 * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    while (wl && why[wl - 1] == ' ')
        why[--wl] = '\0';
    if (timed_out)
        e = ab_fail(em, AB_ETEMPFAIL, "command %s: timed out after %llds", ch->name,
                    (long long)(ch->timeout > 0 ? ch->timeout : 10));
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        e = AB_OK;
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        e = ab_fail(em, AB_EPERMFAIL, "command %s: %s could not be run", ch->name, argv.v[0]);
    else if (WIFEXITED(status))
        e = ab_fail(em, AB_ETEMPFAIL, "command %s: exit %d%s%s", ch->name,
                    WEXITSTATUS(status), why[0] ? ": " : "", why);
    else
        e = ab_fail(em, AB_ETEMPFAIL, "command %s: killed by signal %d", ch->name,
                    WTERMSIG(status));
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
