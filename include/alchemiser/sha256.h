/* SHA-256 (FIPS 180-4), used to fingerprint job files in session snapshots.
 * Plain values: no heap memory, no ownership questions. */
#ifndef ALCHEMISER_SHA256_H
#define ALCHEMISER_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct alc_sha256 {
    uint32_t h[8];
    uint64_t total;          /* bytes hashed so far */
    unsigned char block[64];
    size_t used;             /* bytes waiting in block */
} alc_sha256;

void alc_sha256_init(alc_sha256 *s);
void alc_sha256_update(alc_sha256 *s, const void *data, size_t len);
void alc_sha256_final(alc_sha256 *s, unsigned char digest[32]);

/* Test hook: enable = 0 forces the portable code, 1 restores the default
 * (the x86 SHA extensions when the CPU has them).  Returns 1 when the SHA
 * extensions are in use from now on.  Not thread-safe: call it before
 * hashing in other threads. */
int alc_sha256_accelerated(int enable);

/* One-shot: lower-case hex digest and a NUL into hex (65 bytes). */
void alc_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
