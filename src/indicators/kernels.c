/* Indicator kernels: the reference engine's pandas computations, operation
 * for operation, so that every indicator value is the same double and every
 * decision (comparison, ranking) comes out the same.  See SPEC 6.2-6.13.
 * Build with -ffp-contract=off: a fused multiply-add would change bits. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alchemiser/indicators.h"

static const char *const names[ALC_IND_COUNT] = {
    "rsi", "current-price", "moving-average-price", "moving-average-return",
    "cumulative-return", "exponential-moving-average-price", "stdev-return",
    "stdev-price", "max-drawdown", "percentage-price-oscillator",
    "percentage-price-oscillator-signal",
};

const char *alc_indicator_name(alc_indicator ind)
{
    return (ind >= 0 && ind < ALC_IND_COUNT) ? names[ind] : "?";
}

/* ---- pandas rolling mean and variance, several chains in lockstep ------
 *
 * pandas runs its online algorithms from the first bar an indicator sees, so
 * the value at a date depends (in the last bits) on where that date's period
 * starts: every as-of date is its own chain.  The algorithms are serial
 * (each step divides by the running count), so K independent chains are run
 * in lockstep: the CPU overlaps them, and each keeps exactly pandas' order of
 * operations.  Chain k covers x[starts[k] .. starts[k] + lens[k] - 1]; with
 * nan_head its first element reads as NaN (the head of pct_change). */

#define MAX_CHAINS 8

static inline double chain_value(const double *x, int start, int t, int nan_head)
{
    return (t == 0 && nan_head) ? NAN : x[start + t];
}

typedef struct mean_state {
    double sum, comp_add, comp_rem, prev;
    long nobs, neg, same;
} mean_state;

static inline void mean_add(mean_state *st, double v)
{
    if (v != v)
        return;
    st->nobs++;
    double y = v - st->comp_add, t = st->sum + y;
    st->comp_add = t - st->sum - y;
    st->sum = t;
    if (signbit(v))
        st->neg++;
    if (v == st->prev)
        st->same++;
    else
        st->same = 1;
    st->prev = v;
}

static inline void mean_remove(mean_state *st, double v)
{
    if (v != v)
        return;
    st->nobs--;
    double y = -v - st->comp_rem, t = st->sum + y;
    st->comp_rem = t - st->sum - y;
    st->sum = t;
    if (signbit(v))
        st->neg--;
}

static double mean_result(const mean_state *st, int w)
{
    if (st->nobs < w || st->nobs <= 0)
        return NAN;
    double r = st->sum / (double)st->nobs;
    if (st->same >= st->nobs)
        r = st->prev;
    else if (st->neg == 0 && r < 0)
        r = 0;
    else if (st->neg == st->nobs && r > 0)
        r = 0;
    return r;
}

typedef struct var_state {
    double mean, ssq, comp_add, comp_rem, prev;
    long nobs, same;
} var_state;

static inline void var_add(var_state *st, double v)
{
    if (v != v)
        return;
    if (v == st->prev)
        st->same++;
    else
        st->same = 1;
    st->prev = v;
    st->nobs++;
    double prev_mean = st->mean - st->comp_add;
    double y = v - st->comp_add;
    double t = y - st->mean;
    st->comp_add = t + st->mean - y;
    st->mean = st->mean + t / (double)st->nobs;
    st->ssq += (v - prev_mean) * (v - st->mean);
}

static inline void var_remove(var_state *st, double v)
{
    if (v != v)
        return;
    st->nobs--;
    if (st->nobs) {
        double prev_mean = st->mean - st->comp_rem;
        double y = v - st->comp_rem;
        double t = y - st->mean;
        st->comp_rem = t + st->mean - y;
        st->mean = st->mean - t / (double)st->nobs;
        st->ssq -= (v - prev_mean) * (v - st->mean);
    } else {
        st->mean = 0;
        st->ssq = 0;
    }
}

static double var_result(const var_state *st, int w, int ddof)
{
    long minp = w > 1 ? w : 1;
    if (st->nobs < minp || st->nobs <= ddof)
        return NAN;
    if (st->nobs == 1 || st->same >= st->nobs)
        return 0.0;
    return st->ssq / (double)(st->nobs - ddof);
}

