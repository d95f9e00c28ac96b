/* alchemiser sessions: the session files of an output folder.
 *
 *   alchemiser sessions list DIR [--json] [--grace DURATION]
 *   alchemiser sessions prune DIR --older-than DURATION [--dry-run]
 *
 * A session's files are <id>.h5 (or <id>.h5.partial while it runs, or when
 * it died), <id>.events.jsonl and <id>.portfolio.json, with
 * id = sess-YYYYMMDDTHHMMSSZ-<8 hex>; nothing else is ever touched.
 * DURATION: a number with a unit s, m, h or d (no unit: seconds).
 * Exit status: 0, 1 when a file could not be read or removed, 2 usage. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alchemiser/date.h"
#include "alchemiser/snapshot.h"
#include "cli/commands.h"

#define DEFAULT_GRACE 60.0
#define ID_LEN 30 /* strlen("sess-20250101T120000Z-1a2b3c4d") */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: alchemiser sessions list DIR [--json] [--grace DURATION]\n"
            "       alchemiser sessions prune DIR --older-than DURATION [--dry-run]\n"
            "\n"
            "list:  every session snapshot of DIR (<id>.h5 and <id>.h5.partial) with its\n"
            "       status, batches, age (since creation) and duration (creation to end).\n"
            "       STALE flags a session still PENDING or AGGREGATING more than --grace\n"
            "       (default 60s) after its deadline: a run that died without a word.\n"
            "prune: delete the files of every session whose newest file is older than\n"
            "       --older-than (snapshot, events, portfolio); --dry-run only says what.\n"
            "\n"
            "DURATION: a number with a unit s, m, h or d (24h, 90m, 2d; no unit: seconds)\n");
}

static int parse_duration(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno || !isfinite(v) || v < 0)
        return -1;
    double unit = 1.0;
    if (*end == 's')
        unit = 1.0, end++;
    else if (*end == 'm')
        unit = 60.0, end++;
    else if (*end == 'h')
        unit = 3600.0, end++;
    else if (*end == 'd')
        unit = 86400.0, end++;
    if (*end)
        return -1;
    *out = v * unit;
    return 0;
}

/* "sess-YYYYMMDDTHHMMSSZ-xxxxxxxx" at the start of name; returns the kind
 * of session file (1 .h5, 2 .h5.partial, 3 .events.jsonl, 4 .portfolio.json,
 * 5 .portfolio.json.tmp) or 0. */
static int session_file(const char *name, char id[ID_LEN + 1])
{
    static const char pattern[] = "sess-DDDDDDDDTDDDDDDZ-XXXXXXXX";
    for (int i = 0; i < ID_LEN; i++) {
        char p = pattern[i], c = name[i];
        if (!c)
            return 0;
        if (p == 'D' ? !isdigit((unsigned char)c)
                     : p == 'X' ? !(isdigit((unsigned char)c) || (c >= 'a' && c <= 'f')) : c != p)
            return 0;
    }
    static const char *suffix[] = {".h5", ".h5.partial", ".events.jsonl", ".portfolio.json",
                                   ".portfolio.json.tmp"};
    for (int k = 0; k < 5; k++)
        if (!strcmp(name + ID_LEN, suffix[k])) {
            memcpy(id, name, ID_LEN);
            id[ID_LEN] = '\0';
            return k + 1;
        }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the session files of dir (regular files only). */
static int scan(const char *dir, char ***names, int *n)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "alchemiser sessions: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    int cap = 0, rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char id[ID_LEN + 1], path[4200];
        if (!session_file(e->d_name, id))
            continue;
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue; /* links and folders are never session outputs */
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(*names, sizeof *nn * (size_t)cap);
            if (!nn) {
                rc = -1;
                break;
            }
            *names = nn;
        }
        if (!((*names)[*n] = strdup(e->d_name))) {
            rc = -1;
            break;
        }
        (*n)++;
    }
    closedir(d);
    if (rc)
        fprintf(stderr, "alchemiser sessions: out of memory\n");
    qsort(*names, (size_t)*n, sizeof **names, cmp_str);
    return rc;
}

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static void fmt_span(double s, char *buf, size_t size)
{
    if (s < 0) {
        snprintf(buf, size, "-");
    } else if (s < 60) {
        snprintf(buf, size, "%.1fs", s);
    } else if (s < 3600) {
        snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    } else if (s < 86400) {
        snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
    } else {
        snprintf(buf, size, "%dd%02dh", (int)(s / 86400), (int)fmod(s / 3600, 24));
    }
}

