/* Subcommands of the alchemiser executable.  Each returns the process exit
 * status; only main() turns it into an exit. */
#ifndef ALCHEMISER_CLI_COMMANDS_H
#define ALCHEMISER_CLI_COMMANDS_H

typedef int (*alc_command_fn)(int argc, char **argv);

typedef struct alc_command {
    const char *name;
    alc_command_fn run;
    const char *summary;
} alc_command;

int alc_cmd_eval(int argc, char **argv);
int alc_cmd_check(int argc, char **argv);
int alc_cmd_data(int argc, char **argv);
/* mpirun -np N alchemiser run JOB.json: the MPI signal session (cmd_run.c). */
int alc_cmd_run(int argc, char **argv);
int alc_cmd_backtest(int argc, char **argv);
/* Session snapshot analysis (cmd_inspect.c, cmd_diff.c, docs/analysis.md). */
int alc_cmd_inspect(int argc, char **argv);
int alc_cmd_diff(int argc, char **argv);
/* resume / rerun SESSION.h5 (cmd_resume.c), sessions list|prune DIR (cmd_sessions.c). */
int alc_cmd_resume(int argc, char **argv);
int alc_cmd_rerun(int argc, char **argv);
int alc_cmd_sessions(int argc, char **argv);

#endif
