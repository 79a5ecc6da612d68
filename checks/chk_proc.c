/*
 * chk_proc.c - child processes for command checks, plugins and remedies.
 *
 * The child leads a process group of its own, so that a timeout can stop
 * everything it started (a shell pipeline, a plugin's helper): the group
 * gets SIGTERM and, after a short grace, SIGKILL.  stdin is /dev/null;
 * stdout and stderr share one pipe, read up to a cap (the rest is drained
 * and dropped, so a chatty program never blocks on a full pipe).  An exec
 * failure travels back on a close-on-exec pipe, so "no such file" is
 * reported as such and not as an exit status 127 that a program could
 * also return.
 *
 * Between fork and exec the child calls only async-signal-safe functions;
 * argv is prepared by the caller.  Durations use CLOCK_MONOTONIC.
 */
#include "checks/chk_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/ab_mem.h"

#define CHK_KILL_GRACE_MS 2000

int64_t chk_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* In the child: default signal dispositions and an empty mask, since the
 * daemon's handlers and blocked signals must not leak into programs. */
static void child_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static void child_close_from(int lo, int keep)
{
    if (keep >= lo) {
        if (keep > lo)
            close_range((unsigned)lo, (unsigned)keep - 1, 0);
        close_range((unsigned)keep + 1, ~0U, 0);
    } else {
        close_range((unsigned)lo, ~0U, 0);
    }
}

/*
 * A plugin may call exit().  That would run the atexit handlers and flush
 * the stdio buffers it inherited from ackbeat (removing files, writing
 * log lines twice).  An on_exit handler registered in the child runs
 * first and leaves at once, with the status exit() was given.
 */
static void child_leave(int status, void *arg)
{
    (void)arg;
    _exit(status);
}

static void child_main(const struct chk_proc_spec *s, int devnull, int out,
                       int errw)
{
    setpgid(0, 0);
    child_signals();
    dup2(devnull, 0);
    if (s->argv) {
        dup2(out, 1);
        dup2(out, 2);
        /* Everything the daemon has open stays out of the program. */
        close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
        if (s->envp)
            execvpe(s->argv[0], (char *const *)s->argv, (char *const *)s->envp);
        else
            execvp(s->argv[0], (char *const *)s->argv);
        int er = errno;
        ssize_t w = write(errw, &er, sizeof er);
        (void)w;
        _exit(127);
    }
    dup2(devnull, 1);
    dup2(devnull, 2);
    if (out != 3) {
        dup2(out, 3);
        out = 3;
    }
    child_close_from(3, out);
    on_exit(child_leave, NULL);
    s->child_fn(s->child_arg, out);
    _exit(0);
}

/* Wait for pid until deadline (ms, monotonic).  1 when reaped. */
static int wait_until(pid_t pid, int *status, int64_t deadline)
{
    int nap = 1;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 1;
        if (r < 0 && errno != EINTR) {
            /* ECHILD: someone else reaped it (SIGCHLD ignored). */
            *status = -1;
            return 1;
        }
        if (chk_mono_ms() >= deadline)
            return 0;
        sleep_ms(nap);
        if (nap < 20)
            nap *= 2;
    }
}

static void kill_group(pid_t pid, int *status)
{
    kill(-pid, SIGTERM);
    if (!wait_until(pid, status, chk_mono_ms() + CHK_KILL_GRACE_MS)) {
        kill(-pid, SIGKILL);
        while (waitpid(pid, status, 0) < 0 && errno == EINTR)
            ;
    }
    /* The leader may have gone on TERM while its children ignore it. */
    kill(-pid, SIGKILL);
}

static void keep_output(ab_buf *b, const char *p, size_t n, int *truncated)
{
    size_t room = b->max > b->len ? b->max - b->len : 0;
    if (n > room) {
        n = room;
        *truncated = 1;
    }
    if (n && ab_buf_append(b, p, n) != AB_OK)
        *truncated = 1;
}

/* With argv, the child writes exec's errno to errp when exec fails: then
 * reap it and say it did not start (returns 1).  errp[1] is closed here. */
static int exec_failed(int errp[2], pid_t pid, struct chk_proc_res *r)
{
    close(errp[1]);
    errp[1] = -1;
    int er, status;
    ssize_t n;
    while ((n = read(errp[0], &er, sizeof er)) < 0 && errno == EINTR)
        ;
    if (n != (ssize_t)sizeof er)
        return 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    r->end = CHK_PROC_NOSTART;
    r->code = er;
    return 1;
}

/*
 * Read the child's output from fd into out until EOF or the deadline;
 * once the child is gone, take only what is there, for a moment at most
 * (a grandchild may hold the pipe open for ever, or keep writing: closing
 * our end gives it SIGPIPE).  Returns 1 when the deadline passed; *reaped
 * and *status say whether the child was waited for (status -1: lost).
 */
