/*
 * store_cycles.h - heartbeat cycles (seed 000) and what came back
 * (store/store_cycles.c): each firing with its tokens and verdict, manual
 * and unverified acknowledgements (store_unverified.c), and each
 * recipient's record of missed cycles and bounces.
 */
#ifndef AB_STORE_CYCLES_H
#define AB_STORE_CYCLES_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_err.h"
#include "common/ab_time.h"
#include "store/store.h"

/* One person asked in a cycle, and what came back. */
struct store_cycle_rcpt {
    char *address;
    char *token;
    ab_time issued;
    ab_time confirmed;      /* first verified acknowledgement, or AB_TIME_NONE */
    char *confirmed_by;     /* who sent it (a delegate, perhaps); NULL if none */
    char *excerpt;          /* first lines of the reply; NULL if none */
    int unverified;         /* acks from senders that are not allowed */
    ab_time bounced;        /* AB_TIME_NONE unless a bounce names this token */
    char *bounce_detail;
    ab_time autoreplied;    /* an auto-reply (out of office) came back */
    char *autoreply_detail;
};

/* A heartbeat cycle (seed 000): one firing, its tokens, its verdict. */
struct store_cycle {
    int64_t id;
    char *check;
    ab_time opened, deadline;
    ab_time reminder_at;    /* AB_TIME_NONE: no reminder */
    int reminded;
    int quorum;             /* confirmations needed */
    char *status;           /* "Pending", "Healthy", "Failing", "Held" */
    ab_time verdict_at;     /* AB_TIME_NONE while Pending */
    struct store_cycle_rcpt *rcpts; /* by address */
    size_t nrcpts;
    size_t confirmed;       /* recipients with a verified acknowledgement */
};
void store_cycle_free(struct store_cycle *c);
void store_cycle_list_free(struct store_cycle **v, size_t n);

enum ab_err store_cycle_open(store *st, const char *check, ab_time opened,
                             ab_time deadline, ab_time reminder_at, int quorum,
                             int64_t *id, ab_errmsg *em) AB_MUST_CHECK;
/* Record a token issued to recipient in cycle (message_id: its heartbeat's). */
enum ab_err store_cycle_add_token(store *st, int64_t cycle_id, const char *token,
                                  const char *recipient, ab_time issued,
                                  const char *message_id, ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_cycle_get(store *st, int64_t id, struct store_cycle **out,
                            ab_errmsg *em) AB_MUST_CHECK;
/* Cycles newest first: of check (NULL: all); with open_only, only those
 * still Pending or Held.  Free with store_cycle_list_free. */
enum ab_err store_cycle_list(store *st, const char *check, int open_only,
                             size_t limit, struct store_cycle ***out, size_t *n,
                             ab_errmsg *em) AB_MUST_CHECK;
/* Set the verdict unless it already is that: AB_EEXIST then (a claim). */
enum ab_err store_cycle_verdict(store *st, int64_t id, const char *status,
                                ab_time at, ab_errmsg *em) AB_MUST_CHECK;
/* Claim the reminder of a cycle (once); AB_EEXIST if already claimed. */
enum ab_err store_cycle_claim_reminder(store *st, int64_t id, ab_errmsg *em) AB_MUST_CHECK;
/*
 * A confirmation taken by other means (by phone: `ackbeat ack`): an
 * acknowledgement of token by `by`, verified.  *cycle_id is the token's
 * cycle.  AB_ENOTFOUND if the token was never issued.
 */
enum ab_err store_ack_manual(store *st, const char *token, const char *by,
                             const char *note, ab_time at, int64_t *cycle_id,
                             ab_errmsg *em) AB_MUST_CHECK;

/* The newest unverified acknowledgement of token (store/store_unverified.c):
 * who sent it and the inbox's note on its message (*detail may be NULL:
 * a manual one).  Caller ab_free's both.  AB_ENOTFOUND when none. */
enum ab_err store_ack_unverified(store *st, const char *token, char **by, char **detail,
                                 ab_errmsg *em) AB_MUST_CHECK;

/* Per address: cycles missed in a row, last confirmation, last bounce. */
struct store_recipient {
    char *address;
    int missed_streak;
    ab_time last_confirmed;
    ab_time bounced_at;
    char *bounce_detail;
};
void store_recipient_free(struct store_recipient *r);
/* After a verdict: confirmed resets the streak, else it grows. */
enum ab_err store_recipient_tally(store *st, const char *address, int confirmed,
                                  ab_time at, ab_errmsg *em) AB_MUST_CHECK;
/* AB_ENOTFOUND when the address was never tallied nor bounced. */
enum ab_err store_recipient_get(store *st, const char *address,
                                struct store_recipient **out,
                                ab_errmsg *em) AB_MUST_CHECK;

/* Addresses that bounced or missed at least min_missed cycles in a row. */
enum ab_err store_recipient_flagged(store *st, int min_missed,
                                    struct store_recipient ***out, size_t *n,
                                    ab_errmsg *em) AB_MUST_CHECK;

#endif
