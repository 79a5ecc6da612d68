/*
 * example.c - an example ackbeat check plugin (see checks/plugin.h).
 *
 * Reports two items: "disk", the free space of a directory in percent
 * (Degraded under 20 %, Failing under 10 %), and "load", the one-minute
 * load average per CPU (Degraded above 2, Failing above 4).  The plugin
 * argument is the directory ("/" when none is given).
 *
 *     <check name="host" kind="plugin" plugin="example.so" plugin-arg="/var"/>
 *
 * Build: make plugins  (-> build/checks/plugins/example.so), or by hand:
 *     cc -shared -fPIC -I. -o example.so checks/plugins/example.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "checks/plugin.h"

static void disk(const char *path, ackbeat_report_fn report, void *rctx)
{
    struct statvfs vfs;
    struct ackbeat_item it = {0};
    char msg[512];
    it.item = "disk";
    if (statvfs(path, &vfs) != 0 || vfs.f_blocks == 0) {
        snprintf(msg, sizeof msg, "cannot stat %s", path);
        it.status = ACKBEAT_OFFLINE;
    } else {
        double pct = 100.0 * (double)vfs.f_bavail / (double)vfs.f_blocks;
        double mib = (double)vfs.f_bavail * (double)vfs.f_frsize / (1024.0 * 1024.0);
        it.has_value = 1;
        it.value = pct;
        it.status = pct < 10 ? ACKBEAT_FAILING : pct < 20 ? ACKBEAT_DEGRADED : ACKBEAT_HEALTHY;
        snprintf(msg, sizeof msg, "%.1f%% free on %s (%.0f MiB)", pct, path, mib);
    }
    it.message = msg;
    report(rctx, &it);
}

static void load(ackbeat_report_fn report, void *rctx)
{
    double la[1];
    struct ackbeat_item it = {0};
    char msg[256];
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    it.item = "load";
    if (getloadavg(la, 1) != 1) {
        it.status = ACKBEAT_OFFLINE;
        snprintf(msg, sizeof msg, "load average unavailable");
    } else {
        double per = la[0] / (double)(cpus > 0 ? cpus : 1);
        it.has_value = 1;
        it.value = la[0];
        it.status = per > 4 ? ACKBEAT_FAILING : per > 2 ? ACKBEAT_DEGRADED : ACKBEAT_HEALTHY;
        snprintf(msg, sizeof msg, "load %.2f on %ld CPUs", la[0], cpus);
    }
    it.message = msg;
    report(rctx, &it);
}

static int invoke(const char *arg, ackbeat_report_fn report, void *rctx)
{
    disk(arg && *arg ? arg : "/", report, rctx);
    load(report, rctx);
    return 0;
}

const struct ackbeat_plugin ackbeat_plugin_v1 = {
    ACKBEAT_PLUGIN_ABI, "example", "Disk space and load", "1.0", invoke,
};
