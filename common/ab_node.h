/*
 * ab_node.h - a process's default name as a node on a shared state
 * (common/ab_node.c, issue 16): "HOSTNAME:PID", and whether a node of
 * that form on this host is gone.
 */
#ifndef AB_NODE_H
#define AB_NODE_H

#include <stddef.h>

/* "HOSTNAME:PID" of this process into buf (len bytes; 320 is plenty). */
char *ab_node_default(char *buf, size_t len);
/* Is node "HOSTNAME:PID" a process of this host that no longer runs?
 * 0 for any other name, this process, or a process that exists. */
int ab_node_gone(const char *node, void *unused);

#endif