/* The lockstep driver shared by rolling mean (ddof < 0) and variance. */
typedef union roll_state {
    mean_state m;
    var_state v;
} roll_state;

static inline void roll_add(roll_state *st, int is_var, double v)
{
    if (is_var)
        var_add(&st->v, v);
    else
        mean_add(&st->m, v);
}

static void rolling_multi(const double *x, const int *starts, const int *lens, int K, int w, int ddof,
                          int nan_head, double *out)
{
    const int is_var = ddof >= 0;
    roll_state st[MAX_CHAINS];
    int maxlen = 0;
    for (int k = 0; k < K; k++) {
        out[k] = NAN;
        if (lens[k] > maxlen)
            maxlen = lens[k];
    }
    for (int t = 0; t < maxlen; t++) {
        int s = t + 1 - w > 0 ? t + 1 - w : 0;
        for (int k = 0; k < K; k++) {
            if (t >= lens[k])
                continue;
            if (t == 0 || s >= t) {
                /* fresh window (the first step, or window 1) */
                memset(&st[k], 0, sizeof st[k]);
                double first = chain_value(x, starts[k], s, nan_head);
                if (is_var)
                    st[k].v.prev = first;
                else
                    st[k].m.prev = first;
                for (int j = s; j <= t; j++)
                    roll_add(&st[k], is_var, chain_value(x, starts[k], j, nan_head));
            } else {
                if (t - w >= 0) {
                    double old = chain_value(x, starts[k], t - w, nan_head);
                    if (is_var)
                        var_remove(&st[k].v, old);
                    else
                        mean_remove(&st[k].m, old);
                }
                roll_add(&st[k], is_var, chain_value(x, starts[k], t, nan_head));
            }
            if (t == lens[k] - 1)
                out[k] = is_var ? var_result(&st[k].v, w, ddof) : mean_result(&st[k].m, w);
        }
    }
}

/* The same computation with the chains as vector lanes (GCC vector
 * extensions, 4 lanes: two SSE2 registers, or one AVX register), the 8
 * chains as two such vectors side by side.  Every lane performs exactly the
 * scalar code's IEEE operations in the same order; only the bookkeeping
 * (count of values, window position) is shared, which needs every chain
 * to see the same pattern of NaNs (none, or only pct_change's NaN head) and
 * a window of at least 2.  The run counter is only ever compared with the
 * count, so it is recovered at the end from the values.  Returns 0 when it
 * cannot run (the caller uses rolling_multi), 1 when out[] is filled, -1
 * when out of memory. */
#define LANES 4
#define HALVES (MAX_CHAINS / LANES)
typedef double vd __attribute__((vector_size(LANES * sizeof(double))));
/* counters in unsigned lanes: a logical shift exists on every x86 level,
 * a 64-bit arithmetic one only with AVX-512 */
typedef unsigned long long vu __attribute__((vector_size(LANES * sizeof(unsigned long long))));

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
/* AVX holds 4 lanes in one register instead of two (half the
 * instructions, half the divisions); chosen at load time, the same bits
 * either way (no FMA: -ffp-contract=off, and fma is not among the targets) */
#define LANES_TARGETS __attribute__((target_clones("avx2", "default")))
#else
#define LANES_TARGETS
#endif

/* element t of chain k in the side-by-side layout */
#define ROW(rows, t, k) (((double *)(rows))[(size_t)(t) * MAX_CHAINS + (size_t)(k)])

/* The longest chain and the last step before any chain ends. */
static void lanes_extent(const int *lens, int K, int *maxlen, int *first_end)
{
    *maxlen = 0;
    *first_end = INT_MAX;
    for (int k = 0; k < K; k++) {
        if (lens[k] > *maxlen)
            *maxlen = lens[k];
        if (lens[k] - 1 < *first_end)
            *first_end = lens[k] - 1;
    }
}

/* Chains side by side, for the lanes: row t holds every chain's t-th value
 * (past a chain's end its last value again; unused lanes copy chain 0).
 * Aligned for vector loads; NULL when out of memory; free() it. */
