/* alchemiser check [--market MARKET] FILE.clj...
 * Parse and statically check without evaluating. */
#include <stdio.h>
#include <string.h>

#include "alchemiser/engine.h"
#include "alchemiser/market.h"
#include "cli/cli_util.h"
#include "cli/commands.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: alchemiser check [--market MARKET] FILE.clj...\n"
                 "  Checks syntax, operators and arities, and with --market that every\n"
                 "  ticker exists in the market.  Prints one line per file.\n");
}

int alc_cmd_check(int argc, char **argv)
{
    const char *market_path = NULL;
    int first = argc;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--market") && i + 1 < argc) {
            market_path = argv[++i];
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            fprintf(stderr, "alchemiser check: unknown option '%s'\n", argv[i]);
            return 2;
        } else {
            first = i;
            break;
        }
    }
    if (first >= argc) {
        usage(stderr);
        return 2;
    }
    alc_error err;
    alc_error_clear(&err);
    alc_market *market = NULL;
    if (market_path && alc_market_load(market_path, &market, &err) != ALC_OK) {
        cli_print_error("check", &err);
        return 1;
    }
    int failures = 0;
    for (int i = first; i < argc; i++) {
        alc_program *prog = NULL;
        alc_status st = alc_program_load(argv[i], &prog, &err);
        if (st == ALC_OK)
            st = alc_program_check(prog, market, &err);
        if (st == ALC_OK) {
            printf("%s: ok (%zu nodes)\n", argv[i], alc_program_node_count(prog));
        } else {
            char msg[2048];
            alc_error_format(&err, msg, sizeof msg);
            printf("%s\n", msg);
            failures++;
        }
        alc_program_free(prog);
    }
    alc_market_free(market);
    return failures ? 1 : 0;
}
