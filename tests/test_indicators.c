/* Indicator kernels on hand-computed series (SPEC 6). */
#include <math.h>
#include <string.h>

#include "alc_test.h"
#include "alchemiser/indicators.h"

static double kernel(alc_indicator ind, long w, const double *p, int n, alc_status *st)
{
    alc_indicator_args a = {.ind = ind, .w1 = w};
    alc_error err;
    double v = NAN;
    *st = alc_kernel(&a, p, n, "TEST", &v, &err);
    return v;
}

static void test_rolling_mean(void)
{
    double x[5] = {1, 2, 3, 4, 5};
    CU_ASSERT_DOUBLE_EQUAL(alc_rolling_mean_last(x, 5, 3), 4.0, 0);
    CU_ASSERT(isnan(alc_rolling_mean_last(x, 2, 3)));
    /* a run of equal values returns that value exactly (pandas' rule):
     * a naive sum/n of 200 copies of 0.1 is not exactly 0.1 */
    double c[200];
    for (int i = 0; i < 200; i++)
        c[i] = 0.1;
    CU_ASSERT(alc_rolling_mean_last(c, 200, 200) == 0.1);
    double naive = 0;
    for (int i = 0; i < 200; i++)
        naive += c[i];
    CU_ASSERT(naive / 200 != 0.1);
    /* NaN at the head (pct_change) is skipped */
    double r[4] = {NAN, 1, 2, 3};
    CU_ASSERT_DOUBLE_EQUAL(alc_rolling_mean_last(r, 4, 3), 2.0, 0);
    CU_ASSERT(isnan(alc_rolling_mean_last(r, 3, 3)));
}

