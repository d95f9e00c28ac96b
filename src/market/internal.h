/* Helpers shared by the market-data sources (csv.c, h5market.c, synth.c,
 * market.c).  Not part of the public API. */
#ifndef ALCHEMISER_MARKET_INTERNAL_H
#define ALCHEMISER_MARKET_INTERNAL_H

#include <stddef.h>

#include "alchemiser/market.h"

/* Ticker syntax: 1 to 10 characters from [A-Z0-9.-].  Returns 1 if valid. */
int alc_ticker_valid(const char *t);

/* Allocate the arrays of *s for n bars (each array malloc'd separately,
 * as alc_series_free expects) and copy `ticker`.  On failure *s is left
 * zeroed and ALC_ERR_NOMEM is returned. */
alc_status alc_series_alloc(alc_series *s, const char *ticker, int n, alc_error *err);

/* Allocate an empty market with `n` zeroed series and a copy of `source`.
 * Free with alc_market_free. */
alc_status alc_market_alloc(int n, const char *source, alc_market **out, alc_error *err);

/* Sort m->series by ticker (strcmp) and reject duplicates.  Returns
 * ALC_ERR_DATA naming the duplicate ticker (file = m->source). */
alc_status alc_market_sort(alc_market *m, alc_error *err);

/* Checks that a price is finite and > 0 (kind 'p') or that a volume is
 * finite and >= 0 (kind 'v').  Returns NULL when fine, else a short
 * reason ("is not a finite number", "must be > 0", "must be >= 0"). */
const char *alc_bar_value_problem(double v, char kind);

/* Validate a whole series: strictly increasing dates, positive finite
 * prices, finite non-negative volume.  On failure fills err with
 * ALC_ERR_DATA, file = `file`, and a message naming `what` (for example
 * "bars/SPY") and the 0-based index of the bad bar. */
alc_status alc_series_validate(const alc_series *s, const char *file, const char *what,
                               alc_error *err);

/* 1 if the file at path starts with the HDF5 signature (at offset 0 or at
 * a user-block offset 512, 1024, 2048, ...), 0 if not, -1 if unreadable. */
int alc_file_is_hdf5(const char *path);

#endif
