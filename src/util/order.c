/* Largest first (see include/alchemiser/order.h). */
#include "alchemiser/order.h"

#include <stdlib.h>

typedef struct sized {
    uint64_t size;
    int index;
} sized;

static int by_size_desc(const void *a, const void *b)
{
    const sized *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

int *alc_order_largest_first(const uint64_t *size, int n)
{
    sized *by = malloc((size_t)(n > 0 ? n : 1) * sizeof *by);
    int *order = malloc((size_t)(n > 0 ? n : 1) * sizeof *order);
    if (!by || !order) {
        free(by);
        free(order);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        by[i] = (sized){size[i], i};
    qsort(by, (size_t)n, sizeof *by, by_size_desc);
    for (int i = 0; i < n; i++)
        order[i] = by[i].index;
    free(by);
    return order;
}
