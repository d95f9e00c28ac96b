/* Backtest assembly and outputs: per-strategy and consolidated returns and
 * metrics, the HDF5 result file (layout in docs/backtest.md), and the
 * summary on stdout (a table, or JSON with --json). */
#include <errno.h>
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alchemiser/h5util.h"
#include "alchemiser/json.h"
#include "backtest/bt_internal.h"

#define BT_SCHEMA_VERSION 1

/* ---- assembly ------------------------------------------------------------- */

static alc_status returns_of(bt_context *ctx, const alc_bt_day *days, double **out, alc_bt_metrics *m,
                             alc_error *err)
{
    double *r = malloc(3 * (size_t)ctx->T * sizeof *r);
    if (!r)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    alc_bt_returns(ctx->market, ctx->days, ctx->T, days, r, r + ctx->T, r + 2 * ctx->T);
    alc_bt_metrics_compute(ctx->days, r, r + ctx->T, r + 2 * ctx->T, ctx->T, m);
    *out = r;
    return ALC_OK;
}

alc_status bt_assemble(bt_context *ctx, alc_error *err)
{
    int S = ctx->job->n_strategies, T = ctx->T, N = ctx->market->n;
    alc_status st;
    for (int s = 0; s < S; s++)
        if ((st = returns_of(ctx, ctx->strategies[s].days, &ctx->strategies[s].ret, &ctx->strategies[s].metrics,
                             err)))
            return st;
    /* consolidated: each strategy's holdings (its last successful day's
     * allocation) scaled by its allocation, summed in job-file order */
    ctx->portfolio = calloc((size_t)T, sizeof *ctx->portfolio);
    double *acc = calloc((size_t)(N ? N : 1), sizeof *acc);
    unsigned char *touched = calloc((size_t)(N ? N : 1), 1);
    const alc_bt_day **held = calloc((size_t)S, sizeof *held);
    if (!ctx->portfolio || !acc || !touched || !held) {
        free(acc);
        free(touched);
        free(held);
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    }
    st = ALC_OK;
    for (int t = 0; t < T && st == ALC_OK; t++) {
        int count = 0;
        for (int s = 0; s < S; s++) {
            if (ctx->strategies[s].days[t].ok)
                held[s] = &ctx->strategies[s].days[t];
            if (!held[s])
                continue;
            double a = ctx->job->strategies[s].allocation;
            for (int k = 0; k < held[s]->n; k++) {
                int i = held[s]->series[k];
                if (!(held[s]->weight[k] > 0))
                    continue;
                count += !touched[i];
                touched[i] = 1;
                acc[i] += a * held[s]->weight[k];
            }
        }
        alc_bt_day *d = &ctx->portfolio[t];
        d->ok = 1;
        d->series = malloc((size_t)(count ? count : 1) * sizeof *d->series);
        d->weight = malloc((size_t)(count ? count : 1) * sizeof *d->weight);
        if (!d->series || !d->weight) {
            st = alc_fail(err, ALC_ERR_NOMEM, "out of memory");
            break;
        }
        for (int i = 0; i < N; i++) {
            if (!touched[i])
                continue;
            d->series[d->n] = i;
            d->weight[d->n] = acc[i];
            d->n++;
            touched[i] = 0;
            acc[i] = 0;
        }
    }
    free(acc);
    free(touched);
    free(held);
    if (st == ALC_OK)
        st = returns_of(ctx, ctx->portfolio, &ctx->portfolio_ret, &ctx->portfolio_metrics, err);
    return st;
}

/* ---- HDF5 ------------------------------------------------------------------ */

typedef struct daily_row {
    const char *date;
    double ret, equity, turnover;
    int32_t ok;
} daily_row;

typedef struct weight_row {
    const char *date;
    const char *ticker;
    double weight;
} weight_row;

