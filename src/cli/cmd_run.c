/* alchemiser run: one MPI signal session (see docs/session.md).
 *
 *   mpirun -np N alchemiser run JOB.json [--out DIR] [--scheduling static|dynamic]
 *                                        [--batch-size N] [-v|-vv]
 *
 * Exit status (rank 0; mpirun reports the highest of all ranks):
 *   0 COMPLETED, 1 FAILED, 2 usage error or job refused, 3 TIMEOUT,
 *   4 the outputs could not be written. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alchemiser/log.h"
#include "alchemiser/session.h"
#include "alchemiser/task.h"
#include "alchemiser/worker.h"
#include "cli/commands.h"
#include "cli/session_cli.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: mpirun -np N alchemiser run JOB.json [options]\n"
            "\n"
            "Evaluate the job's strategies in parallel (rank 0 coordinates, the other\n"
            "ranks evaluate batches) and print the consolidated portfolio.\n"
            "\n"
            "options:\n"
            "  --out DIR              output folder (overrides the job's output_dir)\n"
            "  --scheduling MODE      dynamic (work queue, default) or static (one Scatterv)\n"
            "  --batch-size N         strategies per batch (overrides the job's batch_size)\n"
            "  --strategies DIR       the project's strategies folder (default: ./strategies)\n"
            "  -v, -vv                log progress (info, debug) on stderr; see ALC_LOG_LEVEL\n"
            "\n"
            "exit status: 0 COMPLETED, 1 FAILED, 2 usage or job refused, 3 TIMEOUT,\n"
            "             4 outputs could not be written\n");
}

static int parse_args(alc_run_mode mode, const char *cmd, int argc, char **argv,
                      alc_run_options *opt, int *verbosity, int *help)
{
    memset(opt, 0, sizeof *opt);
    opt->mode = mode;
    *verbosity = 0;
    *help = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            *help = 1;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            (*verbosity)++;
        } else if (!strcmp(a, "-vv")) {
            *verbosity += 2;
        } else if (!strcmp(a, "--force") && mode == ALC_RUN_RESUME) {
            opt->force = 1;
        } else if (!strcmp(a, "--out") && i + 1 < argc && mode != ALC_RUN_RESUME) {
            opt->out_dir = argv[++i];
        } else if (!strcmp(a, "--strategies") && i + 1 < argc && mode == ALC_RUN_NEW) {
            opt->strategies_dir = argv[++i];
        } else if (!strcmp(a, "--scheduling") && i + 1 < argc) {
            if (alc_scheduling_parse(argv[++i], &opt->scheduling) != 0) {
                fprintf(stderr, "alchemiser %s: --scheduling must be static or dynamic\n", cmd);
                return -1;
            }
            opt->has_scheduling = 1;
        } else if (!strcmp(a, "--batch-size") && i + 1 < argc && mode != ALC_RUN_RESUME) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 1000000) {
                fprintf(stderr, "alchemiser %s: --batch-size must be a positive integer\n", cmd);
                return -1;
            }
            opt->batch_size = (int)v;
        } else if (a[0] == '-') {
            fprintf(stderr, "alchemiser %s: unknown or incomplete option '%s'\n", cmd, a);
            return -1;
        } else if (mode == ALC_RUN_NEW ? !opt->job_path : !opt->snapshot_path) {
            if (mode == ALC_RUN_NEW)
                opt->job_path = a;
            else
                opt->snapshot_path = a;
        } else {
            fprintf(stderr, "alchemiser %s: more than one %s\n", cmd,
                    mode == ALC_RUN_NEW ? "job file" : "session snapshot");
            return -1;
        }
    }
    if (!*help && !(mode == ALC_RUN_NEW ? opt->job_path : opt->snapshot_path)) {
        fprintf(stderr, "alchemiser %s: %s is required\n", cmd,
                mode == ALC_RUN_NEW ? "a job file" : "a session snapshot (SESSION.h5)");
        return -1;
    }
    return 0;
}

static int exit_code(alc_session_status s)
{
    switch (s) {
    case ALC_SESSION_COMPLETED: return 0;
    case ALC_SESSION_TIMEOUT: return 3;
    default: return 1;
    }
}

/* Rank 0 releases the session, every batch's result (for 10,000
 * strategies some 200,000 small blocks, 10-15 ms), on a thread of its own
 * while MPI_Finalize runs: the other ranks wait for rank 0 there. */
