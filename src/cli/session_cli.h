/* The MPI session commands (run, resume, rerun) share one main: MPI set-up,
 * rank 0 runs the session, the other ranks serve batches, exit codes. */
#ifndef ALCHEMISER_CLI_SESSION_CLI_H
#define ALCHEMISER_CLI_SESSION_CLI_H

#include <stdio.h>

#include "alchemiser/session.h"

typedef void (*cli_usage_fn)(FILE *out);

/* Options by mode: run takes JOB.json and --out, --scheduling, --batch-size,
 * --strategies; rerun takes SESSION.h5 and --out, --scheduling,
 * --batch-size; resume takes SESSION.h5 and --scheduling.  All take -v.
 * Exit status (rank 0; mpirun reports the first non-zero rank):
 * 0 COMPLETED (or nothing to resume), 1 FAILED, 2 usage or refused,
 * 3 TIMEOUT, 4 the outputs could not be written. */
int cli_session_main(alc_run_mode mode, const char *cmd, cli_usage_fn usage, int argc,
                     char **argv);

#endif