typedef struct summary_row {
    const char *strategy;
    const char *file;
    double allocation;
    int64_t days, failed_days;
    double total_return, cagr, volatility, sharpe, max_drawdown;
    const char *drawdown_peak, *drawdown_trough;
    double turnover;
    const char *first_error;
} summary_row;

typedef struct h5types {
    hid_t str, daily, weights, summary;
} h5types;

static void close_types(h5types *t)
{
    if (t->str >= 0)
        H5Tclose(t->str);
    if (t->daily >= 0)
        H5Tclose(t->daily);
    if (t->weights >= 0)
        H5Tclose(t->weights);
    if (t->summary >= 0)
        H5Tclose(t->summary);
}

static int make_types(h5types *t)
{
    t->str = alc_h5_string_type();
    t->daily = H5Tcreate(H5T_COMPOUND, sizeof(daily_row));
    t->weights = H5Tcreate(H5T_COMPOUND, sizeof(weight_row));
    t->summary = H5Tcreate(H5T_COMPOUND, sizeof(summary_row));
    if (t->str < 0 || t->daily < 0 || t->weights < 0 || t->summary < 0)
        return -1;
    int rc = 0;
    rc |= H5Tinsert(t->daily, "date", HOFFSET(daily_row, date), t->str);
    rc |= H5Tinsert(t->daily, "return", HOFFSET(daily_row, ret), H5T_NATIVE_DOUBLE);
    rc |= H5Tinsert(t->daily, "equity", HOFFSET(daily_row, equity), H5T_NATIVE_DOUBLE);
    rc |= H5Tinsert(t->daily, "turnover", HOFFSET(daily_row, turnover), H5T_NATIVE_DOUBLE);
    rc |= H5Tinsert(t->daily, "evaluated", HOFFSET(daily_row, ok), H5T_NATIVE_INT32);
    rc |= H5Tinsert(t->weights, "date", HOFFSET(weight_row, date), t->str);
    rc |= H5Tinsert(t->weights, "ticker", HOFFSET(weight_row, ticker), t->str);
    rc |= H5Tinsert(t->weights, "weight", HOFFSET(weight_row, weight), H5T_NATIVE_DOUBLE);
    rc |= H5Tinsert(t->summary, "strategy", HOFFSET(summary_row, strategy), t->str);
    rc |= H5Tinsert(t->summary, "file", HOFFSET(summary_row, file), t->str);
    rc |= H5Tinsert(t->summary, "allocation", HOFFSET(summary_row, allocation), H5T_NATIVE_DOUBLE);
    rc |= H5Tinsert(t->summary, "days", HOFFSET(summary_row, days), H5T_NATIVE_INT64);
    rc |= H5Tinsert(t->summary, "failed_days", HOFFSET(summary_row, failed_days), H5T_NATIVE_INT64);
    rc |= H5Tinsert(t->summary, "total_return", HOFFSET(summary_row, total_return), H5T_NATIVE_DOUBLE);
    rc |= H5Tinsert(t->summary, "cagr", HOFFSET(summary_row, cagr), H5T_NATIVE_DOUBLE);
    rc |= H5Tinsert(t->summary, "volatility", HOFFSET(summary_row, volatility), H5T_NATIVE_DOUBLE);
    rc |= H5Tinsert(t->summary, "sharpe", HOFFSET(summary_row, sharpe), H5T_NATIVE_DOUBLE);
    rc |= H5Tinsert(t->summary, "max_drawdown", HOFFSET(summary_row, max_drawdown), H5T_NATIVE_DOUBLE);
    rc |= H5Tinsert(t->summary, "drawdown_peak", HOFFSET(summary_row, drawdown_peak), t->str);
    rc |= H5Tinsert(t->summary, "drawdown_trough", HOFFSET(summary_row, drawdown_trough), t->str);
    rc |= H5Tinsert(t->summary, "turnover", HOFFSET(summary_row, turnover), H5T_NATIVE_DOUBLE);
    rc |= H5Tinsert(t->summary, "first_error", HOFFSET(summary_row, first_error), t->str);
    return rc < 0 ? -1 : 0;
}