static vd (*lanes_load(const double *x, const int *starts, const int *lens, int K, int maxlen))[HALVES]
{
    vd(*rows)[HALVES] = aligned_alloc(sizeof(vd), (size_t)maxlen * sizeof *rows);
    if (!rows)
        return NULL;
    for (int k = 0; k < MAX_CHAINS; k++) {
        int kk = k < K ? k : 0;
        const double *src = x + starts[kk];
        int n = lens[kk];
        double *lane = &ROW(rows, 0, k);
        for (int t = 0; t < n; t++)
            lane[(size_t)t * MAX_CHAINS] = src[t];
        for (int t = n; t < maxlen; t++)
            lane[(size_t)t * MAX_CHAINS] = src[n - 1];
    }
    return rows;
}

/* where(x != y, a, b) lane by lane (the EWM's "update unless equal"); a
 * macro: a function returning an AVX vector would change the ABI */
#define LANES_SELECT_NE(out, x, y, a, b)                                                          \
    do {                                                                                          \
        vu m_ = (vu)((x) != (y)), a_, b_;                                                         \
        vd av_ = (a), bv_ = (b);                                                                  \
        memcpy(&a_, &av_, sizeof a_);                                                             \
        memcpy(&b_, &bv_, sizeof b_);                                                             \
        a_ = (a_ & m_) | (b_ & ~m_);                                                              \
        memcpy(&(out), &a_, sizeof a_);                                                           \
    } while (0)

LANES_TARGETS
static int rolling_multi_vec(const double *x, const int *starts, const int *lens, int K, int w, int ddof,
                             int nan_head, double *out)
{
    if (K < 2 || w < 2)
        return 0;
    int maxlen, first_end;
    lanes_extent(lens, K, &maxlen, &first_end);
    if (maxlen < 1 || first_end < 0)
        return 0;
    vd(*rows)[HALVES] = lanes_load(x, starts, lens, K, maxlen);
    if (!rows)
        return -1;
    if (nan_head) /* pct_change's head, whatever the array holds there */
        for (int k = 0; k < MAX_CHAINS; k++)
            ROW(rows, 0, k) = NAN;
    /* x - x is NaN exactly for a NaN or infinite x */
    vd bad[HALVES] = {{0}};
    for (int t = nan_head ? 1 : 0; t < maxlen; t++)
        for (int h = 0; h < HALVES; h++)
            bad[h] += rows[t][h] - rows[t][h];
    for (int k = 0; k < MAX_CHAINS; k++)
        if (((const double *)bad)[k] != 0) {
            free(rows);
            return 0;
        }
    const int is_var = ddof >= 0;
    /* mean: sum and neg; variance: sum is the running mean, and ssq */
    vd sum[HALVES] = {{0}}, comp_add[HALVES] = {{0}}, comp_rem[HALVES] = {{0}}, ssq[HALVES] = {{0}};
    vu neg[HALVES] = {{0}};
    long nobs = 0;
    for (int t = 0; t < maxlen; t++) {
        /* the value leaving the window, then the one entering (the scalar
         * code's fresh window at t == 0 removes nothing) */
        const int out_t = t - w;
        const int removes = t > 0 && out_t >= 0 && !(nan_head && out_t == 0);
        const int adds = !(nan_head && t == 0);
        if (removes) {
            nobs--;
            for (int h = 0; h < HALVES; h++) {
                vd v = rows[out_t][h];
                if (is_var) {
                    if (nobs) {
                        vd prev_mean = sum[h] - comp_rem[h];
                        vd y = v - comp_rem[h];
                        vd tt = y - sum[h];
                        comp_rem[h] = tt + sum[h] - y;
                        sum[h] = sum[h] - tt / (double)nobs;
                        ssq[h] -= (v - prev_mean) * (v - sum[h]);
                    } else {
                        sum[h] = (vd){0};
                        ssq[h] = (vd){0};
                    }
                } else {
                    vd y = -v - comp_rem[h], tt = sum[h] + y;
                    comp_rem[h] = tt - sum[h] - y;
                    sum[h] = tt;
                    vu bits;
                    memcpy(&bits, &v, sizeof bits);
                    neg[h] -= bits >> 63; /* the sign bit */
                }
            }
        }
        if (adds) {
            nobs++;
            for (int h = 0; h < HALVES; h++) {
                vd v = rows[t][h];
                if (is_var) {
                    vd prev_mean = sum[h] - comp_add[h];
                    vd y = v - comp_add[h];
                    vd tt = y - sum[h];
                    comp_add[h] = tt + sum[h] - y;
                    sum[h] = sum[h] + tt / (double)nobs;
                    ssq[h] += (v - prev_mean) * (v - sum[h]);
                } else {
                    vd y = v - comp_add[h], tt = sum[h] + y;
                    comp_add[h] = tt - sum[h] - y;
                    sum[h] = tt;
                    vu bits;
                    memcpy(&bits, &v, sizeof bits);
                    neg[h] += bits >> 63;
                }
            }
        }
        if (t < first_end)
            continue;
        for (int k = 0; k < K; k++) {
            if (t != lens[k] - 1)
                continue;
            /* the run of equal values ending at t, counted back over at
             * most nobs values (the NaN head never equals) */
            long same = 1;
            while (same < nobs && t - same >= 0 && ROW(rows, t - same, k) == ROW(rows, t - same + 1, k))
                same++;
            double lane_sum = ((const double *)sum)[k];
            if (is_var) {
                var_state st = {.mean = lane_sum, .ssq = ((const double *)ssq)[k], .prev = ROW(rows, t, k), .nobs = nobs, .same = same};
                out[k] = var_result(&st, w, ddof);
            } else {
                mean_state st = {.sum = lane_sum, .prev = ROW(rows, t, k), .nobs = nobs,
                                 .neg = (long)((const unsigned long long *)neg)[k], .same = same};
                out[k] = mean_result(&st, w);
            }
        }
    }
    free(rows);
    return 1;
}

