/* Process-wide string interning.  Every distinct string (ticker, symbol,
 * group name) is stored once and gets a dense id, so the evaluator compares
 * strings by pointer and keeps per-string side tables as arrays indexed by id.
 *
 * Ownership: interned strings live until alc_intern_shutdown() (called at
 * process exit); callers never free them.  Thread-safe: insertion takes a
 * mutex; interned entries never move, so readers need no lock. */
#ifndef ALCHEMISER_INTERN_H
#define ALCHEMISER_INTERN_H

#include <stddef.h>
#include <stdint.h>

typedef struct alc_sym {
    const char *s;  /* NUL-terminated */
    uint32_t len;
    uint32_t hash;
    int32_t id;     /* dense, 0-based */
} alc_sym;

/* FNV-1a of s[0..len): alc_sym.hash, and the string hash of the project's
 * other small hash tables. */
uint32_t alc_str_hash(const char *s, size_t len);

/* Returns NULL only when memory is exhausted. */
const alc_sym *alc_intern(const char *s, size_t len);
const alc_sym *alc_intern_cstr(const char *s);
/* Number of strings interned so far (ids are < this). */
int32_t alc_intern_count(void);
/* Release everything (for leak checkers); no alc_sym may be used after. */
void alc_intern_shutdown(void);

#endif