static int collect(int fd, pid_t pid, int64_t deadline, ab_buf *out, int *truncated,
                   int *status, int *reaped)
{
    int64_t drain_until = 0;
    for (;;) {
        int64_t now = chk_mono_ms();
        if (*reaped && now >= drain_until)
            return 0;
        if (now >= deadline)
            return 1;
        int wait = (int)(deadline - now);
        if (*reaped)
            wait = 0;
        else if (wait > 100)
            wait = 100;
        struct pollfd pfd = {fd, POLLIN, 0};
        int pr = poll(&pfd, 1, wait);
        if (pr < 0 && errno != EINTR)
            return 0;
        if (pr > 0) {
            char tmp[4096];
            ssize_t n = read(fd, tmp, sizeof tmp);
            if (n > 0)
                keep_output(out, tmp, (size_t)n, truncated);
            else if (n == 0 || (errno != EINTR && errno != EAGAIN))
                return 0; /* EOF */
        } else if (*reaped) {
            return 0;
        }
        if (!*reaped) {
            pid_t w = waitpid(pid, status, WNOHANG);
            if (w == pid || (w < 0 && errno == ECHILD)) {
                if (w < 0)
                    *status = -1;
                *reaped = 1;
                drain_until = chk_mono_ms() + 200;
            }
        }
    }
}

/* After the output is read: wait for the child (killing its group when
 * the deadline passed) and record how it ended in r. */
static void settle(pid_t pid, int status, int reaped, int timed_out, int64_t deadline,
                   struct chk_proc_res *r)
{
    if (!timed_out && !reaped) {
        /* EOF: the child closed its output; it should be ending now. */
        if (wait_until(pid, &status, deadline))
            reaped = 1;
        else
            timed_out = 1;
    }
    if (timed_out && reaped) {
        /* The program ended; what kept the pipe busy past the deadline
         * is something it left behind in its group. */
        kill(-pid, SIGKILL);
        timed_out = 0;
    }
    if (timed_out) {
        kill_group(pid, &status);
        r->end = CHK_PROC_TIMEOUT;
    } else if (status == -1) {
        r->end = CHK_PROC_EXITED;
        r->code = -1;
    } else if (WIFSIGNALED(status)) {
        r->end = CHK_PROC_SIGNALED;
        r->code = WTERMSIG(status);
    } else {
        r->end = CHK_PROC_EXITED;
        r->code = WEXITSTATUS(status);
    }
}

enum ab_err chk_proc_run(const struct chk_proc_spec *s, struct chk_proc_res *r,
                         ab_errmsg *em)
{
    int outp[2] = {-1, -1}, errp[2] = {-1, -1}, devnull = -1;
    ab_buf out;
    enum ab_err e = AB_OK;
    int status = 0, reaped = 0;
    pid_t pid = -1;
    memset(r, 0, sizeof *r);
    ab_buf_init(&out, s->out_cap ? s->out_cap : CHK_OUTPUT_CAP);
    int64_t start = chk_mono_ms();
    int64_t deadline = start + (int64_t)(s->timeout_s > 0 ? s->timeout_s : CHK_DEFAULT_PROC_TIMEOUT) * 1000;

    if (pipe2(outp, O_CLOEXEC) != 0 || (s->argv && pipe2(errp, O_CLOEXEC) != 0) ||
        (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
        r->end = CHK_PROC_NOSTART;
        r->code = errno;
        goto out;
    }
    pid = fork();
    if (pid < 0) {
        r->end = CHK_PROC_NOSTART;
        r->code = errno;
        goto out;
    }
    if (pid == 0)
        child_main(s, devnull, outp[1], errp[1]);
    /* Both sides set the group, so that a kill right after fork finds it. */
    setpgid(pid, pid);
    close(outp[1]);
    outp[1] = -1;
    if (s->argv && exec_failed(errp, pid, r))
        goto out;
    int timed_out = collect(outp[0], pid, deadline, &out, &r->truncated, &status, &reaped);
    settle(pid, status, reaped, timed_out, deadline, r);
out:
    r->elapsed_ms = chk_mono_ms() - start;
    for (int i = 0; i < 2; i++) {
        if (outp[i] >= 0)
            close(outp[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    if (devnull >= 0)
        close(devnull);
    r->out = ab_buf_steal(&out);
    if (!r->out)
        e = ab_fail(em, AB_ENOMEM, "out of memory");
    r->outlen = r->out ? strlen(r->out) : 0;
    ab_buf_free(&out);
    return e;
}

char *chk_first_line(const char *text, char *buf, size_t len)
{
    const char *p = text ? text : "";
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    size_t n = strcspn(p, "\r\n");
    if (n >= len)
        n = len - 1;
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return buf;
}

void chk_proc_res_free(struct chk_proc_res *r)
{
    ab_free(r->out);
    r->out = NULL;
}

char *chk_proc_describe(const struct chk_proc_res *r, int timeout_s, char *buf,
                        size_t len)
{
    switch (r->end) {
    case CHK_PROC_EXITED:
        if (r->code < 0)
            snprintf(buf, len, "exit status unknown");
        else
            snprintf(buf, len, "exit %d", r->code);
        break;
    case CHK_PROC_SIGNALED: {
        const char *abbr = sigabbrev_np(r->code);
        snprintf(buf, len, "killed by signal %d (SIG%s)", r->code, abbr ? abbr : "?");
        break;
    }
    case CHK_PROC_TIMEOUT:
        snprintf(buf, len, "timed out after %ds", timeout_s);
        break;
    case CHK_PROC_NOSTART:
        snprintf(buf, len, "could not start: %s", strerror(r->code));
        break;
    }
    return buf;
}
