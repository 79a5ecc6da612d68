/*
 * three.c - test plugin: reports three items (seed 001: one result per
 * child heartbeat), and prints to stdout, which ackbeat must ignore.
 * arg "fail" makes invoke() return 7 after two items; arg "exit" calls
 * exit(0) before finishing; arg "bad" reports an invalid status; arg
 * "many" reports 1500 items, past the host's cap of 1000.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/plugin.h"

static int invoke(const char *arg, ackbeat_report_fn report, void *rctx)
{
    struct ackbeat_item it = {0};
    printf("noise on stdout\n");
    fflush(stdout);
    if (arg && strcmp(arg, "exit") == 0)
        exit(0);
    if (arg && strcmp(arg, "many") == 0) {
        char name[32];
        for (int i = 0; i < 1500; i++) {
            snprintf(name, sizeof name, "i%04d", i);
            it.item = name;
            it.status = ACKBEAT_HEALTHY;
            it.message = "ok";
            report(rctx, &it);
        }
        return 0;
    }
    it.item = "alpha";
    it.status = ACKBEAT_HEALTHY;
    it.has_value = 1;
    it.value = 1.5;
    it.message = "alpha is fine";
    report(rctx, &it);
    it.item = "beta";
    it.status = ACKBEAT_DEGRADED;
    it.value = -2;
    it.message = "beta is slow";
    report(rctx, &it);
    if (arg && strcmp(arg, "fail") == 0)
        return 7;
    it.item = "gamma";
    it.status = arg && strcmp(arg, "bad") == 0 ? 42 : ACKBEAT_FAILING;
    it.has_value = 0;
    it.message = arg ? arg : "gamma has no arg";
    report(rctx, &it);
    return 0;
}

const struct ackbeat_plugin ackbeat_plugin_v1 = {
    ACKBEAT_PLUGIN_ABI, "three", "Three items", "1.2", invoke,
};
