/*
 * chan_sign.c - the webhook signature: HMAC-SHA256 (RFC 2104, FIPS 180-4) of
 * the exact body under the channel's secret, in lower-case hex, sent as
 * "X-Ackbeat-Signature: sha256=HEX" (GitHub's convention) so receivers
 * can tell our requests from anyone else's.  OpenSSL does the hashing.
 */
#include "channels/chan_int.h"

#include <string.h>

#include "common/ab_dl_crypto.h"

enum ab_err chan_sign(const char *key, const void *body, size_t len, char *out,
                      ab_errmsg *em)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    if (!HMAC(EVP_sha256(), key, (int)strlen(key), body, len, mac, &maclen))
        return ab_fail(em, AB_EINVAL, "HMAC-SHA256 failed");
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < maclen; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[2 * maclen] = '\0';
    return AB_OK;
}