static void rolling_mean_multi(const double *x, const int *starts, const int *lens, int K, int w,
                               int nan_head, double *out)
{
    if (rolling_multi_vec(x, starts, lens, K, w, -1, nan_head, out) != 1)
        rolling_multi(x, starts, lens, K, w, -1, nan_head, out);
}

static void rolling_var_multi(const double *x, const int *starts, const int *lens, int K, int w, int ddof,
                              int nan_head, double *out)
{
    if (rolling_multi_vec(x, starts, lens, K, w, ddof, nan_head, out) != 1)
        rolling_multi(x, starts, lens, K, w, ddof, nan_head, out);
}

double alc_rolling_mean_last(const double *x, int n, int w)
{
    if (n <= 0 || w <= 0)
        return NAN;
    int start = 0;
    double out;
    rolling_mean_multi(x, &start, &n, 1, w, 0, &out);
    return out;
}

double alc_rolling_var_last(const double *x, int n, int w, int ddof)
{
    if (n <= 0 || w <= 0)
        return NAN;
    int start = 0;
    double out;
    rolling_var_multi(x, &start, &n, 1, w, ddof, 0, &out);
    return out;
}

/* Rolling-window indicators at K as-of points of one series at once
 * (K <= 8).  Point k sees the bars close[starts[k] .. starts[k] + ns[k] - 1];
 * every point must have more than w bars, so no short-data rule applies and
 * the result is a number or NaN.  Returns -1 when out of memory. */
