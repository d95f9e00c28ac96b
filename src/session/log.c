#include "alchemiser/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int log_rank = 0;
static alc_log_level log_level = ALC_LOG_WARN;

static int parse_level(const char *s, alc_log_level *out)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (!strcasecmp(s, names[i]) || (s[0] == '0' + i && !s[1])) {
            *out = (alc_log_level)i;
            return 0;
        }
    if (!strcasecmp(s, "warning")) {
        *out = ALC_LOG_WARN;
        return 0;
    }
    return -1;
}

void alc_log_init(int rank, int verbosity)
{
    log_rank = rank;
    alc_log_level base = ALC_LOG_WARN;
    const char *env = getenv("ALC_LOG_LEVEL");
    if (env && *env && parse_level(env, &base) != 0)
        fprintf(stderr, "[alc r%d WARN] ignoring ALC_LOG_LEVEL=%s (use error|warn|info|debug)\n",
                rank, env);
    int lvl = (int)base + (verbosity > 0 ? verbosity : 0);
    if (lvl > ALC_LOG_DEBUG)
        lvl = ALC_LOG_DEBUG;
    log_level = (alc_log_level)lvl;
}

alc_log_level alc_log_get_level(void) { return log_level; }

int alc_log_enabled(alc_log_level level) { return level <= log_level; }

void alc_log(alc_log_level level, const char *fmt, ...)
{
    static const char *tags[] = {"ERROR", "WARN", "INFO", "DEBUG"};
    if (level > log_level)
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One fprintf per line so that lines of different ranks do not interleave mid-line. */
    fprintf(stderr, "[alc r%d %s] %s\n", log_rank, tags[level], line);
}
