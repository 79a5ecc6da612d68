/*
 * mail_sendmail.c - the sendmail: transport: hand the message to the local
 * MTA through sendmail(8) on a pipe, the Unix way.
 *
 *   sendmail -t -i -f SENDER            the usual case: recipients read
 *                                       from the To: header (ackbeat never
 *                                       writes Bcc, so nothing is hidden
 *                                       that -t would have to strip)
 *   sendmail -i -f SENDER -- RCPT...    when only some recipients are
 *                                       left (the others were accepted
 *                                       on an earlier attempt): -t would
 *                                       send to all of them again, and
 *                                       -t plus addresses means "add" to
 *                                       Postfix but "remove" to Sendmail
 *
 * -i: a line with a single dot is not the end of the message.  The
 * program is started with posix_spawn (no shell, so nothing in an
 * address is interpreted), gets the message on stdin with LF line ends,
 * and its exit status decides (sysexits.h): 0 accepted, 75 EX_TEMPFAIL
 * and the OS/IO errors 71 and 74 temporary, anything else permanent.
 * A sendmail that cannot be started (or exits 126/127, "cannot
 * execute"), is killed, or runs past the timeout is a temporary failure
 * of the transport.
 */
#include "mailer/mail_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/ab_mem.h"
#include "config/cfg.h"

extern char **environ;

#define DEFAULT_SENDMAIL "/usr/sbin/sendmail"
#define DEFAULT_TIMEOUT 60
#define OUTPUT_KEEP 512

struct sendmail {
    char *path;
    long timeout_ms;
};

static long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum ab_err sm_open(const struct cfg_mail *mc, const char *url,
                           ab_time now, void **state, ab_errmsg *em)
{
    (void)now;
    const char *path = url + strlen("sendmail:");
    if (!*path)
        path = DEFAULT_SENDMAIL;
    if (path[0] != '/')
        return ab_fail(em, AB_ECONFIG,
                       "mail transport sendmail:%s: the program must be an "
                       "absolute path",
                       path);
    struct sendmail *s = ab_calloc(1, sizeof *s);
    if (!s || !(s->path = ab_strdup(path))) {
        ab_free(s);
        return ab_fail(em, AB_ENOMEM, "out of memory");
    }
    s->timeout_ms = 1000L * (mc->timeout > 0 ? (long)mc->timeout : DEFAULT_TIMEOUT);
    *state = s;
    return AB_OK;
}

static void sm_close(void *state)
{
    struct sendmail *s = state;
    if (!s)
        return;
    ab_free(s->path);
    ab_free(s);
}

/*
 * Write the message to the child's stdin while collecting what it says
 * on stdout/stderr, until the message is written and the output closed,
 * or the deadline.  Both at once, because a sendmail that complains at
 * length before reading its input would otherwise deadlock with us.
 * Returns 0, or -1 on timeout, or errno on a write error other than EPIPE
 * (EPIPE just means the child stopped reading; its exit status says why).
 */
static int pump(int in_fd, int out_fd, const char *data, size_t len,
                char *keep, size_t *kept, long deadline)
{
    size_t off = 0;
    int in_open = 1, out_open = 1;
    while (in_open || out_open) {
        struct pollfd p[2];
        int np = 0, iin = -1, iout = -1;
        if (in_open && off == len) {
            close(in_fd);
            in_open = 0;
            continue;
        }
        if (in_open) {
            p[np] = (struct pollfd){.fd = in_fd, .events = POLLOUT};
            iin = np++;
        }
        if (out_open) {
            p[np] = (struct pollfd){.fd = out_fd, .events = POLLIN};
            iout = np++;
        }
        long left = deadline - mono_ms();
        if (left <= 0)
            goto timeout;
        int r = poll(p, (nfds_t)np, (int)(left > 1000 ? 1000 : left));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        if (iin >= 0 && p[iin].revents) {
            ssize_t w = write(in_fd, data + off, len - off);
            if (w < 0 && errno != EAGAIN && errno != EINTR) {
                if (errno != EPIPE)
                    goto fail;
                off = len; /* the child closed its input */
            } else if (w > 0) {
                off += (size_t)w;
            }
        }
        if (iout >= 0 && p[iout].revents) {
            char buf[1024];
            ssize_t n = read(out_fd, buf, sizeof buf);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                out_open = 0;
            } else if (n > 0 && *kept + 1 < OUTPUT_KEEP) {
                size_t take = (size_t)n < OUTPUT_KEEP - 1 - *kept ? (size_t)n
                                                                   : OUTPUT_KEEP - 1 - *kept;
                memcpy(keep + *kept, buf, take);
                *kept += take;
            }
        }
    }
    return 0;