int alc_kernel_rolling_block(const alc_indicator_args *a, const double *close, const int *starts,
                             const int *ns, int K, double *out)
{
    int w = (int)a->w1;
    if (a->ind == ALC_IND_SMA || a->ind == ALC_IND_STDEV_PRICE) {
        if (a->ind == ALC_IND_SMA)
            rolling_mean_multi(close, starts, ns, K, w, 0, out);
        else
            rolling_var_multi(close, starts, ns, K, w, 1, 0, out);
        if (a->ind == ALC_IND_STDEV_PRICE)
            for (int k = 0; k < K; k++)
                out[k] = out[k] != out[k] ? out[k] : out[k] < 0 ? 0.0 : sqrt(out[k]);
        return 0;
    }
    /* pct_change over the union of the points' bars; each chain's first
     * return is NaN */
    int lo = starts[0], hi = starts[0] + ns[0];
    for (int k = 1; k < K; k++) {
        if (starts[k] < lo)
            lo = starts[k];
        if (starts[k] + ns[k] > hi)
            hi = starts[k] + ns[k];
    }
    int is_std = a->ind == ALC_IND_STDEV_RETURN;
    double *r = malloc((size_t)(hi - lo) * sizeof *r);
    if (!r)
        return -1;
    r[0] = NAN;
    for (int j = lo + 1; j < hi; j++) {
        double v = close[j] / close[j - 1] - 1.0;
        r[j - lo] = is_std ? v * 100.0 : v;
    }
    int rel[MAX_CHAINS] = {0};
    for (int k = 0; k < K; k++)
        rel[k] = starts[k] - lo;
    if (is_std) {
        rolling_var_multi(r, rel, ns, K, w, 0, 1, out);
        for (int k = 0; k < K; k++)
            out[k] = out[k] != out[k] ? out[k] : (out[k] < 0 ? 0.0 : sqrt(out[k])) * sqrt(252.0);
    } else {
        rolling_mean_multi(r, rel, ns, K, w, 1, out);
        for (int k = 0; k < K; k++)
            out[k] = out[k] * 100.0;
    }
    free(r);
    return 0;
}

/* ---- pandas ewm(adjust=False).mean() ---------------------------------- */

void alc_ewm_series(const double *x, int n, double com, double *out)
{
    if (n <= 0)
        return;
    const double alpha = 1.0 / (1.0 + com);
    const double old_wt_factor = 1.0 - alpha;
    const double new_wt = alpha;
    double weighted = x[0];
    double old_wt = 1.0;
    out[0] = weighted;
    for (int i = 1; i < n; i++) {
        double cur = x[i];
        int is_obs = cur == cur;
        if (weighted == weighted) {
            /* ignore_na=False: a NaN still decays the old weight */
            old_wt *= old_wt_factor;
            if (is_obs) {
                if (weighted != cur) {
                    weighted = old_wt * weighted + new_wt * cur;
                    weighted /= (old_wt + new_wt);
                }
                old_wt = 1.0;
            }
        } else if (is_obs) {
            weighted = cur;
        }
        out[i] = weighted;
    }
}

/* com for ewm(alpha=a) and ewm(span=s), as pandas derives them. */
static double com_from_alpha(double a) { return (1.0 - a) / a; }
static double com_from_span(double s) { return (s - 1.0) / 2.0; }

/* PPO's smoothing window (plain PPO: the signal's default 9, SPEC 6.12)
 * and the bars below which the short-data rule gives 0. */
static long ppo_smooth(const alc_indicator_args *a)
{
    return a->ind == ALC_IND_PPO_SIGNAL ? a->w3 : 9;
}

static long ppo_bars_needed(const alc_indicator_args *a)
{
    return a->ind == ALC_IND_PPO ? a->w2 : a->w2 + ppo_smooth(a);
}

/* The EWM weights of PPO's three spans (short, long, smoothing): new value
 * a*, old value f* = 1 - a* (alc_ewm_series with com = (span - 1) / 2). */
typedef struct ppo_weights {
    double as, fs, al, fl, ag, fg;
} ppo_weights;

static ppo_weights ppo_weights_of(long s, long l, long sm)
{
    ppo_weights w;
    w.as = 1.0 / (1.0 + com_from_span((double)s));
    w.fs = 1.0 - w.as;
    w.al = 1.0 / (1.0 + com_from_span((double)l));
    w.fl = 1.0 - w.al;
    w.ag = 1.0 / (1.0 + com_from_span((double)sm));
    w.fg = 1.0 - w.ag;
    return w;
}

