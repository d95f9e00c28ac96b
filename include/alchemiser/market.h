/* Daily market data: per-ticker bar series, loaded from a directory of
 * per-ticker CSV files or from the project's HDF5 market file.
 *
 * Ownership: an alc_market owns every array it points to; free it with
 * alc_market_free().  Series are sorted by ticker (strcmp order) and bars
 * by strictly increasing date, so lookups are binary searches. */
#ifndef ALCHEMISER_MARKET_H
#define ALCHEMISER_MARKET_H

#include <stdint.h>

#include "alchemiser/date.h"
#include "alchemiser/error.h"

typedef struct alc_series {
    char *ticker;       /* upper-case, NUL-terminated */
    int n;              /* number of bars */
    alc_day *day;       /* n dates, strictly increasing */
    double *open, *high, *low, *close, *volume; /* n values each */
} alc_series;

typedef struct alc_market {
    int n;              /* number of tickers */
    alc_series *series; /* n series sorted by ticker */
    char *source;       /* path it was loaded from (for messages) */
} alc_market;

/* Load from `path`: a directory of TICKER.csv files, or an HDF5 market
 * file (detected by content).  On failure *out is NULL and err names the
 * file and line of the first problem. */
alc_status alc_market_load(const char *path, alc_market **out, alc_error *err);

/* Individual loaders behind alc_market_load. */
alc_status alc_market_load_csv_dir(const char *dir, alc_market **out, alc_error *err);
alc_status alc_market_load_h5(const char *path, alc_market **out, alc_error *err);

/* Parse one CSV file's text (header date,open,high,low,close,volume).
 * `name` is used in messages only.  Fills *series (caller frees with
 * alc_series_free; ticker is set to `ticker`). */
alc_status alc_series_parse_csv(const char *name, const char *ticker,
                                const char *text, size_t len,
                                alc_series *series, alc_error *err);
void alc_series_free(alc_series *s);

/* Write the market into an HDF5 market file atomically (temp + rename). */
alc_status alc_market_write_h5(const alc_market *m, const char *path, alc_error *err);

/* Write the market as a directory of TICKER.csv files (created if
 * missing; existing TICKER.csv files are replaced, each atomically via a
 * temp file + rename; other files are left alone).  Values print so that
 * alc_market_load_csv_dir reads back the same doubles: %.4f for values
 * with at most 4 decimals, %.17g otherwise. */
alc_status alc_market_write_csv_dir(const alc_market *m, const char *dir, alc_error *err);

/* Index of `ticker` (exact, case-sensitive; tickers are upper-case) or -1. */
int alc_market_find(const alc_market *m, const char *ticker);

/* Index of the last bar with day <= d, or -1 if none. */
int alc_series_last_at_or_before(const alc_series *s, alc_day d);

/* Index of the first bar with day > d, or s->n if none. */
int alc_series_first_after(const alc_series *s, alc_day d);

/* Last date present in any series (0 if the market is empty). */
alc_day alc_market_last_day(const alc_market *m);

void alc_market_free(alc_market *m);

/* Deterministic synthetic market (see src/market/synth.c for the model). */
typedef struct alc_synth_options {
    uint64_t seed;
    alc_day first_day;     /* first weekday emitted */
    alc_day last_day;      /* last weekday emitted */
    const char *const *tickers; /* tickers to generate (NULL = built-in universe) */
    int n_tickers;
} alc_synth_options;

alc_status alc_market_synth(const alc_synth_options *opt, alc_market **out, alc_error *err);

#endif
