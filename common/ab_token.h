/*
 * ab_token.h - heartbeat tokens: 128 random bits from the OS, written as
 * 26 lowercase base32 characters (RFC 4648 alphabet, no padding).
 *
 * The wire format (DESIGN.md) puts a token in three places so a reply can
 * be matched even when a mail client drops headers:
 *   Message-ID: <hb.TOKEN@DOMAIN>
 *   Reply-To:   LOCAL+TOKEN@DOMAIN
 *   the last body line: "Reference: hb.TOKEN"
 */
#ifndef AB_TOKEN_H
#define AB_TOKEN_H

#include <stddef.h>

#include "ab_err.h"

#define AB_TOKEN_LEN 26 /* characters, without the NUL */

/* Fill out (at least AB_TOKEN_LEN + 1 bytes) with a fresh token. */
enum ab_err ab_token_new(char *out) AB_MUST_CHECK;

/* Is s[0..AB_TOKEN_LEN) a well-formed token (length checked by caller)? */
int ab_token_valid(const char *s, size_t len);

/*
 * Find well-formed tokens in text: runs of exactly AB_TOKEN_LEN base32
 * characters bounded by characters that cannot be part of one.
 * Upper case is folded (some clients upper-case quoted text).  Calls fn
 * for each, in order, with a NUL-terminated lowercase copy; stops early
 * when fn returns non-zero and returns that value.
 */
int ab_token_scan(const char *text, size_t len,
                  int (*fn)(const char *token, void *ud), void *ud);

/* The reference line that ends every heartbeat body. */
#define AB_TOKEN_REF_PREFIX "Reference: hb."

#endif
