/* Bump allocator.  Everything allocated from an arena lives until
 * alc_arena_reset() or alc_arena_free(); individual frees do not exist.
 * Used for the AST (one arena per parsed file) and for evaluation values
 * (one arena per top-level evaluation). */
#ifndef ALCHEMISER_ARENA_H
#define ALCHEMISER_ARENA_H

#include <stddef.h>

typedef struct alc_arena_block alc_arena_block;

typedef struct alc_arena {
    alc_arena_block *head;   /* current block */
    alc_arena_block *spare;  /* blocks kept for reuse after reset */
    size_t block_size;
    size_t total;            /* bytes handed out since the last reset */
    unsigned char *cur, *end; /* free part of the current block (inline fast path) */
} alc_arena;

void alc_arena_init(alc_arena *a, size_t block_size);
/* alc_arena_alloc when the current block cannot hold `size` (rounded). */
void *alc_arena_alloc_slow(alc_arena *a, size_t size);
/* Returns NULL only when malloc fails.  Memory is 16-byte aligned.
 * Inline: the evaluator allocates millions of small values per second. */
static inline void *alc_arena_alloc(alc_arena *a, size_t size)
{
    size = size ? (size + 15u) & ~(size_t)15u : 16u;
    if (size <= (size_t)(a->end - a->cur)) {
        void *p = a->cur;
        a->cur += size;
        a->total += size;
        return p;
    }
    return alc_arena_alloc_slow(a, size);
}
void *alc_arena_calloc(alc_arena *a, size_t count, size_t size);
char *alc_arena_strndup(alc_arena *a, const char *s, size_t n);
/* Forget all allocations but keep the blocks for reuse. */
void alc_arena_reset(alc_arena *a);
void alc_arena_free(alc_arena *a);

#endif
