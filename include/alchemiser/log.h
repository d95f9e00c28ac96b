/* Human log on stderr: "[alc r<rank> LEVEL] message".  Quiet by default
 * (errors and warnings only); each -v raises the level by one (info, then
 * debug), and ALC_LOG_LEVEL (error|warn|info|debug or 0..3) sets the base
 * level.  Process-wide state, set once by alc_log_init(). */
#ifndef ALCHEMISER_LOG_H
#define ALCHEMISER_LOG_H

typedef enum alc_log_level {
    ALC_LOG_ERROR = 0,
    ALC_LOG_WARN = 1,
    ALC_LOG_INFO = 2,
    ALC_LOG_DEBUG = 3
} alc_log_level;

/* verbosity = number of -v flags.  Level = (ALC_LOG_LEVEL or WARN) + verbosity, capped at DEBUG. */
void alc_log_init(int rank, int verbosity);
alc_log_level alc_log_get_level(void);
int alc_log_enabled(alc_log_level level);
void alc_log(alc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