static double now_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* cJSON members that are null when the value is absent. */
static void add_str_or_null(cJSON *o, const char *key, const char *s)
{
    if (s[0])
        cJSON_AddStringToObject(o, key, s);
    else
        cJSON_AddNullToObject(o, key);
}

static void add_num_or_null(cJSON *o, const char *key, double x)
{
    if (x >= 0)
        cJSON_AddNumberToObject(o, key, x);
    else
        cJSON_AddNullToObject(o, key);
}

static int cmd_list(const char *dir, int json, double grace)
{
    char **names;
    int n;
    if (scan(dir, &names, &n) != 0)
        return 1;
    double now = now_wall();
    int code = 0;
    cJSON *arr = json ? cJSON_CreateArray() : NULL;
    if (!json)
        printf("%-30s %-12s %-9s %-8s %-9s %-5s %s\n", "SESSION", "STATUS", "BATCHES", "AGE",
               "DURATION", "STALE", "FILE");
    for (int i = 0; i < n; i++) {
        char id[ID_LEN + 1], path[4200];
        int kind = session_file(names[i], id);
        if (kind != 1 && kind != 2)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        alc_snapshot_summary sm;
        alc_error err;
        alc_error_clear(&err);
        int ok = alc_snapshot_read_summary(path, &sm, &err) == ALC_OK;
        char msg[1200] = "";
        if (!ok) {
            alc_error_format(&err, msg, sizeof msg);
            fprintf(stderr, "alchemiser sessions: %s\n", msg);
            code = 1;
        }
        double created = ok ? alc_parse_timestamp(sm.created) : -1;
        double finished = ok ? alc_parse_timestamp(sm.finished) : -1;
        double deadline = ok ? alc_parse_timestamp(sm.deadline) : -1;
        double age = created >= 0 ? now - created : -1;
        double duration = created >= 0 && finished >= 0 ? finished - created : -1;
        int running = ok && (!strcmp(sm.status, "PENDING") || !strcmp(sm.status, "AGGREGATING"));
        int stale = running && deadline >= 0 && now > deadline + grace;
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "session_id", ok ? sm.session_id : id);
            cJSON_AddStringToObject(o, "file", path);
            cJSON_AddBoolToObject(o, "partial", kind == 2);
            cJSON_AddStringToObject(o, "status", ok ? sm.status : "UNREADABLE");
            if (ok) {
                cJSON_AddStringToObject(o, "created", sm.created);
                cJSON_AddStringToObject(o, "deadline", sm.deadline);
                add_str_or_null(o, "finished", sm.finished);
                cJSON_AddNumberToObject(o, "expected_batches", (double)sm.expected_batches);
                cJSON_AddNumberToObject(o, "completed_batches", (double)sm.completed_batches);
                cJSON_AddNumberToObject(o, "resume_count", (double)sm.resume_count);
                add_str_or_null(o, "rerun_of", sm.rerun_of);
            } else {
                cJSON_AddStringToObject(o, "error", msg);
            }
            add_num_or_null(o, "age_seconds", age);
            add_num_or_null(o, "duration_seconds", duration);
            cJSON_AddBoolToObject(o, "stale", stale);
            cJSON_AddItemToArray(arr, o);
        } else {
            char a[32], d[32], b[32];
            fmt_span(age, a, sizeof a);
            fmt_span(duration, d, sizeof d);
            if (ok)
                snprintf(b, sizeof b, "%lld/%lld", sm.completed_batches, sm.expected_batches);
            else
                snprintf(b, sizeof b, "-");
            printf("%-30s %-12s %-9s %-8s %-9s %-5s %s\n", ok ? sm.session_id : id,
                   ok ? sm.status : "UNREADABLE", b, a, d, stale ? "yes" : "-", names[i]);
        }
    }
    if (json) {
        char *text = cJSON_PrintUnformatted(arr);
        if (text) {
            printf("%s\n", text);
            cJSON_free(text);
        } else {
            fprintf(stderr, "alchemiser sessions: out of memory\n");
            code = 1;
        }
        cJSON_Delete(arr);
    }
    free_names(names, n);
    return code;
}

