/*
 * web_tokens.c - the ping checks by token, for /ping/TOKEN: one lookup
 * per ping, whatever the number of ping checks.
 *
 * A token is a secret, so the lookup must not tell a guesser how close
 * a guess came.  The table holds each token's HMAC-SHA256 under the
 * per-process key (web_auth.c), not the token: a request's token is run
 * through the same HMAC once, the digest picks the slot, and digests are
 * compared with an OR of XORs.  Which slots a probe visits depends on a
 * digest nobody can compute without the key, so the timing says nothing
 * about the token; and a config of 10,000 ping checks costs one HMAC per
 * ping instead of 20,000 (comparing against each token in turn, as this
 * did first, was linear in the config).
 *
 * Open addressing, at most half full, sized from the config: it grows
 * with the checks, no fixed limit.
 */
#include "web/web_int.h"

#include <string.h>

#include "common/ab_mem.h"

struct slot {
    unsigned char digest[WEB_DIGEST_LEN];
    const struct cfg_check *k; /* NULL: empty */
};

struct web_tokens {
    struct slot *slots;
    size_t mask;
};

static size_t slot_of(const unsigned char *d, size_t mask)
{
    size_t h = 0;
    for (size_t i = 0; i < sizeof h; i++)
        h = h << 8 | d[i];
    return h & mask;
}

static int digest_equal(const unsigned char *a, const unsigned char *b)
{
    unsigned char diff = 0;
    for (size_t i = 0; i < WEB_DIGEST_LEN; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

struct web_tokens *web_tokens_new(const web *w)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg_check_count(w->c); i++) {
        const struct cfg_check *k = cfg_check_at(w->c, i);
        n += k->kind == CFG_PING && k->ping_token;
    }
    size_t size = 4;
    while (size < 2 * n)
        size *= 2;
    struct web_tokens *t = ab_calloc(1, sizeof *t);
    if (!t || !(t->slots = ab_calloc(size, sizeof *t->slots))) {
        ab_free(t);
        return NULL;
    }
    t->mask = size - 1;
    for (size_t i = 0; i < cfg_check_count(w->c); i++) {
        const struct cfg_check *k = cfg_check_at(w->c, i);
        if (k->kind != CFG_PING || !k->ping_token)
            continue;
        unsigned char d[WEB_DIGEST_LEN];
        web_hmac(w, k->ping_token, strlen(k->ping_token), d);
        size_t s = slot_of(d, t->mask);
        /* The config refuses a token used twice; should one slip by,
         * the first check keeps it. */
        while (t->slots[s].k && !digest_equal(t->slots[s].digest, d))
            s = (s + 1) & t->mask;
        if (t->slots[s].k)
            continue;
        memcpy(t->slots[s].digest, d, sizeof d);
        t->slots[s].k = k;
    }
    return t;
}

void web_tokens_free(struct web_tokens *t)
{
    if (!t)
        return;
    explicit_bzero(t->slots, (t->mask + 1) * sizeof *t->slots);
    ab_free(t->slots);
    ab_free(t);
}

const struct cfg_check *web_tokens_find(const web *w, const struct web_tokens *t,
                                        const char *token)
{
    unsigned char d[WEB_DIGEST_LEN];
    web_hmac(w, token, strlen(token), d);
    for (size_t s = slot_of(d, t->mask); t->slots[s].k; s = (s + 1) & t->mask)
        if (digest_equal(t->slots[s].digest, d))
            return t->slots[s].k;
    return NULL;
}
