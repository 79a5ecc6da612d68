/*
 * plugin.h - the ABI between ackbeat and a check plugin (version 1).
 *
 * A plugin is a shared object that ackbeat loads with dlopen(3): the C
 * form of seed 002's HeartbeatAssembly (Name, Label, AssemblyFile).  It
 * needs this header and nothing else of ackbeat's; build it with
 *
 *     cc -shared -fPIC -o myplugin.so myplugin.c
 *
 * and export exactly one symbol, a const struct named ackbeat_plugin_v1:
 *
 *     #include "plugin.h"
 *     static int invoke(const char *arg, ackbeat_report_fn report, void *rctx)
 *     {
 *         struct ackbeat_item it = {0};
 *         it.item = "queue";
 *         it.status = ACKBEAT_HEALTHY;
 *         it.has_value = 1;
 *         it.value = 42;
 *         it.message = "42 messages waiting";
 *         report(rctx, &it);
 *         return 0;
 *     }
 *     const struct ackbeat_plugin ackbeat_plugin_v1 = {
 *         ACKBEAT_PLUGIN_ABI, "queue", "Mail queue", "1.0", invoke,
 *     };
 *
 * How ackbeat calls it: every run happens in a fresh child process (fork,
 * then dlopen, then invoke), so a plugin may crash, leak, hang or call
 * exit() without harming ackbeat; a run past the check's timeout is
 * killed.  Consequently a plugin keeps no state between runs (the check's
 * cache setting, seed 002's CacheDuration, is ackbeat's business).
 * Whatever the plugin writes to stdout or stderr is discarded.
 *
 * Results (seed 001): invoke() reports one item per child heartbeat by
 * calling report() once per item; the strings are copied before report()
 * returns.  invoke() returns 0 when it ran; any other value makes the
 * check Offline (items already reported are kept, and the return value
 * is named in an extra item).  A run that reports no item at all is
 * Offline.
 *
 * Compatibility: ABI version 1 is frozen.  A future incompatible version
 * will be exported under a new symbol name (ackbeat_plugin_v2), so an old
 * plugin keeps loading; abi must equal ACKBEAT_PLUGIN_ABI or the plugin is
 * refused with a message naming both versions.
 */
#ifndef ACKBEAT_PLUGIN_H
#define ACKBEAT_PLUGIN_H

#ifdef __cplusplus
extern "C" {
#endif

#define ACKBEAT_PLUGIN_ABI 1
#define ACKBEAT_PLUGIN_SYMBOL "ackbeat_plugin_v1"

/* The statuses of seed 001, with the values ackbeat stores. */
enum ackbeat_status {
    ACKBEAT_HEALTHY = 0,
    ACKBEAT_DEGRADED = 1,
    ACKBEAT_FAILING = 2,
    ACKBEAT_OFFLINE = 3, /* could not be determined */
};

/* One item's result; all pointers are borrowed for the report() call. */
struct ackbeat_item {
    const char *item;    /* item name, unique within a run; NULL or "" for the main item */
    int status;          /* an enum ackbeat_status */
    int has_value;       /* 1 when value is meaningful */
    double value;
    const char *message; /* one line for people, may be NULL */
};

/* Report one item.  rctx is the opaque pointer handed to invoke(). */
typedef void (*ackbeat_report_fn)(void *rctx, const struct ackbeat_item *item);

struct ackbeat_plugin {
    int abi;             /* ACKBEAT_PLUGIN_ABI */
    const char *name;    /* seed 002's Name: short identifier */
    const char *label;   /* seed 002's Label: human title */
    const char *version; /* the plugin's own version, may be NULL */
    /*
     * Run once.  arg is the check's plugin argument (free text from the
     * config), or NULL when none is set.
     */
    int (*invoke)(const char *arg, ackbeat_report_fn report, void *rctx);
};

#ifdef __cplusplus
}
#endif

#endif
