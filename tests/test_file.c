/* alc_read_file (include/alchemiser/file.h): whole-file reads, the size
 * limit at its exact edge (also past the first 64 KiB buffer), and the
 * errors for a missing file, a folder and an over-limit file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alc_test.h"
#include "alchemiser/file.h"

static char dir[64];

static void path_of(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", dir, name);
}

/* A file of `n` bytes, byte i = 'a' + i % 26. */
static void write_file(const char *path, size_t n)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    for (size_t i = 0; i < n; i++)
        fputc('a' + (int)(i % 26), f);
    CU_ASSERT_EQUAL(fclose(f), 0);
}

static void check_content(const char *buf, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += buf[i] != 'a' + (int)(i % 26);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(buf[n], '\0');
}

static void test_sizes_at_the_limit(void)
{
    /* small limits, and one past the first 64 KiB buffer */
    const size_t limits[] = {0, 1, 100, 65535, 65536, 200000};
    for (size_t k = 0; k < sizeof limits / sizeof *limits; k++) {
        size_t max = limits[k];
        char path[128];
        path_of(path, sizeof path, "f");
        char *buf;
        size_t len;
        alc_error err;
        write_file(path, max); /* exactly at the limit: read whole */
        CU_ASSERT_EQUAL_FATAL(alc_read_file(path, max, NULL, &buf, &len, &err), ALC_OK);
        CU_ASSERT_EQUAL(len, max);
        check_content(buf, len);
        free(buf);
        write_file(path, max + 1); /* one byte over: refused */
        CU_ASSERT_EQUAL(alc_read_file(path, max, "job file", &buf, &len, &err), ALC_ERR_LIMIT);
        CU_ASSERT_PTR_NULL(buf);
        CU_ASSERT_EQUAL(len, 0);
        char want[64];
        snprintf(want, sizeof want, "job file larger than %zu bytes", max);
        CU_ASSERT_STRING_EQUAL(err.msg, want);
        CU_ASSERT_STRING_EQUAL(err.file, path);
        /* a much larger limit reads it whole */
        CU_ASSERT_EQUAL_FATAL(alc_read_file(path, 1u << 20, NULL, &buf, &len, &err), ALC_OK);
        CU_ASSERT_EQUAL(len, max + 1);
        check_content(buf, len);
        free(buf);
    }
}

static void test_errors(void)
{
    char path[128];
    char *buf;
    size_t len;
    alc_error err;
    path_of(path, sizeof path, "missing");
    CU_ASSERT_EQUAL(alc_read_file(path, 100, "strategy file", &buf, &len, &err), ALC_ERR_IO);
    CU_ASSERT_PTR_NULL(buf);
    CU_ASSERT_STRING_EQUAL(err.msg, "cannot open strategy file: No such file or directory");
    CU_ASSERT_STRING_EQUAL(err.file, path);
    CU_ASSERT_EQUAL(alc_read_file(path, 100, NULL, &buf, &len, &err), ALC_ERR_IO);
    CU_ASSERT_STRING_EQUAL(err.msg, "cannot open: No such file or directory");
    /* a folder opens but does not read */
    CU_ASSERT_EQUAL(alc_read_file(dir, 100, NULL, &buf, &len, &err), ALC_ERR_IO);
    CU_ASSERT_PTR_NULL(buf);
    CU_ASSERT_STRING_EQUAL(err.msg, "read error: Is a directory");
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/alc_test_file_XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    ALC_ADD_SUITE("file", {"sizes at the limit", test_sizes_at_the_limit},
                  {"errors", test_errors});
    int rc = alc_test_run();
    char path[128];
    path_of(path, sizeof path, "f");
    unlink(path);
    rmdir(dir);
    return rc;
}
