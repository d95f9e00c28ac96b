/* libFuzzer target: the job-file reader (alc_job_parse: JSON syntax, keys,
 * types, limits and the path rules) against a fixed folder tree in a
 * temporary directory:
 *
 *   T/jobs/fuzz.json (the job's path; not written) T/jobs/local.clj
 *   T/jobs/link.clj -> ../outside.clj              T/jobs/dirlink -> ..
 *   T/strategies/{a,b,<the project's strategy names>}.clj
 *   T/strategies/escape -> ../outside.clj          T/outside.clj
 *   T/data/market.h5  T/data/csv/                  T/secret/
 *
 * Contract: no crash or leak; either an error with a message (ALC_ERR_JOB
 * or ALC_ERR_LIMIT) or a job whose every strategy path is a regular file
 * inside T/jobs or T/strategies, whose allocations sum to 1, and whose
 * market and output folder are normalised absolute paths (job.h). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alchemiser/job.h"
#include "fuzz_common.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

static char root[PATH_MAX];
static char jobs_dir[PATH_MAX + 16], strat_dir[PATH_MAX + 16], job_path[PATH_MAX + 32];

static const char *const strategy_names[] = {
    "a.clj", "b.clj", "all_weather_risk_parity.clj", "balanced_risk_parity_sleeves.clj",
    "bond_duration_regime.clj", "defensive_low_volatility.clj", "ema_trend_crossover.clj",
    "hedged_leverage_tournament.clj", "leveraged_group_rotation.clj",
    "rsi_mean_reversion_ladder.clj", "sector_momentum_rotation.clj", "semiconductor_swing.clj",
    "spy_buy_and_hold.clj", "tqqq_long_term.clj", "volatility_ppo_hedge.clj",
    "warmup_guarded_momentum.clj"};

static void touch(const char *dir, const char *name)
{
    char p[PATH_MAX * 2];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (!f)
        FUZZ_ABORT("cannot create %s", p);
    fputs("(asset \"SPY\")\n", f);
    fclose(f);
}

static void sub(char *out, size_t size, const char *name)
{
    if ((size_t)snprintf(out, size, "%s/%s", root, name) >= size)
        FUZZ_ABORT("temp path too long");
}

static void cleanup(void)
{
    char cmd[PATH_MAX + 16];
    if (root[0] && snprintf(cmd, sizeof cmd, "rm -rf '%s'", root) < (int)sizeof cmd)
        if (system(cmd) != 0)
            fprintf(stderr, "fuzz_job: could not remove %s\n", root);
}

static void setup(void)
{
    if (root[0])
        return;
    const char *tmp = getenv("TMPDIR");
    char tmpl[PATH_MAX];
    snprintf(tmpl, sizeof tmpl, "%s/alc-fuzz-job-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpl) || !realpath(tmpl, root))
        FUZZ_ABORT("mkdtemp failed");
    atexit(cleanup);
    char p[PATH_MAX + 32];
    const char *dirs[] = {"jobs", "strategies", "data", "data/csv", "secret"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        sub(p, sizeof p, dirs[i]);
        if (mkdir(p, 0755) != 0)
            FUZZ_ABORT("mkdir %s", p);
    }
    sub(jobs_dir, sizeof jobs_dir, "jobs");
    sub(strat_dir, sizeof strat_dir, "strategies");
    sub(job_path, sizeof job_path, "jobs/fuzz.json");
    for (size_t i = 0; i < sizeof strategy_names / sizeof strategy_names[0]; i++)
        touch(strat_dir, strategy_names[i]);
    touch(jobs_dir, "local.clj");
    touch(root, "outside.clj");
    sub(p, sizeof p, "data");
    touch(p, "market.h5");
    sub(p, sizeof p, "secret");
    touch(p, "key.clj");
    sub(p, sizeof p, "jobs/link.clj");
    if (symlink("../outside.clj", p) != 0)
        FUZZ_ABORT("symlink");
    sub(p, sizeof p, "jobs/dirlink");
    if (symlink("..", p) != 0)
        FUZZ_ABORT("symlink");
    sub(p, sizeof p, "strategies/escape.clj");
    if (symlink("../outside.clj", p) != 0)
        FUZZ_ABORT("symlink");
}

static int inside(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* An absolute path without "." or ".." components or "//" (what the job
 * reader makes of `market` and `output_dir`, see job.h). */
static int normalised(const char *p)
{
    if (p[0] != '/' || strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../"))
        return 0;
    size_t n = strlen(p);
    return !(n >= 2 && !strcmp(p + n - 2, "/.")) && !(n >= 3 && !strcmp(p + n - 3, "/.."));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    alc_job *job = NULL;
    alc_error err;
    alc_error_clear(&err);
    alc_status st = alc_job_parse(job_path, (const char *)data, size, strat_dir, &job, &err);
    if (st != ALC_OK) {
        FUZZ_ASSERT(job == NULL, "failed parse returned a job");
        FUZZ_ASSERT(st == ALC_ERR_JOB || st == ALC_ERR_LIMIT || st == ALC_ERR_NOMEM,
                    "unexpected status %d: %s", (int)st, err.msg);
        FUZZ_ASSERT(err.code == st && err.msg[0], "error without a message");
        return 0;
    }
    FUZZ_ASSERT(job && job->n_strategies >= 1, "job without strategies");
    double sum = 0;
    for (int i = 0; i < job->n_strategies; i++) {
        const alc_job_strategy *s = &job->strategies[i];
        FUZZ_ASSERT(inside(s->path, jobs_dir) || inside(s->path, strat_dir),
                    "strategy %s resolved outside the allowed folders: %s", s->file, s->path);
        struct stat sb;
        FUZZ_ASSERT(stat(s->path, &sb) == 0 && S_ISREG(sb.st_mode), "not a regular file: %s",
                    s->path);
        FUZZ_ASSERT(s->allocation > 0 && s->allocation <= 1, "allocation out of range");
        sum += s->allocation;
    }
    FUZZ_ASSERT(fabs(sum - 1.0) <= ALC_JOB_ALLOCATION_TOLERANCE, "allocations sum to %.17g", sum);
    FUZZ_ASSERT(job->batch_size >= 1 && job->max_retries >= 0 && job->max_parallel_batches >= 0,
                "bad integers");
    FUZZ_ASSERT(isfinite(job->timeout_seconds) && job->timeout_seconds > 0, "bad timeout");
    FUZZ_ASSERT(job->market && job->market[0] && job->output_dir && job->output_dir[0],
                "no market or output folder");
    FUZZ_ASSERT(normalised(job->market), "market path not normalised: %s", job->market);
    FUZZ_ASSERT(!strcmp(job->output_dir, "out") || normalised(job->output_dir),
                "output folder not normalised: %s", job->output_dir);
    alc_job_free(job);
    return 0;
}