timeout:
    if (in_open)
        close(in_fd);
    return -1;
fail: {
    int err = errno;
    if (in_open)
        close(in_fd);
    return err ? err : EIO;
}
}

/* Wait for pid until deadline; kill it when the deadline passes. */
static int reap(pid_t pid, long deadline, int *status)
{
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
        if (mono_ms() >= deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR)
                ;
            return 1;
        }
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* sendmail's command line for env: -t for every recipient, else the
 * remaining ones after "--".  NULL when out of memory; free with ab_free. */
static const char **sm_argv(const struct sendmail *s, const struct mail_envelope *env)
{
    const char **argv = ab_calloc(env->nrcpts + 8, sizeof *argv);
    if (!argv)
        return NULL;
    size_t a = 0;
    argv[a++] = s->path;
    argv[a++] = "-i";
    argv[a++] = "-f";
    argv[a++] = env->sender;
    if (env->all_rcpts) {
        argv[a++] = "-t";
    } else {
        argv[a++] = "--";
        for (size_t i = 0; i < env->nrcpts; i++)
            argv[a++] = env->rcpts[i];
    }
    argv[a] = NULL;
    return argv;
}

/* What became of one run of sendmail. */
struct sm_run {
    int pr;                 /* pump(): 0, -1 timed out, else an errno */
    int killed;             /* reap(): 0, 1 killed at the deadline, -1 error */
    int status;             /* as waitpid() left it */
    char keep[OUTPUT_KEEP]; /* the start of what it said */
    size_t kept;
};

/* The child's stdin from in[0], stdout and stderr to out[1], and nothing
 * else of ours (the state database, sockets) leaking into it. */
static int sm_actions(posix_spawn_file_actions_t *fa, const int in[2], const int out[2])
{
    if (posix_spawn_file_actions_init(fa) != 0)
        return -1;
    posix_spawn_file_actions_adddup2(fa, in[0], 0);
    posix_spawn_file_actions_adddup2(fa, out[1], 1);
    posix_spawn_file_actions_adddup2(fa, out[1], 2);
    posix_spawn_file_actions_addclosefrom_np(fa, 3);
    return 0;
}

/*
 * Start sendmail with argv, write the message (LF line ends) to it and
 * wait for it, filling *run.  AB_OK when it ran (its exit status is yet
 * to be judged); AB_ETEMPFAIL when the transport failed (no pipe, cannot
 * start); AB_ENOMEM; m says why.
 */
static enum ab_err sm_run_child(const struct sendmail *s, const char **argv,
                                const ab_buf *lf, struct sm_run *run, ab_errmsg *m)
{
    enum ab_err e = AB_OK;
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    int fa_ok = 0;
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
        e = ab_fail(m, AB_ETEMPFAIL, "sendmail: pipe: %s", strerror(errno));
        goto out;
    }
    if (sm_actions(&fa, in, out) != 0) {
        e = ab_fail(m, AB_ENOMEM, "out of memory");
        goto out;
    }
    fa_ok = 1;

    /* A child that exits without reading would raise SIGPIPE on our
     * write and kill the daemon; block it in this thread while we write
     * and swallow one that arrived, leaving the process's disposition
     * alone. */
    sigset_t pipe_set, old_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);

    pid_t pid;
    int rc = posix_spawn(&pid, s->path, &fa, NULL, (char *const *)argv, environ);
    if (rc != 0) {
        pthread_sigmask(SIG_SETMASK, &old_set, NULL);
        e = ab_fail(m, AB_ETEMPFAIL, "sendmail: cannot run %s: %s", s->path,
                    strerror(rc));
        goto out;
    }
    close(in[0]);
    in[0] = -1;
    close(out[1]);
    out[1] = -1;
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    long deadline = mono_ms() + s->timeout_ms;
    run->pr = pump(in[1], out[0], lf->data ? lf->data : "", lf->len, run->keep,
                   &run->kept, deadline);
    in[1] = -1; /* pump closed it */
    run->killed = reap(pid, run->pr < 0 ? 0 : deadline, &run->status);

    struct timespec zero = {0, 0};
    if (!sigismember(&old_set, SIGPIPE)) {
        sigset_t pending;
        sigpending(&pending);
        if (sigismember(&pending, SIGPIPE))
            sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_set, NULL);