int alc_kernel_block_point_ok(const alc_indicator_args *a, int n)
{
    switch (a->ind) {
    case ALC_IND_SMA:
    case ALC_IND_MAR:
    case ALC_IND_STDEV_RETURN:
    case ALC_IND_STDEV_PRICE:
        return a->w1 >= 2 && a->w1 <= 100000 && n > a->w1;
    case ALC_IND_PPO:
    case ALC_IND_PPO_SIGNAL: {
        long sm = ppo_smooth(a);
        return a->w1 > 0 && a->w1 < a->w2 && a->w2 <= 100000 && sm > 0 && sm <= 100000 &&
               n >= ppo_bars_needed(a);
    }
    default:
        return 0;
    }
}

/* PPO or PPO signal at K <= 8 as-of points (see indicators.h): ppo_value's
 * one-pass recurrences with the chains as vector lanes.  Each point needs
 * at least long (+ smooth for the signal) bars, so no short-data rule
 * applies; the NaN pattern of the PPO series is the same in every lane. */
LANES_TARGETS
static int ppo_lanes(const alc_indicator_args *a, const double *close, const int *starts, const int *ns,
                     int K, double *out)
{
    const long s = a->w1, l = a->w2, sm = ppo_smooth(a);
    int maxlen, first_end;
    lanes_extent(ns, K, &maxlen, &first_end);
    vd(*rows)[HALVES] = lanes_load(close, starts, ns, K, maxlen);
    if (!rows)
        return -1;
    const ppo_weights pw = ppo_weights_of(s, l, sm);
    const double as = pw.as, fs = pw.fs, al = pw.al, fl = pw.fl, ag = pw.ag, fg = pw.fg;
    const int want_signal = a->ind == ALC_IND_PPO_SIGNAL;
    vd es[HALVES], el[HALVES], ppo[HALVES], sig[HALVES];
    for (int h = 0; h < HALVES; h++) {
        es[h] = el[h] = rows[0][h];
        ppo[h] = 0 < l - 1 ? (vd){0} + NAN : 100.0 * (es[h] - el[h]) / el[h];
        sig[h] = ppo[h];
    }
    int sig_seeded = !(0 < l - 1); /* sig == sig, the same in every lane */
    double sig_old_wt = 1.0;
    for (int t = 0; t < maxlen; t++) {
        if (t > 0) {
            const int masked = t < l - 1;
            if (want_signal && sig_seeded)
                sig_old_wt *= fg;
            for (int h = 0; h < HALVES; h++) {
                vd x = rows[t][h];
                vd e1 = fs * es[h] + as * x;
                e1 /= (fs + as);
                LANES_SELECT_NE(es[h], es[h], x, e1, es[h]);
                vd e2 = fl * el[h] + al * x;
                e2 /= (fl + al);
                LANES_SELECT_NE(el[h], el[h], x, e2, el[h]);
                ppo[h] = masked ? (vd){0} + NAN : 100.0 * (es[h] - el[h]) / el[h];
                if (want_signal && !masked) {
                    if (sig_seeded) {
                        vd g = sig_old_wt * sig[h] + ag * ppo[h];
                        g /= (sig_old_wt + ag);
                        LANES_SELECT_NE(sig[h], sig[h], ppo[h], g, sig[h]);
                    } else {
                        sig[h] = ppo[h];
                    }
                }
            }
            if (want_signal && !masked) {
                sig_seeded = 1;
                sig_old_wt = 1.0;
            }
        }
        if (t < first_end)
            continue;
        for (int k = 0; k < K; k++)
            if (t == ns[k] - 1)
                out[k] = want_signal ? ((t < l + sm - 2) ? NAN : ((const double *)sig)[k])
                                     : ((const double *)ppo)[k];
    }
    free(rows);
    return 0;
}

int alc_kernel_ppo_block(const alc_indicator_args *a, const double *close, const int *starts, const int *ns,
                         int K, double *out)
{
    if (K < 2 || (a->ind != ALC_IND_PPO && a->ind != ALC_IND_PPO_SIGNAL))
        return 1;
    for (int k = 0; k < K; k++)
        if (!alc_kernel_block_point_ok(a, ns[k]))
            return 1;
    return ppo_lanes(a, close, starts, ns, K, out);
}

/* ---- kernels ----------------------------------------------------------- */

static alc_status window_error(alc_error *err, const alc_indicator_args *a)
{
    return alc_fail(err, ALC_ERR_VALUE, "%s: window must be positive", alc_indicator_name(a->ind));
}

