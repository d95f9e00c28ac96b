#include "cli/cli_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_print_error(const char *cmd, const alc_error *err)
{
    char buf[2048];
    alc_error_format(err, buf, sizeof buf);
    fprintf(stderr, "alchemiser %s: %s\n", cmd, buf);
}

int cli_parse_dates(const char *cmd, const char *list, alc_day **out)
{
    int cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ',';
    alc_day *days = malloc((size_t)cap * sizeof *days);
    if (!days)
        return -1;
    int n = 0;
    const char *p = list;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (alc_parse_date(p, len, &days[n]) != 0) {
            fprintf(stderr, "alchemiser %s: invalid date '%.*s' (expected YYYY-MM-DD)\n", cmd, (int)len, p);
            free(days);
            return -1;
        }
        n++;
        if (!end)
            break;
        p = end + 1;
    }
    *out = days;
    return n;
}

double cli_ms_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}