out:
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (out[i] >= 0)
            close(out[i]);
    }
    return e;
}

/* Judge a finished run: the recipients' results from sendmail's exit
 * status (AB_OK), or AB_ETEMPFAIL with m saying why the transport
 * failed (timeout, killed, cannot execute). */
static enum ab_err sm_verdict(const struct sendmail *s, const struct mail_envelope *env,
                              const struct sm_run *run, struct mail_rcpt_result *res,
                              ab_errmsg *m)
{
    char said[OUTPUT_KEEP];
    mail_oneline(said, sizeof said, run->keep, run->kept);
    if (run->pr < 0 || run->killed == 1)
        return ab_fail(m, AB_ETEMPFAIL, "sendmail: %s did not finish within %ld s",
                       s->path, s->timeout_ms / 1000);
    if (run->pr > 0 || run->killed < 0)
        return ab_fail(m, AB_ETEMPFAIL, "sendmail: talking to %s: %s", s->path,
                       strerror(run->pr > 0 ? run->pr : errno));
    if (WIFSIGNALED(run->status))
        return ab_fail(m, AB_ETEMPFAIL, "sendmail: %s killed by signal %d%s%s", s->path,
                       WTERMSIG(run->status), said[0] ? ": " : "", said);
    int code = WEXITSTATUS(run->status);
    if (code == 126 || code == 127) {
        /* The shell convention for "could not execute": posix_spawn
         * reports exec failures itself on glibc, but not everywhere
         * (valgrind, older libcs), and then the child exits 127. */
        return ab_fail(m, AB_ETEMPFAIL, "sendmail: cannot run %s (exit %d)%s%s",
                       s->path, code, said[0] ? ": " : "", said);
    }
    if (code == 0) {
        mail_results_set(res, env->nrcpts, AB_OK, "%s", "");
    } else {
        /* sysexits.h: EX_OSERR 71, EX_IOERR 74, EX_TEMPFAIL 75. */
        enum ab_err r = (code == 75 || code == 71 || code == 74) ? AB_ETEMPFAIL
                                                                  : AB_EPERMFAIL;
        mail_results_set(res, env->nrcpts, r, "sendmail exited with %d%s%s", code,
                         said[0] ? ": " : "", said);
    }
    return AB_OK;
}

static enum ab_err sm_send(void *state, const struct mail_envelope *env,
                           struct mail_rcpt_result *res, ab_errmsg *em)
{
    struct sendmail *s = state;
    enum ab_err e = AB_OK;
    ab_errmsg local = {{0}};
    ab_errmsg *m = em ? em : &local; /* the text also goes into res */
    const char **argv = NULL;
    ab_buf lf;
    ab_buf_init(&lf, 0);

    if (mail_crlf_to_lf(&lf, env->data, env->len) != AB_OK) {
        e = ab_fail(m, AB_ENOMEM, "out of memory");
        mail_results_set(res, env->nrcpts, AB_ETEMPFAIL, "%s", "out of memory");
        goto out;
    }
    argv = sm_argv(s, env);
    if (!argv) {
        e = ab_fail(m, AB_ENOMEM, "out of memory");
        goto out;
    }
    struct sm_run run = {0};
    e = sm_run_child(s, argv, &lf, &run, m);
    if (e == AB_ENOMEM)
        goto out;
    if (!e)
        e = sm_verdict(s, env, &run, res, m);
    if (e) {
        /* The transport failed: every recipient waits for a retry. */
        mail_results_set(res, env->nrcpts, AB_ETEMPFAIL, "%s", m->text);
        e = AB_ETEMPFAIL;
    }
out:
    ab_free(argv);
    ab_buf_free(&lf);
    return e;
}

const struct mail_transport_ops mail_sendmail_ops = {
    .prefix = "sendmail:",
    .open = sm_open,
    .send = sm_send,
    .close = sm_close,
};
