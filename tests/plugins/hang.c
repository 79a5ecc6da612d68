/* hang.c - test plugin: invoke() never returns (and ignores SIGTERM). */
#include <signal.h>
#include <unistd.h>

#include "checks/plugin.h"

static int invoke(const char *arg, ackbeat_report_fn report, void *rctx)
{
    (void)arg;
    (void)report;
    (void)rctx;
    signal(SIGTERM, SIG_IGN); /* so only the SIGKILL after the grace stops it */
    for (;;)
        pause();
    return 0;
}

const struct ackbeat_plugin ackbeat_plugin_v1 = {
    ACKBEAT_PLUGIN_ABI, "hang", "Hangs", "1", invoke,
};
