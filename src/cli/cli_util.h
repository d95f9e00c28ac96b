/* Helpers shared by the subcommands' argument handling. */
#ifndef ALCHEMISER_CLI_UTIL_H
#define ALCHEMISER_CLI_UTIL_H

#include <time.h>

#include "alchemiser/date.h"
#include "alchemiser/error.h"

/* Print "alchemiser <cmd>: <formatted error>" on stderr. */
void cli_print_error(const char *cmd, const alc_error *err);

/* Parse "D1,D2,..." into a malloc'd array.  Returns count, or -1 with a
 * message on stderr for a malformed date. */
int cli_parse_dates(const char *cmd, const char *list, alc_day **out);

/* Milliseconds between two monotonic timestamps. */
double cli_ms_between(const struct timespec *a, const struct timespec *b);

#endif
