/*
 * test_mailer_fake.h - helpers shared by the mailer's unit tests: start
 * and stop the scripted SMTP server (tests/helpers/fake_smtp.c, built
 * next to the test binaries), read files, count substrings, a cfg_mail
 * with test defaults.  Header-only so each test binary stays one file.
 */
#ifndef TEST_MAILER_FAKE_H
#define TEST_MAILER_FAKE_H

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/cfg.h"

extern char **environ;

#define T_UNUSED __attribute__((unused))

struct fake {
    pid_t pid;
    int port;
    char transcript[512];
    char save[512];
};

/* build/tests/test_mailer -> build/tests/helpers/fake_smtp */
static T_UNUSED const char *fake_binary(void)
{
    static char path[4096];
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        return "fake_smtp";
    self[n] = 0;
    snprintf(path, sizeof path, "%s/helpers/fake_smtp", dirname(self));
    return path;
}

/*
 * Start fake_smtp with args (NULL-terminated); transcript and saved
 * messages go under t_tmpdir()/NAME.  Returns 0 and fills f, or -1.
 */
static T_UNUSED int fake_start(struct fake *f, const char *tmpdir, const char *name,
                               const char *const *args)
{
    memset(f, 0, sizeof *f);
    snprintf(f->transcript, sizeof f->transcript, "%s/%s.transcript", tmpdir, name);
    snprintf(f->save, sizeof f->save, "%s/%s.msgs", tmpdir, name);
    mkdir(f->save, 0700);
    unlink(f->transcript);
    const char *argv[64];
    int a = 0;
    argv[a++] = fake_binary();
    argv[a++] = "--transcript";
    argv[a++] = f->transcript;
    argv[a++] = "--save";
    argv[a++] = f->save;
    for (int i = 0; args && args[i] && a < 62; i++)
        argv[a++] = args[i];
    argv[a] = NULL;
    int pipefd[2];
    if (pipe(pipefd) < 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_addclose(&fa, pipefd[0]);
    int rc = posix_spawn(&f->pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (rc != 0) {
        fprintf(stdout, "    cannot start %s: %s (build it: make %s)\n", argv[0],
                strerror(rc), "build/tests/helpers/fake_smtp");
        close(pipefd[0]);
        return -1;
    }
    char buf[32] = "";
    ssize_t n = read(pipefd[0], buf, sizeof buf - 1);
    close(pipefd[0]);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    f->port = (int)strtol(buf, NULL, 10);
    return f->port > 0 ? 0 : -1;
}

static T_UNUSED void fake_stop(struct fake *f)
{
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        waitpid(f->pid, NULL, 0);
        f->pid = 0;
    }
}

/* The whole file as a NUL-terminated string (free()), or NULL. */
static T_UNUSED char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    size_t r;
    while (s && (r = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n - 1 == 0) {
            char *t = realloc(s, cap *= 2);
            if (!t) {
                free(s);
                s = NULL;
            }
            s = t;
        }
    }
    fclose(f);
    if (s)
        s[n] = 0;
    if (len)
        *len = n;
    return s;
}

static T_UNUSED int count_str(const char *hay, const char *needle)
{
    int n = 0;
    size_t nl = strlen(needle);
    for (const char *p = hay; p && (p = strstr(p, needle)); p += nl)
        n++;
    return n;
}

/* A cfg_mail for tests: no TLS, short timeout. */
static T_UNUSED struct cfg_mail test_mail_cfg(const char *transport)
{
    struct cfg_mail mc;
    memset(&mc, 0, sizeof mc);
    mc.from = "ackbeat@example.test";
    mc.transport = transport;
    mc.tls = CFG_TLS_NONE;
    mc.timeout = 5;
    mc.max_age = 3600;
    return mc;
}

#endif
