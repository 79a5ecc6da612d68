/* crash.c - test plugin: invoke() dies with SIGSEGV. */
#include <signal.h>

#include "checks/plugin.h"

static int invoke(const char *arg, ackbeat_report_fn report, void *rctx)
{
    (void)arg;
    (void)report;
    (void)rctx;
    raise(SIGSEGV); /* what a NULL dereference would do, without UB */
    return 0;
}

const struct ackbeat_plugin ackbeat_plugin_v1 = {
    ACKBEAT_PLUGIN_ABI, "crash", "Crashes", "1", invoke,
};