/* daily and weights tables of one series of allocations into group g. */
static int write_series(bt_context *ctx, hid_t g, const h5types *ty, const alc_bt_day *days, const double *r,
                        char (*dates)[11])
{
    int T = ctx->T;
    daily_row *rows = malloc((size_t)T * sizeof *rows);
    long nw = 0;
    for (int t = 0; t < T; t++)
        nw += days[t].ok ? days[t].n : 0;
    weight_row *w = malloc((size_t)(nw ? nw : 1) * sizeof *w);
    int rc = -1;
    if (rows && w) {
        long k = 0;
        for (int t = 0; t < T; t++) {
            rows[t] = (daily_row){dates[t], r[t], r[T + t], r[2 * T + t], days[t].ok};
            for (int j = 0; days[t].ok && j < days[t].n; j++)
                w[k++] = (weight_row){dates[t], ctx->market->series[days[t].series[j]].ticker, days[t].weight[j]};
        }
        rc = alc_h5_write_table(g, "daily", ty->daily, (size_t)T, rows) ||
             alc_h5_write_table(g, "weights", ty->weights, (size_t)nw, w);
    }
    free(rows);
    free(w);
    return rc;
}

static summary_row summary_of(const char *name, const char *file, double allocation, const alc_bt_metrics *m,
                              long failed, const char *first_error, char *peak, char *trough)
{
    alc_format_date(m->drawdown_peak, peak);
    alc_format_date(m->drawdown_trough, trough);
    return (summary_row){name, file, allocation, m->days, failed, m->total_return, m->cagr, m->volatility,
                         m->sharpe, m->max_drawdown, peak, trough, m->turnover, first_error ? first_error : ""};
}

