/*
 * ab_node.c - the default node name, and telling a dead one of this host
 * (issue 16).
 *
 * A process with no <state node=> is "HOSTNAME:PID", so every restart is a
 * new node.  Rows it had leased (the outbox, the channel deliveries) would
 * then wait for their lease to run out before the restarted daemon sent
 * them; on the same host the answer is at hand instead: if the PID named
 * runs no more, the claim is void.  Only a PID that is certainly gone
 * (ESRCH) counts; a PID reused since is taken for alive, which only
 * delays.  Two hosts of one name sharing a state (containers with a
 * fixed hostname) should set node= in the config.
 */
#include "common/ab_node.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *ab_node_default(char *buf, size_t len)
{
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0 || !host[0])
        snprintf(host, sizeof host, "localhost");
    snprintf(buf, len, "%s:%ld", host, (long)getpid());
    return buf;
}

int ab_node_gone(const char *node, void *unused)
{
    (void)unused;
    char me[320];
    ab_node_default(me, sizeof me);
    const char *colon = strrchr(me, ':'), *theirs = strrchr(node, ':');
    size_t hl = (size_t)(colon - me);
    if (!theirs || (size_t)(theirs - node) != hl || strncmp(node, me, hl) != 0)
        return 0; /* another host, or not a default name */
    char *end;
    errno = 0;
    long pid = strtol(theirs + 1, &end, 10);
    if (errno || end == theirs + 1 || *end || pid <= 1 || pid == (long)getpid())
        return 0;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}