double alc_rsi_series(const double *p, int n, long w, double *out)
{
    /* SPEC 6.3: EWM(alpha = 1/w, adjust=False) of gains and losses, seeded
     * with 0 at the first bar; 50 while fewer than w bars */
    double com = com_from_alpha(1.0 / (double)w);
    double alpha = 1.0 / (1.0 + com), f = 1.0 - alpha;
    double g = 0.0, l = 0.0, v = 50.0;
    for (int i = 0; i < n; i++) {
        if (i > 0) {
            double d = p[i] - p[i - 1];
            double gi = d > 0 ? d : 0.0;
            double li = d < 0 ? -d : -0.0;
            if (g != gi)
                g = (f * g + alpha * gi) / (f + alpha);
            if (l != li)
                l = (f * l + alpha * li) / (f + alpha);
        }
        if (i + 1 < w)
            v = 50.0;
        else if (l == 0)
            v = g > 0 ? 100.0 : 50.0;
        else
            v = 100.0 - 100.0 / (1.0 + g / l);
        if (out)
            out[i] = v;
    }
    return v;
}

double alc_ema_series(const double *p, int n, long w, double *out)
{
    /* SPEC 6.10: EWM(span = w, adjust=False) seeded with the first close */
    double com = com_from_span((double)w);
    double alpha = 1.0 / (1.0 + com), f = 1.0 - alpha;
    double y = n > 0 ? p[0] : 0.0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && y != p[i])
            y = (f * y + alpha * p[i]) / (f + alpha);
        if (out)
            out[i] = y;
    }
    return y;
}

static alc_status ppo_value(const alc_indicator_args *a, const double *p, int n,
                            const char *ticker, double *out, alc_error *err)
{
    long s = a->w1, l = a->w2, sm = ppo_smooth(a);
    if (s <= 0 || l <= 0 || sm <= 0)
        return window_error(err, a);
    if (s >= l)
        return alc_fail(err, ALC_ERR_EVAL, "%s: short window %ld must be below long window %ld",
                        alc_indicator_name(a->ind), s, l);
    if (n < ppo_bars_needed(a)) {
        *out = 0.0;
        return ALC_OK;
    }
    /* the three EWMs of alc_ewm_series (fast, slow, and the signal over
     * the PPO series) in one pass: only the last value is needed, and the
     * three independent recurrences overlap in the CPU */
    const ppo_weights pw = ppo_weights_of(s, l, sm);
    const double as = pw.as, fs = pw.fs, al = pw.al, fl = pw.fl, ag = pw.ag, fg = pw.fg;
    double es = p[0], el = p[0];
    double ppo = 0 < l - 1 ? NAN : 100.0 * (es - el) / el;
    double sig = ppo, sig_old_wt = 1.0;
    const int want_signal = a->ind == ALC_IND_PPO_SIGNAL;
    for (int i = 1; i < n; i++) {
        double x = p[i];
        if (es != x) { /* close prices are never NaN */
            es = fs * es + as * x;
            es /= (fs + as);
        }
        if (el != x) {
            el = fl * el + al * x;
            el /= (fl + al);
        }
        ppo = i < l - 1 ? NAN : 100.0 * (es - el) / el;
        if (want_signal) {
            if (sig == sig) {
                sig_old_wt *= fg;
                if (ppo == ppo) {
                    if (sig != ppo) {
                        sig = sig_old_wt * sig + ag * ppo;
                        sig /= (sig_old_wt + ag);
                    }
                    sig_old_wt = 1.0;
                }
            } else if (ppo == ppo) {
                sig = ppo;
            }
        }
    }
    double v = want_signal ? ((n - 1 < l + sm - 2) ? NAN : sig) : ppo;
    if (v != v)
        return alc_fail(err, ALC_ERR_EVAL, "No %s available for %s", alc_indicator_name(a->ind), ticker);
    *out = v;
    return ALC_OK;
}