typedef struct release_task {
    alc_session *session; /* owned from here on */
    alc_job *job;         /* owned from here on */
    alc_task task;
} release_task;

static void *release_main(void *arg)
{
    release_task *r = arg;
    alc_session_free(r->session);
    alc_job_free(r->job);
    return NULL;
}

int alc_cmd_run(int argc, char **argv)
{
    return cli_session_main(ALC_RUN_NEW, "run", usage, argc, argv);
}

int cli_session_main(alc_run_mode mode, const char *cmd, cli_usage_fn usage_fn, int argc,
                     char **argv)
{
    int provided = 0;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_SINGLE, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "alchemiser %s: MPI_Init failed\n", cmd);
        return 4;
    }
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    /* Errors come back as codes, not as aborts, so we can report them. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);

    alc_run_options opt;
    int verbosity = 0, help = 0;
    int bad = parse_args(mode, cmd, argc, argv, &opt, &verbosity, &help);
    if (bad || help) {
        /* Every rank parsed the same arguments: all stop here, no messages. */
        if (rank == 0)
            usage_fn(bad ? stderr : stdout);
        MPI_Finalize();
        return bad ? 2 : 0;
    }
    alc_log_init(rank, verbosity);

    int code = 0, abort_needed = 0;
    release_task release = {.session = NULL};
    alc_error err;
    alc_error_clear(&err);
    if (rank == 0) {
        alc_run_result res;
        alc_status st = alc_session_run(MPI_COMM_WORLD, &opt, &res, &err);
        char msg[1800];
        alc_error_format(&err, msg, sizeof msg);
        if (res.refused) {
            fprintf(stderr, "alchemiser %s: %s: %s\n", cmd, alc_status_name(err.code), msg);
            code = 2;
        } else if (res.nothing_to_do) {
            printf("%s\n", res.message);
            fflush(stdout);
            code = 0;
        } else {
            if (mode == ALC_RUN_RESUME)
                fprintf(stderr, "alchemiser resume: %s\n", res.message);
            alc_session_print(res.session, stdout);
            fflush(stdout);
            code = exit_code(res.status);
            if (st != ALC_OK) {
                fprintf(stderr, "alchemiser %s: %s: %s\n", cmd, alc_status_name(err.code), msg);
                code = 4;
            }
        }
        abort_needed = res.abort_needed;
        release.session = res.session;
        release.job = res.job;
        alc_task_start(&release.task, release_main, &release);
    } else {
        if (alc_worker_serve(MPI_COMM_WORLD, &err) != ALC_OK) {
            char msg[1800];
            alc_error_format(&err, msg, sizeof msg);
            alc_log(ALC_LOG_ERROR, "%s: %s", alc_status_name(err.code), msg);
            /* A worker that lost the protocol cannot finish cleanly. */
            abort_needed = 1;
            code = 4;
        }
    }
    if (abort_needed) {
        /* A rank is stuck (e.g. a worker busy past the deadline): MPI_Finalize
         * would wait for it forever.  The outputs are already written. */
        alc_log(ALC_LOG_WARN, "aborting the MPI job so that mpirun exits (status %d)", code);
        fflush(stdout);
        fflush(stderr);
        alc_task_join(&release.task);
        MPI_Abort(MPI_COMM_WORLD, code ? code : 1);
    }
    MPI_Finalize();
    alc_task_join(&release.task);
    return code;
}
