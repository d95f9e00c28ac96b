/* alchemiser: git-style dispatcher over the subcommands in commands.h. */
#include <stdio.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "cli/commands.h"

static const alc_command commands[] = {
    {"eval", alc_cmd_eval, "evaluate strategy files at one or more dates"},
    {"check", alc_cmd_check, "parse and statically check strategy files"},
    {"data", alc_cmd_data, "market data: import CSV, synthesize, describe"},
    {"run", alc_cmd_run, "run a job: evaluate strategies under MPI into one portfolio"},
    {"backtest", alc_cmd_backtest, "every strategy of a job on every day of a range, under MPI"},
    {"inspect", alc_cmd_inspect, "show a session snapshot: status, batches, portfolio, failures"},
    {"diff", alc_cmd_diff, "weight changes between two sessions' portfolios, per ticker"},
    {"resume", alc_cmd_resume, "finish a FAILED, TIMEOUT or interrupted session (under MPI)"},
    {"rerun", alc_cmd_rerun, "run a session's job again as a new, linked session (under MPI)"},
    {"sessions", alc_cmd_sessions, "list session files (status, age, stale) or prune old ones"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: alchemiser <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'alchemiser <command> --help' for a command's options.\n");
}

/* glibc hands every allocation over 128 kB to mmap and gives freed heap
 * back to the kernel early (its threshold moves with the workload, and
 * differs between the main thread and rank 0's evaluator thread).  An
 * evaluation allocates and frees the same few megabytes for every strategy
 * (the source text, the AST arena, the memo tables), so each strategy paid
 * fresh zeroed pages.  Fixed thresholds keep that memory in the process:
 * page faults of a 10,000-strategy session fell from 62k to 28k at np 1 and
 * from 101k to 49k at np 2, and the np 2 session used 0.5 CPU-s less
 * (perf stat -e page-faults,task-clock; bench/README.md).  32 MiB is the
 * largest mmap threshold glibc accepts. */
static void tune_malloc(void)
{
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}

int main(int argc, char **argv)
{
    tune_malloc();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("alchemiser 0.1.0\n");
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "alchemiser: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