alc_status alc_kernel(const alc_indicator_args *a, const double *p, int n,
                      const char *ticker, double *out, alc_error *err)
{
    long w = a->w1;
    if (a->ind != ALC_IND_CURRENT_PRICE && a->ind != ALC_IND_PPO && a->ind != ALC_IND_PPO_SIGNAL && w <= 0)
        return window_error(err, a);
    if (n <= 0)
        return alc_fail(err, ALC_ERR_MARKET, "No market data available for %s", ticker);
    switch (a->ind) {
    case ALC_IND_RSI:
        *out = alc_rsi_series(p, n, w, NULL);
        return ALC_OK;
    case ALC_IND_CURRENT_PRICE:
        *out = p[n - 1];
        return ALC_OK;
    case ALC_IND_SMA:
    case ALC_IND_MAR:
    case ALC_IND_STDEV_RETURN:
    case ALC_IND_STDEV_PRICE: {
        if (a->ind == ALC_IND_SMA && n < w)
            return alc_fail(err, ALC_ERR_EVAL, "Insufficient data for %s: need %ld bars, have %d bars",
                            ticker, w, n);
        if (a->ind != ALC_IND_SMA && n < w) {
            *out = 0.0;
            return ALC_OK;
        }
        int start = 0;
        double v;
        if (alc_kernel_rolling_block(a, p, &start, &n, 1, &v) != 0)
            return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
        if (v != v)
            return alc_fail(err, ALC_ERR_EVAL, "No %s available for %s window=%ld",
                            alc_indicator_name(a->ind), ticker, w);
        *out = v;
        return ALC_OK;
    }
    case ALC_IND_EMA:
        if (n < w)
            return alc_fail(err, ALC_ERR_EVAL, "No EMA available for %s window=%ld", ticker, w);
        *out = alc_ema_series(p, n, w, NULL);
        return ALC_OK;
    case ALC_IND_CUMRET:
        if (n <= w) {
            *out = 0.0;
            return ALC_OK;
        }
        *out = (p[n - 1] / p[n - 1 - w] - 1.0) * 100.0;
        return ALC_OK;
    case ALC_IND_MAX_DRAWDOWN: {
        if (n < w) {
            *out = 0.0;
            return ALC_OK;
        }
        const double *x = p + (n - w);
        double peak = x[0], worst = 0.0;
        int first = 1;
        for (long j = 0; j < w; j++) {
            if (x[j] > peak)
                peak = x[j];
            double dd = x[j] / peak - 1.0;
            if (first || dd < worst) {
                worst = dd;
                first = 0;
            }
        }
        *out = -worst * 100.0;
        return ALC_OK;
    }
    case ALC_IND_PPO:
    case ALC_IND_PPO_SIGNAL:
        return ppo_value(a, p, n, ticker, out, err);
    case ALC_IND_COUNT:
        break;
    }
    return alc_fail(err, ALC_ERR_INTERNAL, "unknown indicator %d", (int)a->ind);
}

/* SPEC 6.1: bars requested -> years -> calendar days. */
int alc_indicator_period_days(const alc_indicator_args *a)
{
    double bars;
    switch (a->ind) {
    case ALC_IND_RSI:
    case ALC_IND_EMA:
        return 0;
    case ALC_IND_SMA:
    case ALC_IND_MAX_DRAWDOWN:
        bars = a->w1 > 200 ? (double)a->w1 : 200.0;
        break;
    case ALC_IND_MAR:
    case ALC_IND_STDEV_RETURN:
    case ALC_IND_STDEV_PRICE:
    case ALC_IND_CUMRET:
        bars = a->w1 + 10 > 120 ? (double)(a->w1 + 10) : 120.0;
        break;
    case ALC_IND_CURRENT_PRICE:
        bars = 1;
        break;
    case ALC_IND_PPO:
    case ALC_IND_PPO_SIGNAL: {
        double b = (double)(a->w2 + ppo_smooth(a) + 20);
        bars = b > 100 ? b : 100.0;
        break;
    }
    default:
        return 0;
    }
    double years = ceil(ceil(1.1 * bars) / 252.0);
    if (years < 1)
        years = 1;
    if (years > 200)
        years = 200; /* more than any market holds; avoids overflow */
    return (int)years * 365;
}
