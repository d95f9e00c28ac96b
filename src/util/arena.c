#include "alchemiser/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct alc_arena_block {
    alc_arena_block *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
};

void alc_arena_init(alc_arena *a, size_t block_size)
{
    a->head = NULL;
    a->spare = NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
    a->total = 0;
    a->cur = a->end = NULL;
}

static alc_arena_block *new_block(alc_arena *a, size_t need)
{
    /* Reuse a spare block if it is large enough. */
    if (a->spare && a->spare->size >= need) {
        alc_arena_block *b = a->spare;
        a->spare = b->next;
        b->used = 0;
        return b;
    }
    size_t size = a->block_size > need ? a->block_size : need;
    alc_arena_block *b = malloc(sizeof *b + size);
    if (!b)
        return NULL;
    b->size = size;
    b->used = 0;
    return b;
}

void *alc_arena_alloc_slow(alc_arena *a, size_t size)
{
    size = size ? (size + 15u) & ~(size_t)15u : 16u;
    alc_arena_block *b = a->head;
    if (!b || b->size - b->used < size) {
        /* the rest of the current block is abandoned */
        if (b)
            b->used = b->size;
        b = new_block(a, size);
        if (!b)
            return NULL;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    a->total += size;
    /* further allocations come from the rest of this block, inline */
    a->cur = b->data + b->used;
    a->end = b->data + b->size;
    b->used = b->size;
    return p;
}

void *alc_arena_calloc(alc_arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = alc_arena_alloc(a, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

char *alc_arena_strndup(alc_arena *a, const char *s, size_t n)
{
    char *p = alc_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void alc_arena_reset(alc_arena *a)
{
    alc_arena_block *b = a->head;
    while (b) {
        alc_arena_block *next = b->next;
        b->next = a->spare;
        a->spare = b;
        b = next;
    }
    a->head = NULL;
    a->total = 0;
    a->cur = a->end = NULL;
}

static void free_chain(alc_arena_block *b)
{
    while (b) {
        alc_arena_block *next = b->next;
        free(b);
        b = next;
    }
}

void alc_arena_free(alc_arena *a)
{
    free_chain(a->head);
    free_chain(a->spare);
    a->head = a->spare = NULL;
    a->total = 0;
    a->cur = a->end = NULL;
}
