/* alchemiser resume / rerun: finish an unfinished session, or run a
 * session's job again (docs/session.md, "Resume and rerun").
 *
 *   mpirun -np N alchemiser resume SESSION.h5[.partial] [--scheduling M] [--force] [-v|-vv]
 *   mpirun -np N alchemiser rerun SESSION.h5[.partial] [--out DIR] [--scheduling M]
 *                                 [--batch-size N] [-v|-vv]
 *
 * Exit status like `run`: 0 COMPLETED (resume: also a session already
 * COMPLETED, left unchanged), 1 FAILED, 2 usage error or refused (e.g. a
 * strategy or the market changed since the session), 3 TIMEOUT, 4 the
 * outputs could not be written. */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/session_cli.h"

static void usage_resume(FILE *out)
{
    fprintf(out,
            "usage: mpirun -np N alchemiser resume SESSION.h5 [options]\n"
            "\n"
            "Continue a FAILED, TIMEOUT or interrupted (SESSION.h5.partial) session in\n"
            "place: the job comes from the snapshot, the batches it already accepted are\n"
            "reused, only the missing or failed ones run again, and the consolidated\n"
            "portfolio is the one an uninterrupted run gives.  Refused when a strategy\n"
            "file or the market changed since the session was created.  A COMPLETED\n"
            "session is left unchanged (exit 0).  Any -np.\n"
            "\n"
            "options:\n"
            "  --scheduling MODE      dynamic or static (default: the session's)\n"
            "  --force                resume a .partial before its deadline (only when the\n"
            "                         run that wrote it is known to be dead)\n"
            "  -v, -vv                log progress (info, debug) on stderr\n"
            "\n"
            "exit status: 0 COMPLETED, 1 FAILED, 2 usage or refused, 3 TIMEOUT,\n"
            "             4 outputs could not be written\n");
}

static void usage_rerun(FILE *out)
{
    fprintf(out,
            "usage: mpirun -np N alchemiser rerun SESSION.h5 [options]\n"
            "\n"
            "Run the snapshot's job again, from scratch, as a new session linked to the\n"
            "old one (same correlation id, rerun_of = the old session id).  The strategy\n"
            "files and the market are read as they are now.\n"
            "\n"
            "options:\n"
            "  --out DIR              output folder (default: the old session's folder)\n"
            "  --scheduling MODE      dynamic or static (default: the old session's)\n"
            "  --batch-size N         strategies per batch (default: the old session's)\n"
            "  -v, -vv                log progress (info, debug) on stderr\n"
            "\n"
            "exit status: 0 COMPLETED, 1 FAILED, 2 usage or refused, 3 TIMEOUT,\n"
            "             4 outputs could not be written\n");
}

int alc_cmd_resume(int argc, char **argv)
{
    return cli_session_main(ALC_RUN_RESUME, "resume", usage_resume, argc, argv);
}

int alc_cmd_rerun(int argc, char **argv)
{
    return cli_session_main(ALC_RUN_RERUN, "rerun", usage_rerun, argc, argv);
}
