/* Indicator kernels, bit-compatible with the reference engine's pandas
 * numerics (../shared/dsl/SPEC.md section 6), and the per-engine cache that
 * serves indicator values by (ticker, indicator, windows, as-of date).
 *
 * Kernels are pure functions over a close-price array p[0..n-1] (oldest
 * first, p[n-1] = the as-of close).  They return ALC_OK and set *out, or an
 * error status (ALC_ERR_EVAL for "no value", ALC_ERR_VALUE for bad windows)
 * with a message in err. */
#ifndef ALCHEMISER_INDICATORS_H
#define ALCHEMISER_INDICATORS_H

#include "alchemiser/date.h"
#include "alchemiser/error.h"
#include "alchemiser/market.h"

typedef enum alc_indicator {
    ALC_IND_RSI,
    ALC_IND_CURRENT_PRICE,
    ALC_IND_SMA,           /* moving-average-price */
    ALC_IND_MAR,           /* moving-average-return */
    ALC_IND_CUMRET,        /* cumulative-return */
    ALC_IND_EMA,           /* exponential-moving-average-price */
    ALC_IND_STDEV_RETURN,
    ALC_IND_STDEV_PRICE,
    ALC_IND_MAX_DRAWDOWN,
    ALC_IND_PPO,
    ALC_IND_PPO_SIGNAL,
    ALC_IND_COUNT
} alc_indicator;

const char *alc_indicator_name(alc_indicator ind);

/* Windows of a request; unused ones are 0.  PPO: w1 = short, w2 = long,
 * w3 = smooth (signal only). */
typedef struct alc_indicator_args {
    alc_indicator ind;
    long w1, w2, w3;
} alc_indicator_args;

/* --- pandas building blocks (exposed for unit tests) --- */

/* Output at index n-1 of Series(x[0..n-1]).rolling(w).mean(), pandas'
 * online Kahan algorithm run from index 0.  NaN if fewer than w values. */
double alc_rolling_mean_last(const double *x, int n, int w);
/* Same for .rolling(w).var(ddof). */
double alc_rolling_var_last(const double *x, int n, int w, int ddof);
/* Series(x).ewm(com=com, adjust=False).mean() into out[0..n-1]. */
void alc_ewm_series(const double *x, int n, double com, double *out);

/* Rolling-window indicators (SMA, MAR, STDEV_RETURN, STDEV_PRICE) at K <= 8
 * as-of points of one series in one lockstep pass: point k sees
 * close[starts[k] .. starts[k] + ns[k] - 1] and must have more than w1 bars.
 * Values are bit-identical to alc_kernel's; NaN where pandas gives NaN.
 * Returns -1 when out of memory. */
int alc_kernel_rolling_block(const alc_indicator_args *a, const double *close, const int *starts,
                             const int *ns, int K, double *out);

/* Whether the block kernels compute a point with n bars (a rolling
 * indicator or PPO with valid windows and no short-data rule: alc_kernel
 * handles every other case).  n = INT_MAX asks for the windows alone. */
int alc_kernel_block_point_ok(const alc_indicator_args *a, int n);

/* PPO or PPO signal at K <= 8 as-of points the same way (points as for
 * alc_kernel_rolling_block); bit-identical to alc_kernel, NaN where it
 * errs.  Returns 1 (nothing computed) when a point is short of bars or the
 * windows are invalid (alc_kernel gives those their rule or error), -1
 * when out of memory, 0 when out[] is filled. */
int alc_kernel_ppo_block(const alc_indicator_args *a, const double *close, const int *starts,
                         const int *ns, int K, double *out);

/* RSI / EMA over all bars p[0..n-1]; when out is non-NULL, out[i] is the
 * value with history p[0..i] (both run from the first bar, so one pass gives
 * every date).  Returns the value at n-1.  EMA values with i + 1 < w are the
 * reference's masked values: callers must turn them into errors. */
double alc_rsi_series(const double *p, int n, long w, double *out);
double alc_ema_series(const double *p, int n, long w, double *out);

/* --- kernels over the bars an indicator sees --- */
/* For RSI and EMA, p must be the whole history up to the as-of date; for
 * the others, the bars of the indicator's period (see alc_indicator_period_days). */
alc_status alc_kernel(const alc_indicator_args *a, const double *p, int n,
                      const char *ticker, double *out, alc_error *err);

/* Calendar days of history the reference requests for an indicator
 * (SPEC 6.1); 0 means all history. */
int alc_indicator_period_days(const alc_indicator_args *a);

/* --- cache: one per engine; borrows the market --- */
typedef struct alc_indicator_cache alc_indicator_cache;

alc_indicator_cache *alc_indicator_cache_new(const alc_market *m);
void alc_indicator_cache_free(alc_indicator_cache *c);

/* The latest date the current evaluation can ask for (its top-level as-of
 * date).  Below it, a miss of a rolling-window indicator also computes the
 * following weekdays up to the horizon in one pass.  Default: no look-ahead. */
void alc_indicator_cache_set_horizon(alc_indicator_cache *c, alc_day horizon);

/* Index of the last bar of series `series_index` on or before `day`, or -1:
 * alc_series_last_at_or_before in O(1) through a per-series day table. */
int alc_indicator_bar_at(alc_indicator_cache *c, int series_index, alc_day day);

/* Daily returns close[j]/close[j-1] - 1 of a series in extended precision;
 * NaN at j = 0 and after a zero close.  Owned by the cache; NULL when out
 * of memory. */
const long double *alc_indicator_returns(alc_indicator_cache *c, int series_index);

/* Value of an indicator for market series `series_index` at `as_of`.
 * Errors: ALC_ERR_MARKET when no bar is visible in the period, the
 * kernel's errors otherwise.  Results are cached; caching never changes a
 * result. */
alc_status alc_indicator_value(alc_indicator_cache *c, int series_index, alc_day as_of,
                               const alc_indicator_args *a, double *out, alc_error *err);

#endif
