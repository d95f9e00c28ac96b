/* Helpers shared by the engine's CUnit programs. */
#ifndef ALC_ENGINE_TEST_H
#define ALC_ENGINE_TEST_H

#include <stdio.h>
#include <string.h>

#include "alchemiser/engine.h"

/* Two evaluations came out the same: the same status and, on success, the
 * same tickers with bit-identical weights. */
static inline int alc_test_same_result(alc_status sa, const alc_allocation *a, alc_status sb,
                                       const alc_allocation *b)
{
    if (sa != sb || a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->w[i].ticker, b->w[i].ticker) != 0 || a->w[i].weight != b->w[i].weight)
            return 0;
    return 1;
}

/* Evaluate p at day with the warm engine and with a fresh one (no cache of
 * earlier evaluations); returns whether both agree, printing the day when
 * not.  The fresh result is left in *fresh and *fresh_st (the caller frees
 * it); -1 when an engine cannot be created. */
static inline int alc_test_warm_vs_fresh(alc_engine *warm, const alc_market *m, const alc_program *p,
                                         alc_day day, alc_allocation *fresh, alc_status *fresh_st)
{
    alc_engine *e = NULL;
    alc_error err, ea;
    *fresh = (alc_allocation){0};
    *fresh_st = ALC_ERR_NOMEM;
    if (alc_engine_new(m, &e, &err) != ALC_OK)
        return -1;
    alc_allocation a = {0};
    alc_status sa = alc_engine_eval(warm, p, day, &a, &ea);
    *fresh_st = alc_engine_eval(e, p, day, fresh, &err);
    int same = alc_test_same_result(sa, &a, *fresh_st, fresh);
    if (!same) {
        char ds[11];
        alc_format_date(day, ds);
        printf("\n  %s @ %s: the warm engine differs from a fresh one (%s)", alc_program_path(p), ds,
               *fresh_st == ALC_OK ? "fresh succeeded" : err.msg);
    }
    alc_allocation_free(&a);
    alc_engine_free(e);
    return same;
}

/* days[0 .. 2n): the n weekdays up to `last`, oldest first, then the same
 * newest first (a warm engine sees both directions). */
static inline void alc_test_weekdays_both_ways(alc_day last, int n, alc_day *days)
{
    int k = 0;
    for (alc_day d = last; k < n; d--)
        if (alc_weekday(d) < 5)
            days[n - 1 - k++] = d;
    for (int i = 0; i < n; i++)
        days[n + i] = days[n - 1 - i];
}

/* p at days[0 .. n) with one warm engine against a fresh engine per day:
 * returns the number of days where the two differ (each printed), -1 when
 * an engine cannot be created.  *changes counts the days whose (fresh)
 * result differs from days[0]'s, so that a caller can check that its
 * strategy really moves; *hits is the warm engine's cache hits. */
static inline int alc_test_warm_vs_fresh_days(const alc_market *m, const alc_program *p, const alc_day *days,
                                              int n, int *changes, long *hits)
{
    alc_engine *warm = NULL;
    alc_error err;
    *changes = 0;
    *hits = 0;
    if (alc_engine_new(m, &warm, &err) != ALC_OK)
        return -1;
    int differs = 0;
    alc_allocation first = {0};
    alc_status first_st = ALC_OK;
    for (int k = 0; k < n && differs >= 0; k++) {
        alc_allocation b;
        alc_status sb;
        int same = alc_test_warm_vs_fresh(warm, m, p, days[k], &b, &sb);
        if (same < 0) {
            differs = -1;
        } else {
            differs += !same;
            if (k == 0) {
                first = b;
                first_st = sb;
                continue;
            }
            *changes += !alc_test_same_result(sb, &b, first_st, &first);
        }
        alc_allocation_free(&b);
    }
    alc_allocation_free(&first);
    alc_engine_stats stats;
    alc_engine_get_stats(warm, &stats);
    *hits = stats.body_hits;
    alc_engine_free(warm);
    return differs;
}

#endif