static int cmd_prune(const char *dir, double older, int dry)
{
    char **names;
    int n;
    if (scan(dir, &names, &n) != 0)
        return 1;
    double now = now_wall();
    int code = 0, sessions = 0, files = 0;
    /* names are sorted: a session's files are consecutive */
    for (int i = 0; i < n;) {
        char id[ID_LEN + 1], other[ID_LEN + 1];
        session_file(names[i], id);
        int j = i;
        double newest = 0;
        int snapshot = -1, readable = 1;
        for (; j < n && session_file(names[j], other) && !strcmp(other, id); j++) {
            char path[4200];
            snprintf(path, sizeof path, "%s/%s", dir, names[j]);
            struct stat st;
            if (lstat(path, &st) == 0) {
                double m = (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec * 1e-9;
                if (m > newest)
                    newest = m;
            }
            int kind = session_file(names[j], other);
            if (kind == 1 || kind == 2) {
                snapshot = j;
                alc_snapshot_summary sm;
                alc_error err;
                if (alc_snapshot_read_summary(path, &sm, &err) != ALC_OK ||
                    strcmp(sm.session_id, id))
                    readable = 0;
            }
        }
        if (now - newest > older) {
            if (snapshot >= 0 && !readable) {
                fprintf(stderr,
                        "alchemiser sessions: %s/%s is not the snapshot of session %s: its files "
                        "are left alone\n",
                        dir, names[snapshot], id);
                code = 1;
            } else {
                sessions++;
                for (int k = i; k < j; k++) {
                    char path[4200];
                    snprintf(path, sizeof path, "%s/%s", dir, names[k]);
                    if (dry) {
                        printf("would remove %s\n", path);
                        files++;
                    } else if (unlink(path) != 0) {
                        fprintf(stderr, "alchemiser sessions: cannot remove %s: %s\n", path,
                                strerror(errno));
                        code = 1;
                    } else {
                        printf("removed %s\n", path);
                        files++;
                    }
                }
            }
        }
        i = j;
    }
    printf("%s %d session(s), %d file(s) older than %gs in %s\n", dry ? "would prune" : "pruned",
           sessions, files, older, dir);
    free_names(names, n);
    return code;
}

int alc_cmd_sessions(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return 0;
    }
    if (argc < 3 || (strcmp(argv[1], "list") && strcmp(argv[1], "prune"))) {
        usage(stderr);
        return 2;
    }
    int list = !strcmp(argv[1], "list");
    const char *dir = NULL;
    int json = 0, dry = 0, has_older = 0;
    double grace = DEFAULT_GRACE, older = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (list && !strcmp(a, "--json")) {
            json = 1;
        } else if (list && !strcmp(a, "--grace") && i + 1 < argc) {
            if (parse_duration(argv[++i], &grace) != 0) {
                fprintf(stderr, "alchemiser sessions: bad --grace '%s' (e.g. 60s, 5m)\n", argv[i]);
                return 2;
            }
        } else if (!list && !strcmp(a, "--older-than") && i + 1 < argc) {
            if (parse_duration(argv[++i], &older) != 0) {
                fprintf(stderr, "alchemiser sessions: bad --older-than '%s' (e.g. 24h, 7d)\n",
                        argv[i]);
                return 2;
            }
            has_older = 1;
        } else if (!list && !strcmp(a, "--dry-run")) {
            dry = 1;
        } else if (a[0] == '-' || dir) {
            fprintf(stderr, "alchemiser sessions %s: unexpected argument '%s'\n", argv[1], a);
            usage(stderr);
            return 2;
        } else {
            dir = a;
        }
    }
    if (!dir || (!list && !has_older)) {
        fprintf(stderr, "alchemiser sessions %s: %s\n", argv[1],
                dir ? "--older-than DURATION is required" : "a folder is required");
        return 2;
    }
    return list ? cmd_list(dir, json, grace) : cmd_prune(dir, older, dry);
}
