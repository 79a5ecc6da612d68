/*
 * ab_token.c - generating and recognising heartbeat tokens.
 *
 * 128 bits from getrandom(2): a token must not be guessable, because a
 * token that was never issued is treated as a forgery, and one that was
 * guessed would be an acknowledgement nobody gave.
 */
#include "ab_token.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

enum ab_err ab_token_new(char *out)
{
    unsigned char raw[16];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return AB_EIO;
        }
        got += (size_t)n;
    }
    /* 128 bits in 5-bit groups: 25 full groups plus 3 bits. */
    unsigned acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < sizeof raw; i++) {
        acc = (acc << 8) | raw[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = alphabet[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = alphabet[(acc << (5 - bits)) & 31];
    out[o] = '\0';
    return AB_OK;
}

static int is_b32(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

int ab_token_valid(const char *s, size_t len)
{
    if (len != AB_TOKEN_LEN)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!is_b32((unsigned char)s[i]))
            return 0;
    /* The last character carries 3 bits and 2 zero pad bits. */
    const char *p = strchr(alphabet, s[len - 1]);
    return p && ((p - alphabet) & 3) == 0;
}

int ab_token_scan(const char *text, size_t len,
                  int (*fn)(const char *token, void *ud), void *ud)
{
    size_t i = 0;
    while (i < len) {
        /* A run of letters and digits; tokens are whole runs only, so
         * "hb.TOKEN" and "x+TOKEN@" match but a 40-char hash does not. */
        if (!isalnum((unsigned char)text[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && isalnum((unsigned char)text[i]))
            i++;
        if (i - start != AB_TOKEN_LEN)
            continue;
        char tok[AB_TOKEN_LEN + 1];
        for (size_t k = 0; k < AB_TOKEN_LEN; k++)
            tok[k] = (char)tolower((unsigned char)text[start + k]);
        tok[AB_TOKEN_LEN] = '\0';
        if (!ab_token_valid(tok, AB_TOKEN_LEN))
            continue;
        int r = fn(tok, ud);
        if (r)
            return r;
    }
    return 0;
}
