/*
 * test_common_dl.c - libraries opened at their first call (common/ab_dl.c)
 * and systemd's notification protocol spoken without libsystemd
 * (common/ab_notify.c).
 *
 * The loader is tried on libz (on every system that has ackbeat) and on
 * names that exist nowhere: what fails must say which library, which
 * function and which package.  The notifier sends to sockets this test
 * binds, at a path and in the abstract namespace, as systemd's are.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/ab_dl.h"
#include "common/ab_notify.h"
#include "tests/unit/harness.h"

static const char *const zlib_names[] = {"zlibVersion"};
static const char *const zlib_bad_names[] = {"zlibVersion", "ab_no_such_function"};

TEST(a_library_is_opened_and_its_functions_found)
{
    void *slots[1] = {0};
    struct ab_dl_lib l = {.soname = "libz.so.1", .package = "zlib1g", .names = zlib_names,
                          .slots = slots, .n = 1, .once = PTHREAD_ONCE_INIT};
    CHECK_OK(ab_dl_load(&l, NULL));
    CHECK(slots[0] != NULL);
    const char *(*version)(void);
    *(void **)&version = slots[0];
    CHECK(version()[0] == '1');
    ab_dl_need(&l); /* loaded: returns */
    CHECK_OK(ab_dl_load(&l, NULL));
}

TEST(a_missing_library_or_function_is_named_with_its_package)
{
    ab_errmsg em = {{0}};
    void *slots[2] = {0};
    struct ab_dl_lib gone = {.soname = "libab-not-there.so.7", .package = "ab-not-there7",
                             .names = zlib_names, .slots = slots, .n = 1,
                             .once = PTHREAD_ONCE_INIT};
    CHECK_INT(ab_dl_load(&gone, &em), AB_EIO);
    CHECK_CONTAINS(em.text, "cannot load libab-not-there.so.7");
    CHECK_CONTAINS(em.text, "install ab-not-there7");
    /* Once per process: the second answer is the first's. */
    ab_errmsg em2 = {{0}};
    CHECK_INT(ab_dl_load(&gone, &em2), AB_EIO);
    CHECK_STR(em2.text, em.text);

    struct ab_dl_lib part = {.soname = "libz.so.1", .package = "zlib1g",
                             .names = zlib_bad_names, .slots = slots, .n = 2,
                             .once = PTHREAD_ONCE_INIT};
    CHECK_INT(ab_dl_load(&part, &em), AB_EIO);
    CHECK_CONTAINS(em.text, "libz.so.1 has no ab_no_such_function");
    CHECK_CONTAINS(em.text, "install zlib1g");
}

TEST(a_call_that_cannot_load_its_library_exits_69)
{
    void *slots[1] = {0};
    struct ab_dl_lib gone = {.soname = "libab-not-there.so.7", .package = "ab-not-there7",
                             .names = zlib_names, .slots = slots, .n = 1,
                             .once = PTHREAD_ONCE_INIT};
    fflush(stdout);
    pid_t kid = fork();
    if (kid == 0) {
        /* Its message goes to stderr: keep it out of the test's output. */
        if (!freopen("/dev/null", "w", stderr))
            _exit(1);
        ab_dl_need(&gone);
        _exit(0);
    }
    CHECK(kid > 0);
    int st = 0;
    CHECK(waitpid(kid, &st, 0) == kid);
    CHECK(WIFEXITED(st));
    CHECK_INT(WEXITSTATUS(st), 69);
}

/* A datagram socket bound at name ("@..." abstract), as a service
 * manager's; -1 on failure. */
static int listener(const char *name)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len = strlen(name);
    memcpy(sa.sun_path, name, len);
    socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    if (name[0] == '@')
        sa.sun_path[0] = '\0';
    else
        salen++;
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, salen) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static char *received(int fd, char *buf, size_t len)
{
    ssize_t n = recv(fd, buf, len - 1, MSG_DONTWAIT);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

TEST(notifications_reach_a_socket_at_a_path_and_an_abstract_one)
{
    char buf[256];
    unsetenv("NOTIFY_SOCKET");
    CHECK_INT(ab_notify("READY=1"), 0); /* no service manager: nothing to do */

    char path[600];
    snprintf(path, sizeof path, "%s/notify.sock", t_tmpdir());
    unlink(path);
    int fd = listener(path);
    CHECK(fd >= 0);
    setenv("NOTIFY_SOCKET", path, 1);
    CHECK_INT(ab_notify("READY=1"), 1);
    CHECK_STR(received(fd, buf, sizeof buf), "READY=1");
    CHECK_INT(ab_notifyf("STATUS=last tick: %d checks run", 12), 1);
    CHECK_STR(received(fd, buf, sizeof buf), "STATUS=last tick: 12 checks run");
    close(fd);
    unlink(path);

    char abs[64];
    snprintf(abs, sizeof abs, "@ackbeat-test-%ld", (long)getpid());
    fd = listener(abs);
    CHECK(fd >= 0);
    setenv("NOTIFY_SOCKET", abs, 1);
    CHECK_INT(ab_notify("WATCHDOG=1"), 1);
    CHECK_STR(received(fd, buf, sizeof buf), "WATCHDOG=1");
    close(fd);

    /* Neither a path nor abstract; a socket nobody listens on. */
    setenv("NOTIFY_SOCKET", "relative/sock", 1);
    CHECK_INT(ab_notify("READY=1"), -1);
    setenv("NOTIFY_SOCKET", path, 1);
    CHECK_INT(ab_notify("READY=1"), -1);
    unsetenv("NOTIFY_SOCKET");
}

TEST(the_watchdog_is_on_only_for_this_process)
{
    uint64_t usec = 7;
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    CHECK_INT(ab_notify_watchdog(&usec), 0);
    CHECK(usec == 0);
    setenv("WATCHDOG_USEC", "30000000", 1);
    CHECK_INT(ab_notify_watchdog(&usec), 1);
    CHECK(usec == 30000000);
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    setenv("WATCHDOG_PID", pid, 1);
    CHECK_INT(ab_notify_watchdog(&usec), 1);
    /* Inherited from a parent it was meant for. */
    snprintf(pid, sizeof pid, "%ld", (long)getpid() + 1);
    setenv("WATCHDOG_PID", pid, 1);
    CHECK_INT(ab_notify_watchdog(&usec), 0);
    unsetenv("WATCHDOG_PID");
    const char *bad[] = {"", "0", "abc", "12x", "-5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        setenv("WATCHDOG_USEC", bad[i], 1);
        CHECK_INT(ab_notify_watchdog(&usec), 0);
    }
    unsetenv("WATCHDOG_USEC");
}
