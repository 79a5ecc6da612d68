/*
 * ab_dl_crypto.h - OpenSSL's libcrypto (webhook signatures, DKIM keys), loaded at its first
 * call (common/ab_dl.h).  Include this instead of the library's own
 * header: the names below then call through the table ab_dl_crypto()
 * fills from libcrypto.so.3.  A function the code starts to use is added
 * to AB_DL_CRYPTO_FNS and given its #define here.
 */
#ifndef AB_DL_CRYPTO_H
#define AB_DL_CRYPTO_H

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "common/ab_dl.h"

#define AB_DL_CRYPTO_FNS(X) \
    X(BIO_free) \
    X(BIO_new_mem_buf) \
    X(EVP_PKEY_free) \
    X(EVP_PKEY_get_base_id) \
    X(EVP_PKEY_get_bits) \
    X(EVP_sha256) \
    X(HMAC) \
    X(PEM_read_PrivateKey) \
    X(PEM_read_bio_PrivateKey)

AB_DL_DECLARE(crypto, AB_DL_CRYPTO_FNS)

/* Any macro of the library's own by these names gives way to the table. */
#undef BIO_free
#define BIO_free (ab_dl_crypto()->BIO_free)
#undef BIO_new_mem_buf
#define BIO_new_mem_buf (ab_dl_crypto()->BIO_new_mem_buf)
#undef EVP_PKEY_free
#define EVP_PKEY_free (ab_dl_crypto()->EVP_PKEY_free)
#undef EVP_PKEY_get_base_id
#define EVP_PKEY_get_base_id (ab_dl_crypto()->EVP_PKEY_get_base_id)
#undef EVP_PKEY_get_bits
#define EVP_PKEY_get_bits (ab_dl_crypto()->EVP_PKEY_get_bits)
#undef EVP_sha256
#define EVP_sha256 (ab_dl_crypto()->EVP_sha256)
#undef HMAC
#define HMAC (ab_dl_crypto()->HMAC)
#undef PEM_read_PrivateKey
#define PEM_read_PrivateKey (ab_dl_crypto()->PEM_read_PrivateKey)
#undef PEM_read_bio_PrivateKey
#define PEM_read_bio_PrivateKey (ab_dl_crypto()->PEM_read_bio_PrivateKey)

#endif
