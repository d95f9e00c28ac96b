/* Backtest building blocks: evaluate a strategy on every trading day of a
 * range, turn daily target allocations into daily returns, and summarise a
 * return series (total return, CAGR, volatility, Sharpe, max drawdown,
 * turnover).
 *
 * Conventions (docs/backtest.md): the allocation computed at the close of
 * day t is held until the close of day t+1 (rebalanced at the close every
 * day); a ticker's daily return is close[t+1]/close[t] - 1 from the market's
 * closes (the last bar on or before each day); weights that sum to less than
 * 1 leave the rest in cash at 0 return; a day whose evaluation fails keeps
 * the previous day's holdings (cash before the first success).
 *
 * Ownership: alc_bt_day arrays are owned by the caller; functions here fill
 * caller-provided arrays or allocate what they document. */
#ifndef ALCHEMISER_BACKTEST_H
#define ALCHEMISER_BACKTEST_H

#include <stdint.h>

#include "alchemiser/date.h"
#include "alchemiser/engine.h"
#include "alchemiser/error.h"
#include "alchemiser/market.h"

/* One day's target allocation over market series indices. */
typedef struct alc_bt_day {
    int n;
    int32_t *series; /* market series indices, ascending */
    double *weight;
    int ok;          /* 0 when the evaluation failed (n = 0) */
} alc_bt_day;

void alc_bt_day_free(alc_bt_day *d);

/* The market's trading days in [from, to]: every date on which at least one
 * series has a bar.  *days is malloc'd (caller frees).  Returns the count. */
alc_status alc_bt_trading_days(const alc_market *m, alc_day from, alc_day to, alc_day **days, int *count,
                               alc_error *err);

/* Evaluate `p` at each of days[0..T-1] with `e`, filling out[0..T-1]
 * (allocation tickers mapped to market series; a ticker absent from the
 * market fails that day).  `errors` counts failed days; `first_error`
 * (may be NULL) receives the first failure.  Cancels cleanly on NOMEM. */
alc_status alc_bt_evaluate_range(alc_engine *e, const alc_market *m, const alc_program *p, const alc_day *days,
                                 int T, alc_bt_day *out, int *errors, alc_error *first_error, alc_error *err);

/* Daily returns, equity (starting at 1 before day 0) and one-way turnover
 * (sum |w_t - w_{t-1}| / 2) of holding alloc[t] from day t to day t+1.
 * ret[0] = 0 and turnover[0] = the initial purchase / 2. */
void alc_bt_returns(const alc_market *m, const alc_day *days, int T, const alc_bt_day *alloc, double *ret,
                    double *equity, double *turnover);

typedef struct alc_bt_metrics {
    int days;
    double total_return;   /* equity[T-1] - 1 */
    double cagr;           /* per calendar year (365.25 days) */
    double volatility;     /* stdev of daily returns (ddof 1) x sqrt(252) */
    double sharpe;         /* mean / stdev x sqrt(252), risk-free rate 0 */
    double max_drawdown;   /* largest fall from a peak, as a fraction */
    alc_day drawdown_peak; /* day of that peak */
    alc_day drawdown_trough;
    double turnover;       /* mean daily one-way turnover */
} alc_bt_metrics;

void alc_bt_metrics_compute(const alc_day *days, const double *ret, const double *equity,
                            const double *turnover, int T, alc_bt_metrics *out);

#endif
