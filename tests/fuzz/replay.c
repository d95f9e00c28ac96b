/* Plain-C driver for the fuzz targets (no clang, no libFuzzer): feeds every
 * file named on the command line, or found in the folders named there, to
 * LLVMFuzzerTestOneInput once.  A contract violation aborts (the test
 * fails); the sanitizers, in the ASan build, catch the rest.
 * Usage: fuzz_replay_<target> FILE_OR_DIR...   (exit 0 = all inputs fine) */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alchemiser/file.h"
#include "fuzz_common.h"

static int run_file(const char *path)
{
    char *buf;
    size_t len;
    alc_error err;
    if (alc_read_file(path, (size_t)1 << 30, NULL, &buf, &len, &err) != ALC_OK) {
        char msg[2048];
        alc_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "%s\n", msg);
        return -1;
    }
    /* an exact-size copy, so that ASan sees any read past the end */
    unsigned char *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_path(const char *path, int *count)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "no such file or folder: %s\n", path);
        return -1;
    }
    if (!S_ISDIR(sb.st_mode)) {
        (*count)++;
        return run_file(path);
    }
    DIR *d = opendir(path);
    if (!d)
        return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn)
                break;
            names = nn;
        }
        size_t l = strlen(path) + strlen(de->d_name) + 2;
        if (!(names[n] = malloc(l)))
            break;
        snprintf(names[n++], l, "%s/%s", path, de->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && run_path(names[i], count) != 0)
            rc = -1;
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    int count = 0;
    for (int i = 1; i < argc; i++)
        if (run_path(argv[i], &count) != 0)
            return 1;
    if (count == 0) {
        fprintf(stderr, "no input files\n");
        return 1;
    }
    printf("%d inputs replayed without a finding\n", count);
    return 0;
}
