/* alchemiser backtest: every strategy of a job on every trading day of a
 * range, distributed over MPI ranks (docs/backtest.md).
 *
 *   mpirun -np N alchemiser backtest JOB.json [--from D] [--to D] [--out DIR]
 *                                             [--chunk DAYS] [--json] [--progress|--no-progress]
 *
 * Exit status: 0 success (failed strategy-days are reported, not fatal),
 * 1 failure, 2 usage. */
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alchemiser/backtest_run.h"
#include "cli/commands.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: mpirun -np N alchemiser backtest JOB.json [options]\n"
            "\n"
            "Evaluate every strategy of the job on every trading day of a range (rebalanced\n"
            "at each close), and report per strategy and for the consolidated portfolio:\n"
            "total return, CAGR, volatility, Sharpe, max drawdown and turnover.\n"
            "\n"
            "options:\n"
            "  --from YYYY-MM-DD      first day (default: the market's first day)\n"
            "  --to YYYY-MM-DD        last day (default: the job's as_of, else the market's last day)\n"
            "  --out DIR              output folder (default: the job's output_dir)\n"
            "  --chunk DAYS           days per task of the work queue (default: automatic)\n"
            "  --strategies DIR       the project's strategies folder (default: ./strategies)\n"
            "  --json                 print the summary as one JSON object\n"
            "  --progress, --no-progress  progress bar on stderr (default: when stderr is a terminal)\n");
}

static int parse_date_arg(const char *s, alc_day *out)
{
    return alc_parse_date(s, strlen(s), out);
}

int alc_cmd_backtest(int argc, char **argv)
{
    alc_backtest_options opt;
    memset(&opt, 0, sizeof opt);
    opt.progress = isatty(2);
    int help = 0, bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help = 1;
        } else if (!strcmp(a, "--from") && i + 1 < argc) {
            bad = parse_date_arg(argv[++i], &opt.from) != 0;
            opt.has_from = 1;
        } else if (!strcmp(a, "--to") && i + 1 < argc) {
            bad = parse_date_arg(argv[++i], &opt.to) != 0;
            opt.has_to = 1;
        } else if (!strcmp(a, "--out") && i + 1 < argc) {
            opt.out_dir = argv[++i];
        } else if (!strcmp(a, "--strategies") && i + 1 < argc) {
            opt.strategies_dir = argv[++i];
        } else if (!strcmp(a, "--chunk") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            bad = *end || v < 1 || v > 1000000;
            opt.chunk_days = (int)v;
        } else if (!strcmp(a, "--json")) {
            opt.json = 1;
        } else if (!strcmp(a, "--progress")) {
            opt.progress = 1;
        } else if (!strcmp(a, "--no-progress")) {
            opt.progress = 0;
        } else if (a[0] == '-' || opt.job_path) {
            bad = 1;
        } else {
            opt.job_path = a;
        }
    }
    if (!help && !bad && !opt.job_path)
        bad = 1;
    if (!bad && opt.has_from && opt.has_to && opt.to < opt.from)
        bad = 1;
    int provided;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_SINGLE, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "alchemiser backtest: MPI_Init failed\n");
        return 1;
    }
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (bad || help) {
        if (rank == 0) {
            if (bad)
                fprintf(stderr, "alchemiser backtest: invalid arguments\n\n");
            usage(bad ? stderr : stdout);
        }
        MPI_Finalize();
        return bad ? 2 : 0;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (rank != 0)
        opt.progress = 0;
    alc_backtest_result res;
    alc_error err;
    alc_error_clear(&err);
    alc_status st = alc_backtest_run(MPI_COMM_WORLD, &opt, &res, &err);
    if (st != ALC_OK && (rank == 0 || err.code != ALC_ERR_JOB)) {
        char msg[2048];
        alc_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "alchemiser backtest: %s%s\n", rank ? "rank: " : "", msg);
    }
    MPI_Finalize();
    return st == ALC_OK ? 0 : 1;
}
