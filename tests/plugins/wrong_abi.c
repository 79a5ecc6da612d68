/* wrong_abi.c - test plugin: exports the v1 symbol with ABI version 99. */
#include "checks/plugin.h"

static int invoke(const char *arg, ackbeat_report_fn report, void *rctx)
{
    (void)arg;
    (void)report;
    (void)rctx;
    return 0;
}

const struct ackbeat_plugin ackbeat_plugin_v1 = {
    99, "future", "From the future", "9", invoke,
};
