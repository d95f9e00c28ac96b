/* The bump allocator (include/alchemiser/arena.h): inline fast path and
 * out-of-line refill, alignment, oversized requests, reset and reuse. */
#include <stdint.h>
#include <string.h>

#include "alc_test.h"
#include "alchemiser/arena.h"

/* Many small allocations over several blocks: 16-byte aligned, disjoint
 * (each keeps the pattern written into it), counted in `total`. */
static void test_small_allocations(void)
{
    alc_arena a;
    alc_arena_init(&a, 1024);
    enum { N = 2000 };
    unsigned char *p[N];
    size_t want_total = 0;
    for (int i = 0; i < N; i++) {
        size_t size = (size_t)(i % 37);
        p[i] = alc_arena_alloc(&a, size);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p[i]);
        CU_ASSERT_EQUAL((uintptr_t)p[i] % 16, 0);
        memset(p[i], i & 0xFF, size);
        want_total += size ? (size + 15) & ~(size_t)15 : 16;
    }
    CU_ASSERT_EQUAL(a.total, want_total);
    int bad = 0;
    for (int i = 0; i < N; i++)
        for (size_t k = 0; k < (size_t)(i % 37); k++)
            bad += p[i][k] != (unsigned char)(i & 0xFF);
    CU_ASSERT_EQUAL(bad, 0);
    alc_arena_free(&a);
}

/* A request larger than the block size gets its own block; allocation
 * continues normally after it. */
static void test_oversized(void)
{
    alc_arena a;
    alc_arena_init(&a, 256);
    char *s = alc_arena_alloc(&a, 10);
    char *big = alc_arena_alloc(&a, 100000);
    char *t = alc_arena_alloc(&a, 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    memset(big, 7, 100000);
    memset(s, 1, 10);
    memset(t, 2, 10);
    CU_ASSERT(big[0] == 7 && big[99999] == 7 && s[9] == 1 && t[0] == 2);
    CU_ASSERT(t < big || t >= big + 100000);
    double *z = alc_arena_calloc(&a, 50, sizeof *z);
    CU_ASSERT_PTR_NOT_NULL_FATAL(z);
    CU_ASSERT(z[0] == 0.0 && z[49] == 0.0);
    char *d = alc_arena_strndup(&a, "hello world", 5);
    CU_ASSERT_STRING_EQUAL(d, "hello");
    alc_arena_free(&a);
}

/* After a reset the blocks are reused (the same memory comes back) and
 * the count starts again. */
static void test_reset_reuse(void)
{
    alc_arena a;
    alc_arena_init(&a, 4096);
    void *first = alc_arena_alloc(&a, 64);
    for (int i = 0; i < 100; i++)
        CU_ASSERT_PTR_NOT_NULL(alc_arena_alloc(&a, 100));
    alc_arena_reset(&a);
    CU_ASSERT_EQUAL(a.total, 0);
    void *again = alc_arena_alloc(&a, 64);
    CU_ASSERT_PTR_EQUAL(again, first); /* the first block is reused first */
    CU_ASSERT_EQUAL(a.total, 64);
    alc_arena_reset(&a);
    alc_arena_reset(&a); /* twice is harmless */
    CU_ASSERT_PTR_NOT_NULL(alc_arena_alloc(&a, 1));
    alc_arena_free(&a);
    alc_arena_free(&a); /* and so is freeing twice */
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    ALC_ADD_SUITE("arena", {"small allocations over blocks", test_small_allocations},
                  {"oversized requests", test_oversized}, {"reset and reuse", test_reset_reuse});
    return alc_test_run();
}
