/* Engine benchmark: parse throughput and evaluation time per strategy-date.
 *
 *   bench_engine --market M [--dates N | --date D1,D2,...] [--min-time S] FILE.clj|DIR...
 *
 * Prints one JSON object: per strategy, its size, node count, parse MB/s
 * (best of repeated parses for at least --min-time seconds, by wall time
 * and by the thread's CPU time), and evaluation
 * time per date (mean, min, max over the dates, first evaluation included,
 * so cold indicator caches are part of the figure), plus totals. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "alchemiser/engine.h"
#include "alchemiser/json.h"
#include "alchemiser/market.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* CPU time of this thread: unlike wall time, it does not count the time
 * other processes on a shared machine hold the core. */
static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b)
        b[n] = '\0';
    *len = (size_t)n;
    return b;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expand directories into their .clj files (sorted). */
static int collect(char **args, int n, char ***out)
{
    int cap = 64, count = 0;
    char **files = malloc((size_t)cap * sizeof *files);
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (stat(args[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *d = opendir(args[i]);
            struct dirent *e;
            int first = count;
            while (d && (e = readdir(d))) {
                size_t l = strlen(e->d_name);
                if (l < 5 || strcmp(e->d_name + l - 4, ".clj"))
                    continue;
                if (count == cap)
                    files = realloc(files, (size_t)(cap *= 2) * sizeof *files);
                files[count] = malloc(strlen(args[i]) + l + 2);
                sprintf(files[count++], "%s/%s", args[i], e->d_name);
            }
            if (d)
                closedir(d);
            qsort(files + first, (size_t)(count - first), sizeof *files, cmp_str);
        } else {
            if (count == cap)
                files = realloc(files, (size_t)(cap *= 2) * sizeof *files);
            files[count++] = strdup(args[i]);
        }
    }
    *out = files;
    return count;
}

int main(int argc, char **argv)
{
    const char *market_path = NULL, *dates_arg = NULL;
    int ndates = 10;
    double min_time = 0.2;
    int first = argc;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--market") && i + 1 < argc)
            market_path = argv[++i];
        else if (!strcmp(argv[i], "--dates") && i + 1 < argc)
            ndates = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--date") && i + 1 < argc)
            dates_arg = argv[++i];
        else if (!strcmp(argv[i], "--min-time") && i + 1 < argc)
            min_time = atof(argv[++i]);
        else {
            first = i;
            break;
        }
    }
    if (!market_path || first >= argc || ndates < 1) {
        fprintf(stderr, "usage: bench_engine --market M [--dates N | --date D1,D2,...] [--min-time S] FILE.clj|DIR...\n");
        return 2;
    }
    alc_error err;
    alc_market *m = NULL;
    if (alc_market_load(market_path, &m, &err) != ALC_OK) {
        fprintf(stderr, "bench_engine: %s\n", err.msg);
        return 1;
    }
    /* dates: the last N weekdays of the market, or the given list */
    alc_day *days = malloc(sizeof *days * (size_t)(ndates > 64 ? ndates : 64));
    if (dates_arg) {
        ndates = 0;
        const char *p = dates_arg;
        while (*p && ndates < 64) {
            if (alc_parse_date(p, 10, &days[ndates]) != 0) {
                fprintf(stderr, "bench_engine: bad date list\n");
                return 2;
            }
            ndates++;
            p += 10;
            if (*p == ',')
                p++;
        }
    } else {
        alc_day d = alc_market_last_day(m);
        for (int k = ndates - 1; k >= 0; d--)
            if (alc_weekday(d) < 5)
                days[k--] = d;
    }
    char **files;
    int nfiles = collect(argv + first, argc - first, &files);
    alc_engine *e = NULL;
    alc_engine_new(m, &e, &err);
    double total_bytes = 0, total_parse = 0, total_eval = 0;
    long hits_before = 0;
    long total_evals = 0, failures = 0;
    printf("{\"market\": ");
    alc_json_string(stdout, market_path);
    printf(", \"dates\": %d, \"strategies\": [\n", ndates);
    for (int f = 0; f < nfiles; f++) {
        size_t len;
        char *text = slurp(files[f], &len);
        if (!text) {
            fprintf(stderr, "bench_engine: cannot read %s\n", files[f]);
            failures++;
            continue;
        }
        alc_program *prog = NULL;
        /* parse repeatedly for at least min_time; keep the best rate */
        double best = 1e30, best_cpu = 1e30, spent = 0, spent_cpu = 0;
        int reps = 0;
        while (spent < min_time || reps < 3) {
            alc_program *p = NULL;
            double t0 = now(), c0 = cpu_now();
            alc_status st = alc_program_parse(files[f], text, len, &p, &err);
            double dt = now() - t0, dc = cpu_now() - c0;
            spent += dt;
            spent_cpu += dc;
            reps++;
            if (dt < best)
                best = dt;
            if (dc < best_cpu)
                best_cpu = dc;
            if (st != ALC_OK) {
                fprintf(stderr, "bench_engine: %s:%d:%d: %s\n", files[f], err.line, err.col, err.msg);
                break;
            }
            alc_program_free(prog);
            prog = p;
        }
        free(text);
        if (!prog) {
            failures++;
            continue;
        }
        double tmin = 1e30, tmax = 0, tsum = 0, csum = 0, cmax = 0;
        int errors = 0;
        for (int d = 0; d < ndates; d++) {
            alc_allocation a = {0};
            double t0 = now(), c0 = cpu_now();
            alc_status st = alc_engine_eval(e, prog, days[d], &a, &err);
            double dt = (now() - t0) * 1e3, dc = (cpu_now() - c0) * 1e3;
            csum += dc;
            if (dc > cmax)
                cmax = dc;
            errors += st != ALC_OK;
            alc_allocation_free(&a);
            tsum += dt;
            if (dt < tmin)
                tmin = dt;
            if (dt > tmax)
                tmax = dt;
        }
        /* a tiny file can parse within one tick of a coarse thread CPU
         * clock: then the mean over all parses, else no figure */
        double mbps = (double)len / best / 1e6;
        double cpu_mbps = best_cpu > 0 ? (double)len / best_cpu / 1e6
                          : spent_cpu > 0 ? (double)len * reps / spent_cpu / 1e6 : 0;
        char cpu_rate[32] = "null";
        if (cpu_mbps > 0 && cpu_mbps < 1e12)
            snprintf(cpu_rate, sizeof cpu_rate, "%.1f", cpu_mbps);
        alc_engine_stats stats;
        alc_engine_get_stats(e, &stats);
        long hits = stats.body_hits - hits_before;
        hits_before = stats.body_hits;
        printf("  %s{\"file\": ", f ? "," : "");
        alc_json_string(stdout, files[f]);
        printf(", \"bytes\": %zu, \"nodes\": %zu, \"parse_mb_s\": %.1f, \"parse_cpu_mb_s\": %s, "
               "\"eval_ms_mean\": %.4f, \"eval_ms_min\": %.4f, \"eval_ms_max\": %.4f, "
               "\"eval_cpu_ms_mean\": %.4f, \"eval_cpu_ms_max\": %.4f, \"eval_errors\": %d, "
               "\"group_bodies_from_cache\": %ld}\n",
               len, alc_program_node_count(prog), mbps, cpu_rate, tsum / ndates, tmin, tmax,
               csum / ndates, cmax, errors, hits);
        total_bytes += (double)len;
        total_parse += best;
        total_eval += tsum;
        total_evals += ndates;
        alc_program_free(prog);
    }
    printf("], \"total\": {\"files\": %d, \"bytes\": %.0f, \"parse_mb_s\": %.1f, \"strategy_dates\": %ld, "
           "\"eval_ms_per_strategy_date\": %.4f, \"failures\": %ld}}\n",
           nfiles, total_bytes, total_parse > 0 ? total_bytes / total_parse / 1e6 : 0.0, total_evals,
           total_evals ? total_eval / (double)total_evals : 0.0, failures);
    for (int f = 0; f < nfiles; f++)
        free(files[f]);
    free(files);
    free(days);
    alc_engine_free(e);
    alc_market_free(m);
    return failures ? 1 : 0;
}