static alc_status write_h5(bt_context *ctx, const char *path, const alc_backtest_result *res, alc_error *err)
{
    int S = ctx->job->n_strategies, T = ctx->T;
    char (*dates)[11] = malloc((size_t)T * sizeof *dates);
    summary_row *sum = malloc((size_t)(S + 1) * sizeof *sum);
    char (*marks)[2][11] = malloc((size_t)(S + 1) * sizeof *marks);
    /* group names, referenced by the summary rows until the table is written */
    char (*names)[16] = malloc((size_t)(S + 1) * sizeof *names);
    h5types ty = {-1, -1, -1, -1};
    hid_t f = -1;
    int rc = -1;
    if (!dates || !sum || !marks || !names)
        goto done;
    for (int t = 0; t < T; t++)
        alc_format_date(ctx->days[t], dates[t]);
    if (make_types(&ty) != 0)
        goto done;
    /* EXCL: a new file, never through a symbolic link planted in the output folder */
    f = H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        goto done;
    char from[11], to[11], created[32];
    alc_format_date(ctx->days[0], from);
    alc_format_date(ctx->days[T - 1], to);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    rc = alc_h5_attr_str(f, "format", "alchemiser-backtest") | alc_h5_attr_i64(f, "schema_version", BT_SCHEMA_VERSION) |
         alc_h5_attr_str(f, "job_path", ctx->job->path) | alc_h5_attr_str(f, "job_sha256", ctx->job->sha256) |
         alc_h5_attr_str(f, "from", from) | alc_h5_attr_str(f, "to", to) | alc_h5_attr_i64(f, "days", T) |
         alc_h5_attr_i64(f, "strategies", S) | alc_h5_attr_i64(f, "ranks", ctx->nranks) |
         alc_h5_attr_i64(f, "days_per_task", ctx->chunk) | alc_h5_attr_str(f, "created", created) |
         alc_h5_attr_f64(f, "seconds", res->seconds) |
         alc_h5_attr_f64(f, "strategy_days_per_second", res->seconds > 0 ? (double)S * T / res->seconds : 0);
    if (rc)
        goto done;
    hid_t g = H5Gcreate2(f, "strategies", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) {
        rc = -1;
        goto done;
    }
    for (int s = 0; s < S && rc == 0; s++) {
        char *name = names[s];
        snprintf(name, sizeof *names, "s%05d", s);
        hid_t gs = H5Gcreate2(g, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (gs < 0) {
            rc = -1;
            break;
        }
        const bt_strategy *st = &ctx->strategies[s];
        rc = alc_h5_attr_str(gs, "file", ctx->job->strategies[s].file) |
             alc_h5_attr_f64(gs, "allocation", ctx->job->strategies[s].allocation) |
             alc_h5_attr_i64(gs, "failed_days", st->failed_days) |
             alc_h5_attr_str(gs, "first_error", st->first_error ? st->first_error : "") |
             write_series(ctx, gs, &ty, st->days, st->ret, dates);
        H5Gclose(gs);
        sum[s] = summary_of(name, ctx->job->strategies[s].file, ctx->job->strategies[s].allocation, &st->metrics,
                            st->failed_days, st->first_error, marks[s][0], marks[s][1]);
    }
    H5Gclose(g);
    if (rc)
        goto done;
    g = H5Gcreate2(f, "portfolio", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) {
        rc = -1;
        goto done;
    }
    rc = write_series(ctx, g, &ty, ctx->portfolio, ctx->portfolio_ret, dates);
    H5Gclose(g);
    sum[S] = summary_of("PORTFOLIO", "", 1.0, &ctx->portfolio_metrics, 0, NULL, marks[S][0], marks[S][1]);
    if (rc == 0)
        rc = alc_h5_write_table(f, "summary", ty.summary, (size_t)S + 1, sum);
done:
    if (f >= 0 && H5Fclose(f) < 0)
        rc = -1;
    close_types(&ty);
    free(dates);
    free(sum);
    free(marks);
    free(names);
    if (rc)
        return alc_fail_at(err, ALC_ERR_HDF5, path, 0, 0, "could not write the backtest result file");
    return ALC_OK;
}

/* ---- summary on stdout ----------------------------------------------------------- */

static void print_metrics_json(const char *name, const char *file, double allocation, const alc_bt_metrics *m,
                               long failed)
{
    char peak[11], trough[11];
    alc_format_date(m->drawdown_peak, peak);
    alc_format_date(m->drawdown_trough, trough);
    FILE *o = stdout;
    alc_json_member_str(o, "{", "strategy", name);
    alc_json_member_str(o, ", ", "file", file);
    alc_json_member_num(o, ", ", "allocation", allocation);
    fprintf(o, ", \"days\": %d, \"failed_days\": %ld", m->days, failed);
    alc_json_member_num(o, ", ", "total_return", m->total_return);
    alc_json_member_num(o, ", ", "cagr", m->cagr);
    alc_json_member_num(o, ", ", "volatility", m->volatility);
    alc_json_member_num(o, ", ", "sharpe", m->sharpe);
    alc_json_member_num(o, ", ", "max_drawdown", m->max_drawdown);
    alc_json_member_str(o, ", ", "drawdown_peak", peak);
    alc_json_member_str(o, ", ", "drawdown_trough", trough);
    alc_json_member_num(o, ", ", "turnover", m->turnover);
    fputc('}', o);
}

static void print_row(const char *name, const alc_bt_metrics *m, long failed)
{
    char peak[11], trough[11];
    alc_format_date(m->drawdown_peak, peak);
    alc_format_date(m->drawdown_trough, trough);
    printf("%-34.34s %9.2f%% %8.2f%% %8.2f%% %7.2f %8.2f%% %s..%s %8.2f%% %6ld\n", name, 100 * m->total_return,
           100 * m->cagr, 100 * m->volatility, m->sharpe, 100 * m->max_drawdown, peak, trough, 100 * m->turnover,
           failed);
}

static void print_summary(const bt_context *ctx, const alc_backtest_result *res)
{
    int S = ctx->job->n_strategies;
    char from[11], to[11];
    alc_format_date(ctx->days[0], from);
    alc_format_date(ctx->days[ctx->T - 1], to);
    if (ctx->opt->json) {
        printf("{\"from\": \"%s\", \"to\": \"%s\", \"days\": %d, \"ranks\": %d, \"seconds\": %.3f, "
               "\"strategy_days_per_second\": %.1f, \"output\": ",
               from, to, ctx->T, ctx->nranks, res->seconds,
               res->seconds > 0 ? (double)res->strategy_days / res->seconds : 0.0);
        alc_json_string(stdout, res->out_path);
        fputs(", \"strategies\": [\n", stdout);
        for (int s = 0; s < S; s++) {
            fputs(s ? ",\n  " : "  ", stdout);
            print_metrics_json(ctx->job->strategies[s].file, ctx->job->strategies[s].file,
                               ctx->job->strategies[s].allocation, &ctx->strategies[s].metrics,
                               ctx->strategies[s].failed_days);
        }
        fputs("],\n\"portfolio\": ", stdout);
        print_metrics_json("PORTFOLIO", "", 1.0, &ctx->portfolio_metrics, 0);
        fputs("}\n", stdout);
        return;
    }
    printf("Backtest %s .. %s: %d trading days, %d strategies, %d rank%s\n\n", from, to, ctx->T, S, ctx->nranks,
           ctx->nranks > 1 ? "s" : "");
    printf("%-34s %10s %9s %9s %7s %9s %-22s %9s %6s\n", "strategy", "total", "CAGR", "vol", "Sharpe", "max DD",
           "drawdown", "turnover", "failed");
    for (int s = 0; s < S; s++) {
        const char *file = ctx->job->strategies[s].file;
        const char *base = strrchr(file, '/');
        print_row(base ? base + 1 : file, &ctx->strategies[s].metrics, ctx->strategies[s].failed_days);
    }
    print_row("PORTFOLIO", &ctx->portfolio_metrics, 0);
    printf("\n%ld strategy-days (%ld failed) in %.2f s: %.0f strategy-days/s\n", res->strategy_days,
           res->failed_days, res->seconds, res->seconds > 0 ? (double)res->strategy_days / res->seconds : 0.0);
    printf("Result: %s\n", res->out_path);
}

static int mkdirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

alc_status bt_write_outputs(bt_context *ctx, alc_backtest_result *res, alc_error *err)
{
    const char *dir = ctx->opt->out_dir ? ctx->opt->out_dir : ctx->job->output_dir;
    if (mkdirs(dir) != 0)
        return alc_fail_at(err, ALC_ERR_IO, dir, 0, 0, "cannot create the output folder: %s", strerror(errno));
    char from[11], to[11], stamp[32];
    alc_format_date(ctx->days[0], from);
    alc_format_date(ctx->days[ctx->T - 1], to);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(res->out_path, sizeof res->out_path, "%s/backtest-%s-%s-%s-%d.h5", dir, from, to, stamp, (int)getpid());
    char tmp[sizeof res->out_path + 16];
    snprintf(tmp, sizeof tmp, "%s.tmp", res->out_path);
    int S = ctx->job->n_strategies;
    res->strategy_days = (long)S * ctx->T;
    for (int s = 0; s < S; s++)
        res->failed_days += ctx->strategies[s].failed_days;
    /* written under a temporary name and renamed: never a half-written file */
    alc_status st = write_h5(ctx, tmp, res, err);
    if (st == ALC_OK && rename(tmp, res->out_path) != 0)
        st = alc_fail_at(err, ALC_ERR_IO, res->out_path, 0, 0, "cannot rename the result file: %s", strerror(errno));
    if (st != ALC_OK) {
        unlink(tmp);
        return st;
    }
    print_summary(ctx, res);
    return ALC_OK;
}
