/* Largest first: the hand-out order of longest-processing-time-first
 * scheduling, used by the session's dynamic dispatch (batches) and the
 * backtest (strategies), so that a heavy piece of work starts early
 * instead of ending the run alone. */
#ifndef ALCHEMISER_ORDER_H
#define ALCHEMISER_ORDER_H

#include <stdint.h>

/* The indices 0 .. n-1 by size[i], largest first, ties in index order.
 * Malloc'd, the caller frees it; NULL when out of memory. */
int *alc_order_largest_first(const uint64_t *size, int n);

#endif
