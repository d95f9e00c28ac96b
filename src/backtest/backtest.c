/* Backtest building blocks: see include/alchemiser/backtest.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alchemiser/backtest.h"

void alc_bt_day_free(alc_bt_day *d)
{
    if (!d)
        return;
    free(d->series);
    free(d->weight);
    d->series = NULL;
    d->weight = NULL;
    d->n = 0;
}

alc_status alc_bt_trading_days(const alc_market *m, alc_day from, alc_day to, alc_day **days, int *count,
                               alc_error *err)
{
    *days = NULL;
    *count = 0;
    if (to < from)
        return alc_fail(err, ALC_ERR_USAGE, "the backtest range ends before it starts");
    size_t span = (size_t)(to - from) + 1;
    unsigned char *has = calloc(span, 1);
    if (!has)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    for (int i = 0; i < m->n; i++) {
        const alc_series *s = &m->series[i];
        int j = alc_series_first_after(s, (alc_day)(from - 1));
        for (; j < s->n && s->day[j] <= to; j++)
            has[s->day[j] - from] = 1;
    }
    int n = 0;
    for (size_t k = 0; k < span; k++)
        n += has[k];
    alc_day *out = malloc((size_t)(n ? n : 1) * sizeof *out);
    if (!out) {
        free(has);
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    }
    n = 0;
    for (size_t k = 0; k < span; k++)
        if (has[k])
            out[n++] = (alc_day)(from + (alc_day)k);
    free(has);
    if (n == 0) {
        free(out);
        return alc_fail(err, ALC_ERR_USAGE, "the market has no trading day in the backtest range");
    }
    *days = out;
    *count = n;
    return ALC_OK;
}

alc_status alc_bt_evaluate_range(alc_engine *e, const alc_market *m, const alc_program *p, const alc_day *days,
                                 int T, alc_bt_day *out, int *errors, alc_error *first_error, alc_error *err)
{
    *errors = 0;
    if (first_error)
        alc_error_clear(first_error);
    for (int t = 0; t < T; t++) {
        alc_bt_day *d = &out[t];
        memset(d, 0, sizeof *d);
        alc_allocation a = {0};
        alc_error ev;
        alc_status st = alc_engine_eval(e, p, days[t], &a, &ev);
        if (st == ALC_ERR_NOMEM) {
            *err = ev;
            return st;
        }
        if (st == ALC_OK) {
            d->series = malloc((size_t)(a.n ? a.n : 1) * sizeof *d->series);
            d->weight = malloc((size_t)(a.n ? a.n : 1) * sizeof *d->weight);
            if (!d->series || !d->weight) {
                alc_allocation_free(&a);
                alc_bt_day_free(d);
                return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
            }
            d->ok = 1;
            for (int i = 0; i < a.n && d->ok; i++) {
                int idx = alc_market_find(m, a.w[i].ticker);
                if (idx < 0) {
                    st = alc_fail_at(&ev, ALC_ERR_MARKET, alc_program_path(p), 0, 0,
                                     "ticker %s of the allocation is not in the market", a.w[i].ticker);
                    d->ok = 0;
                    break;
                }
                d->series[d->n] = idx;
                d->weight[d->n] = a.w[i].weight;
                d->n++;
            }
            /* tickers come sorted by name; series indices follow the
             * market's ticker order, which is the same strcmp order */
        }
        alc_allocation_free(&a);
        if (!d->ok) {
            alc_bt_day_free(d);
            d->ok = 0;
            if (*errors == 0 && first_error)
                *first_error = ev;
            (*errors)++;
        }
    }
    return ALC_OK;
}

/* Close of series i on day d (last bar on or before it), or NaN. */
static double close_on(const alc_market *m, int i, alc_day d)
{
    int j = alc_series_last_at_or_before(&m->series[i], d);
    return j < 0 ? NAN : m->series[i].close[j];
}

void alc_bt_returns(const alc_market *m, const alc_day *days, int T, const alc_bt_day *alloc, double *ret,
                    double *equity, double *turnover)
{
    const alc_bt_day *held = NULL; /* holdings carried into the day */
    double eq = 1.0;
    for (int t = 0; t < T; t++) {
        double r = 0.0;
        if (held && t > 0) {
            for (int k = 0; k < held->n; k++) {
                double c0 = close_on(m, held->series[k], days[t - 1]);
                double c1 = close_on(m, held->series[k], days[t]);
                if (c0 > 0 && c1 == c1)
                    r += held->weight[k] * (c1 / c0 - 1.0);
            }
        }
        eq *= 1.0 + r;
        ret[t] = r;
        equity[t] = eq;
        /* rebalance at today's close to today's allocation (or keep) */
        const alc_bt_day *next = alloc[t].ok ? &alloc[t] : held;
        double moved = 0.0;
        if (next != held) {
            /* both lists are sorted by series index: merge */
            int a = 0, b = 0;
            int na = held ? held->n : 0, nb = next ? next->n : 0;
            while (a < na || b < nb) {
                if (b >= nb || (a < na && held->series[a] < next->series[b])) {
                    moved += fabs(held->weight[a++]);
                } else if (a >= na || next->series[b] < held->series[a]) {
                    moved += fabs(next->weight[b++]);
                } else {
                    moved += fabs(next->weight[b++] - held->weight[a++]);
                }
            }
        }
        turnover[t] = moved / 2.0;
        held = next;
    }
}

void alc_bt_metrics_compute(const alc_day *days, const double *ret, const double *equity,
                            const double *turnover, int T, alc_bt_metrics *out)
{
    memset(out, 0, sizeof *out);
    out->days = T;
    if (T <= 0)
        return;
    out->total_return = equity[T - 1] - 1.0;
    double years = (double)(days[T - 1] - days[0]) / 365.25;
    out->cagr = years > 0 && equity[T - 1] > 0 ? pow(equity[T - 1], 1.0 / years) - 1.0 : NAN;
    /* returns of days 1..T-1 (day 0 has none) */
    int n = T - 1;
    double mean = 0, ss = 0;
    for (int t = 1; t < T; t++)
        mean += ret[t];
    mean = n > 0 ? mean / n : 0;
    for (int t = 1; t < T; t++)
        ss += (ret[t] - mean) * (ret[t] - mean);
    double sd = n > 1 ? sqrt(ss / (n - 1)) : NAN;
    out->volatility = sd * sqrt(252.0);
    out->sharpe = sd > 0 ? mean / sd * sqrt(252.0) : NAN;
    double peak = 1.0, worst = 0.0;
    alc_day peak_day = days[0], wpeak = days[0], wtrough = days[0];
    for (int t = 0; t < T; t++) {
        if (equity[t] > peak) {
            peak = equity[t];
            peak_day = days[t];
        }
        double dd = (peak - equity[t]) / peak;
        if (dd > worst) {
            worst = dd;
            wpeak = peak_day;
            wtrough = days[t];
        }
    }
    out->max_drawdown = worst;
    out->drawdown_peak = wpeak;
    out->drawdown_trough = wtrough;
    double tsum = 0;
    for (int t = 0; t < T; t++)
        tsum += turnover[t];
    out->turnover = tsum / T;
}