static void test_rolling_var(void)
{
    double x[4] = {1, 2, 3, 4};
    CU_ASSERT_DOUBLE_EQUAL(alc_rolling_var_last(x, 4, 4, 1), 5.0 / 3.0, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(alc_rolling_var_last(x, 4, 4, 0), 1.25, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(alc_rolling_var_last(x, 4, 2, 0), 0.25, 1e-15);
    double c[50];
    for (int i = 0; i < 50; i++)
        c[i] = i < 20 ? 1.0 + i : 0.3;
    CU_ASSERT(alc_rolling_var_last(c, 50, 10, 0) == 0.0); /* exactly 0, not 1e-30 */
    CU_ASSERT(isnan(alc_rolling_var_last(x, 1, 1, 1)));    /* nobs <= ddof */
}

static void test_ewm(void)
{
    double x[3] = {1, 2, 2}, y[4];
    alc_ewm_series(x, 3, 1.0, y); /* alpha 0.5 */
    CU_ASSERT_DOUBLE_EQUAL(y[0], 1.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(y[1], 1.5, 0);
    CU_ASSERT_DOUBLE_EQUAL(y[2], 1.75, 0);
    double h[4] = {NAN, NAN, 4, 8};
    alc_ewm_series(h, 4, 1.0, y);
    CU_ASSERT(isnan(y[1]));
    CU_ASSERT_DOUBLE_EQUAL(y[2], 4.0, 0); /* the first observation seeds */
    CU_ASSERT_DOUBLE_EQUAL(y[3], 6.0, 0);
}

static void test_rsi(void)
{
    alc_status st;
    double p[3] = {1, 2, 1};
    /* alpha 1/2: G = .5 then .25; L = 0 then .5 -> 100 - 100/1.5 */
    CU_ASSERT_DOUBLE_EQUAL(kernel(ALC_IND_RSI, 2, p, 3, &st), 100.0 - 100.0 / 1.5, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(kernel(ALC_IND_RSI, 14, p, 3, &st), 50.0, 0); /* n < w */
    double up[20], flat[20];
    for (int i = 0; i < 20; i++) {
        up[i] = 10 + i;
        flat[i] = 7;
    }
    CU_ASSERT_DOUBLE_EQUAL(kernel(ALC_IND_RSI, 10, up, 20, &st), 100.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(kernel(ALC_IND_RSI, 10, flat, 20, &st), 50.0, 0);
    kernel(ALC_IND_RSI, 0, p, 3, &st);
    CU_ASSERT_EQUAL(st, ALC_ERR_VALUE);
}

static void test_short_data_rules(void)
{
    alc_status st;
    double p[5] = {100, 110, 121, 110, 130};
    /* moving-average-price: n < w is an error */
    kernel(ALC_IND_SMA, 6, p, 5, &st);
    CU_ASSERT_EQUAL(st, ALC_ERR_EVAL);
    CU_ASSERT_DOUBLE_EQUAL(kernel(ALC_IND_SMA, 5, p, 5, &st), 114.2, 1e-12);
    /* exponential-moving-average-price: n < w error */
    kernel(ALC_IND_EMA, 6, p, 5, &st);
    CU_ASSERT_EQUAL(st, ALC_ERR_EVAL);
    /* moving-average-return and stdev-return: n < w -> 0, n == w -> error */
    CU_ASSERT_DOUBLE_EQUAL(kernel(ALC_IND_MAR, 6, p, 5, &st), 0.0, 0);
    CU_ASSERT_EQUAL(st, ALC_OK);
    kernel(ALC_IND_MAR, 5, p, 5, &st);
    CU_ASSERT_EQUAL(st, ALC_ERR_EVAL);
    kernel(ALC_IND_STDEV_RETURN, 5, p, 5, &st);
    CU_ASSERT_EQUAL(st, ALC_ERR_EVAL);
    CU_ASSERT_DOUBLE_EQUAL(kernel(ALC_IND_MAR, 2, p, 5, &st), ((130.0 / 110 - 1) + (110.0 / 121 - 1)) / 2 * 100, 1e-12);
    /* cumulative-return: n <= w -> 0 */
    CU_ASSERT_DOUBLE_EQUAL(kernel(ALC_IND_CUMRET, 5, p, 5, &st), 0.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(kernel(ALC_IND_CUMRET, 2, p, 3, &st), 21.0, 1e-12);
    /* stdev-price: window 1 -> error; n < w -> 0 */
    kernel(ALC_IND_STDEV_PRICE, 1, p, 5, &st);
    CU_ASSERT_EQUAL(st, ALC_ERR_EVAL);
    CU_ASSERT_DOUBLE_EQUAL(kernel(ALC_IND_STDEV_PRICE, 9, p, 5, &st), 0.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(kernel(ALC_IND_STDEV_PRICE, 2, p, 5, &st), sqrt(200.0), 1e-12);
    /* stdev-return annualised percent: returns +10%, -10% -> std 10 */
    double q[3] = {100, 110, 99};
    CU_ASSERT_DOUBLE_EQUAL(kernel(ALC_IND_STDEV_RETURN, 2, q, 3, &st), 10.0 * sqrt(252.0), 1e-9);
}

static void test_max_drawdown(void)
{
    alc_status st;
    double p[4] = {100, 120, 90, 100};
    CU_ASSERT_DOUBLE_EQUAL(kernel(ALC_IND_MAX_DRAWDOWN, 4, p, 4, &st), 25.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(kernel(ALC_IND_MAX_DRAWDOWN, 9, p, 4, &st), 0.0, 0);
    double up[3] = {1, 2, 3};
    double v = kernel(ALC_IND_MAX_DRAWDOWN, 3, up, 3, &st);
    CU_ASSERT(v == 0.0 && signbit(v)); /* -0.0, as the reference */
}

static void test_ppo(void)
{
    alc_status st;
    alc_error err;
    double p[60];
    for (int i = 0; i < 60; i++)
        p[i] = 100 + i;
    alc_indicator_args a = {.ind = ALC_IND_PPO, .w1 = 12, .w2 = 26};
    double v;
    CU_ASSERT(alc_kernel(&a, p, 60, "T", &v, &err) == ALC_OK);
    CU_ASSERT(v > 0); /* rising prices: short EMA above long EMA */
    CU_ASSERT(alc_kernel(&a, p, 20, "T", &v, &err) == ALC_OK && v == 0.0); /* n < long */
    a.w1 = 26;
    CU_ASSERT(alc_kernel(&a, p, 60, "T", &v, &err) == ALC_ERR_EVAL); /* short >= long */
    alc_indicator_args s = {.ind = ALC_IND_PPO_SIGNAL, .w1 = 12, .w2 = 26, .w3 = 9};
    CU_ASSERT(alc_kernel(&s, p, 34, "T", &v, &err) == ALC_OK && v == 0.0); /* n < long + smooth */
    CU_ASSERT(alc_kernel(&s, p, 60, "T", &v, &err) == ALC_OK && v > 0);
    (void)st;
}

/* PPO, PPO signal, EMA and current price on a five-bar series, by hand
 * (SPEC 6.4, 6.10, 6.12): EWM spans 2 and 3 give a = 2/3 and 1/2, so
 * E2 = 1, 5/3, 29/9, 101/27, 533/81 and E3 = 1, 3/2, 11/4, 27/8, 91/16. */
static void test_ppo_by_hand(void)
{
    double p[5] = {1, 2, 4, 4, 8};
    alc_error err;
    double v;
    alc_indicator_args a = {.ind = ALC_IND_PPO, .w1 = 2, .w2 = 3};
    CU_ASSERT(alc_kernel(&a, p, 3, "T", &v, &err) == ALC_OK);
    CU_ASSERT_DOUBLE_EQUAL(v, 1700.0 / 99.0, 1e-12); /* 100 (29/9 - 11/4) / (11/4) */
    CU_ASSERT(alc_kernel(&a, p, 5, "T", &v, &err) == ALC_OK);
    CU_ASSERT_DOUBLE_EQUAL(v, 100.0 * (1157.0 / 1296.0) / (91.0 / 16.0), 1e-12);
    CU_ASSERT(alc_kernel(&a, p, 2, "T", &v, &err) == ALC_OK && v == 0.0); /* n < long */
    /* signal, smooth 2: EWM(a = 2/3) of PPO[2..4], seeded with PPO[2] */
    double ppo2 = 1700.0 / 99.0, ppo3 = 100.0 * (79.0 / 216.0) / (27.0 / 8.0),
           ppo4 = 100.0 * (1157.0 / 1296.0) / (91.0 / 16.0);
    double sig = (ppo2 / 3 + 2 * ppo3 / 3);
    sig = sig / 3 + 2 * ppo4 / 3;
    alc_indicator_args s = {.ind = ALC_IND_PPO_SIGNAL, .w1 = 2, .w2 = 3, .w3 = 2};
    CU_ASSERT(alc_kernel(&s, p, 5, "T", &v, &err) == ALC_OK);
    CU_ASSERT_DOUBLE_EQUAL(v, sig, 1e-12);
    CU_ASSERT(alc_kernel(&s, p, 4, "T", &v, &err) == ALC_OK && v == 0.0); /* n < long + smooth */
    /* EMA span 3 at the last bar; its first two values are masked */
    alc_indicator_args e = {.ind = ALC_IND_EMA, .w1 = 3};
    CU_ASSERT(alc_kernel(&e, p, 5, "T", &v, &err) == ALC_OK);
    CU_ASSERT_DOUBLE_EQUAL(v, 91.0 / 16.0, 1e-12);
    CU_ASSERT(alc_kernel(&e, p, 2, "T", &v, &err) != ALC_OK); /* n < w: error */
    alc_indicator_args c = {.ind = ALC_IND_CURRENT_PRICE};
    CU_ASSERT(alc_kernel(&c, p, 4, "T", &v, &err) == ALC_OK && v == 4.0);
}

static void test_periods(void)
{
    alc_indicator_args a = {.ind = ALC_IND_SMA, .w1 = 200};
    CU_ASSERT_EQUAL(alc_indicator_period_days(&a), 365);
    a.w1 = 229;
    CU_ASSERT_EQUAL(alc_indicator_period_days(&a), 365);
    a.w1 = 230;
    CU_ASSERT_EQUAL(alc_indicator_period_days(&a), 730);
    a.ind = ALC_IND_MAR;
    a.w1 = 219;
    CU_ASSERT_EQUAL(alc_indicator_period_days(&a), 365);
    a.w1 = 220;
    CU_ASSERT_EQUAL(alc_indicator_period_days(&a), 730);
    a.ind = ALC_IND_RSI;
    CU_ASSERT_EQUAL(alc_indicator_period_days(&a), 0);
    a.ind = ALC_IND_CURRENT_PRICE;
    CU_ASSERT_EQUAL(alc_indicator_period_days(&a), 365);
}

/* A price series with what the kernels' special cases need: trends, noise,
 * runs of equal prices (the constant-run rules), so that returns are
 * sometimes 0, negative or repeated. */
static void test_series(double *p, int n, unsigned seed)
{
    double x = 100;
    for (int i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        int r = (int)((seed >> 16) % 100);
        if (r < 20 && i > 0)
            x = p[i - 1]; /* a run of equal prices */
        else
            x *= 1.0 + ((double)r - 49.5) / 2000.0;
        p[i] = x;
    }
}

/* Rolling indicators at up to 8 as-of points at once (the chains run as
 * vector lanes) must give, bit for bit, what one point at a time gives. */
static void test_rolling_block_lanes(void)
{
    double p[700];
    test_series(p, 700, 7u);
    const alc_indicator ind[] = {ALC_IND_SMA, ALC_IND_MAR, ALC_IND_STDEV_RETURN, ALC_IND_STDEV_PRICE};
    const long windows[] = {2, 3, 5, 14, 21, 60, 200};
    long compared = 0, mismatched = 0;
    for (size_t i = 0; i < sizeof ind / sizeof ind[0]; i++)
        for (size_t wi = 0; wi < sizeof windows / sizeof windows[0]; wi++)
            for (int K = 2; K <= 8; K++)
                for (int base = 0; base < 400; base += 37) {
                    alc_indicator_args a = {.ind = ind[i], .w1 = windows[wi]};
                    int starts[8], ns[8];
                    for (int k = 0; k < K; k++) { /* consecutive as-of days, periods of ~261 bars */
                        starts[k] = base + k + (k % 3 == 2);
                        ns[k] = 261 - (k % 2);
                    }
                    double block[8];
                    CU_ASSERT_FATAL(alc_kernel_rolling_block(&a, p, starts, ns, K, block) == 0);
                    for (int k = 0; k < K; k++) {
                        double one;
                        CU_ASSERT_FATAL(alc_kernel_rolling_block(&a, p, &starts[k], &ns[k], 1, &one) == 0);
                        int same = memcmp(&one, &block[k], sizeof one) == 0 || (one != one && block[k] != block[k]);
                        mismatched += !same;
                        compared++;
                    }
                }
    CU_ASSERT(compared > 5000);
    CU_ASSERT_EQUAL(mismatched, 0);
}

/* PPO and its signal at up to 8 as-of points at once (vector lanes) must
 * give, bit for bit, what alc_kernel gives for each point alone. */
static void test_ppo_block_lanes(void)
{
    double p[700];
    test_series(p, 700, 5u);
    long compared = 0, mismatched = 0, skipped = 0;
    for (int ind = ALC_IND_PPO; ind <= ALC_IND_PPO_SIGNAL; ind++)
        for (long sw = 2; sw < 30; sw += 9)
            for (long lw = sw + 1; lw < 80; lw += 19)
                for (long sm = 2; sm < 14; sm += 5)
                    for (int K = 2; K <= 8; K += 3)
                        for (int base = 0; base < 400; base += 97) {
                            alc_indicator_args a = {.ind = (alc_indicator)ind, .w1 = sw, .w2 = lw, .w3 = sm};
                            int starts[8], ns[8];
                            for (int k = 0; k < K; k++) {
                                starts[k] = base + k + (k % 3 == 2);
                                ns[k] = 261 - (k % 2);
                            }
                            double block[8];
                            int r = alc_kernel_ppo_block(&a, p, starts, ns, K, block);
                            CU_ASSERT_FATAL(r >= 0);
                            if (r == 1) {
                                skipped++;
                                continue;
                            }
                            for (int k = 0; k < K; k++) {
                                alc_error err;
                                double one = NAN;
                                alc_status st = alc_kernel(&a, p + starts[k], ns[k], "T", &one, &err);
                                int same = st == ALC_OK ? memcmp(&one, &block[k], sizeof one) == 0
                                                        : block[k] != block[k];
                                mismatched += !same;
                                compared++;
                            }
                        }
    CU_ASSERT(compared > 2000);
    CU_ASSERT_EQUAL(mismatched, 0);
    /* short of bars or invalid windows: left to alc_kernel */
    alc_indicator_args a = {.ind = ALC_IND_PPO_SIGNAL, .w1 = 12, .w2 = 26, .w3 = 9};
    int starts[2] = {0, 1}, ns[2] = {30, 40};
    double v[2];
    CU_ASSERT_EQUAL(alc_kernel_ppo_block(&a, p, starts, ns, 2, v), 1);
    a.w1 = 26;
    ns[0] = 100;
    ns[1] = 100;
    CU_ASSERT_EQUAL(alc_kernel_ppo_block(&a, p, starts, ns, 2, v), 1);
    (void)skipped;
}

/* PPO and its signal, computed in one pass, against the three full EWM
 * series of SPEC 6.12 built with alc_ewm_series. */
static void test_ppo_one_pass(void)
{
    double p[400], es[400], el[400], ppo[400], sig[400];
    test_series(p, 400, 11u);
    long bad = 0, compared = 0;
    for (long sw = 2; sw < 20; sw += 3)
        for (long lw = sw + 1; lw < 60; lw += 7)
            for (long sm = 2; sm < 12; sm += 3)
                for (int n = 1; n <= 400; n += 23) {
                    alc_ewm_series(p, n, (double)(sw - 1) / 2.0, es);
                    alc_ewm_series(p, n, (double)(lw - 1) / 2.0, el);
                    for (int i = 0; i < n; i++)
                        ppo[i] = i < lw - 1 ? NAN : 100.0 * (es[i] - el[i]) / el[i];
                    alc_ewm_series(ppo, n, (double)(sm - 1) / 2.0, sig);
                    double want_ppo = n < lw ? 0.0 : ppo[n - 1];
                    double want_sig = n < lw + sm ? 0.0 : (n - 1 < lw + sm - 2 ? NAN : sig[n - 1]);
                    alc_error err;
                    double v;
                    alc_indicator_args a = {.ind = ALC_IND_PPO, .w1 = sw, .w2 = lw};
                    alc_status st = alc_kernel(&a, p, n, "T", &v, &err);
                    bad += want_ppo == want_ppo ? (st != ALC_OK || memcmp(&v, &want_ppo, sizeof v) != 0) : st == ALC_OK;
                    alc_indicator_args g = {.ind = ALC_IND_PPO_SIGNAL, .w1 = sw, .w2 = lw, .w3 = sm};
                    st = alc_kernel(&g, p, n, "T", &v, &err);
                    bad += want_sig == want_sig ? (st != ALC_OK || memcmp(&v, &want_sig, sizeof v) != 0) : st == ALC_OK;
                    compared += 2;
                }
    CU_ASSERT(compared > 5000);
    CU_ASSERT_EQUAL(bad, 0);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    ALC_ADD_SUITE("indicators", {"rolling mean (pandas online)", test_rolling_mean},
                  {"rolling variance", test_rolling_var}, {"ewm adjust=False", test_ewm},
                  {"rsi", test_rsi}, {"short-data rules", test_short_data_rules},
                  {"max drawdown", test_max_drawdown}, {"ppo and signal", test_ppo},
                  {"ppo, signal, ema, price by hand", test_ppo_by_hand},
                  {"bar periods", test_periods},
                  {"rolling blocks: vector lanes = one point at a time", test_rolling_block_lanes},
                  {"ppo in one pass = three ewm series", test_ppo_one_pass},
                  {"ppo blocks: vector lanes = one point at a time", test_ppo_block_lanes});
    return alc_test_run();
}
