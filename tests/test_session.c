/* Session modules: SHA-256, job parsing and its errors, batching, message
 * packing round trips, aggregation determinism, worker evaluation. */
#include "alc_test.h"

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alchemiser/aggregate.h"
#include "alchemiser/batch.h"
#include "alchemiser/job.h"
#include "alchemiser/json.h"
#include "alchemiser/pack.h"
#include "alchemiser/sha256.h"
#include "alchemiser/worker.h"

#define MARKET_DIR ALC_SOURCE_DIR "/tests/conformance/market"

static char tmp_root[256];
static char job_dir[512], strat_dir[512], outside_dir[512], job_path[600];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_FATAL(f != NULL);
    fputs(text, f);
    fclose(f);
}

static void rm_rf(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
            rm_rf(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static const char *STRATEGY_SPY = "(defsymphony \"spy\" {} (asset \"SPY\"))\n";
static const char *STRATEGY_MIX =
    "(defsymphony \"mix\" {} (weight-equal [(asset \"SPY\") (asset \"TLT\") (asset \"GLD\")]))\n";

static int setup_dirs(void)
{
    snprintf(tmp_root, sizeof tmp_root, "/tmp/alc_test_session_XXXXXX");
    if (!mkdtemp(tmp_root))
        return -1;
    snprintf(job_dir, sizeof job_dir, "%s/jobs", tmp_root);
    snprintf(strat_dir, sizeof strat_dir, "%s/strategies", tmp_root);
    snprintf(outside_dir, sizeof outside_dir, "%s/outside", tmp_root);
    snprintf(job_path, sizeof job_path, "%s/job.json", job_dir);
    char p[1024];
    mkdir(job_dir, 0777);
    mkdir(strat_dir, 0777);
    mkdir(outside_dir, 0777);
    snprintf(p, sizeof p, "%s/sub", job_dir);
    mkdir(p, 0777);
    const char *files[][2] = {{job_dir, "a.clj"}, {job_dir, "b.clj"}, {job_dir, "sub/c.clj"},
                              {strat_dir, "x.clj"}, {outside_dir, "evil.clj"}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", files[i][0], files[i][1]);
        FILE *f = fopen(p, "w");
        if (!f)
            return -1;
        fputs(STRATEGY_SPY, f);
        fclose(f);
    }
    char target[1024];
    snprintf(target, sizeof target, "%s/evil.clj", outside_dir);
    snprintf(p, sizeof p, "%s/link.clj", job_dir);
    return symlink(target, p);
}

/* ---- SHA-256 ---- */

static void sha256_vectors(void)
{
    char hex[65];
    alc_sha256_hex("", 0, hex);
    CU_ASSERT_STRING_EQUAL(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    alc_sha256_hex("abc", 3, hex);
    CU_ASSERT_STRING_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    alc_sha256_hex(m, strlen(m), hex);
    CU_ASSERT_STRING_EQUAL(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* one million 'a', fed in uneven pieces */
    alc_sha256 s;
    alc_sha256_init(&s);
    char a[997];
    memset(a, 'a', sizeof a);
    size_t left = 1000000, step = 1;
    while (left) {
        size_t n = step < left ? step : left;
        if (n > sizeof a)
            n = sizeof a;
        alc_sha256_update(&s, a, n);
        left -= n;
        step = step % 997 + 7;
    }
    unsigned char d[32];
    alc_sha256_final(&s, d);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    CU_ASSERT_STRING_EQUAL(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* The known vectors through the portable code and through the x86 SHA
 * extensions (when this CPU has them), then both paths on the same
 * pseudo-random inputs of every length 0..300 and a few large ones. */
static void test_sha256_vectors(void)
{
    alc_sha256_accelerated(0);
    sha256_vectors();
    int ni = alc_sha256_accelerated(1);
    sha256_vectors();
    printf("(SHA extensions %s) ", ni ? "used" : "not available");
    static unsigned char buf[70000];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (unsigned char)(x >> 16);
    }
    for (size_t len = 0; len <= 70000; len += len < 300 ? 1 : 6977) {
        char a[65], b[65];
        alc_sha256_accelerated(0);
        alc_sha256_hex(buf, len, a);
        alc_sha256_accelerated(1);
        alc_sha256_hex(buf + 1, len, b); /* unaligned input too */
        alc_sha256_accelerated(0);
        char c[65];
        alc_sha256_hex(buf + 1, len, c);
        alc_sha256_accelerated(1);
        CU_ASSERT_STRING_EQUAL(b, c);
        alc_sha256_hex(buf, len, b);
        CU_ASSERT_STRING_EQUAL(a, b);
    }
}

/* ---- jobs ---- */

static alc_status parse(const char *text, alc_job **job, alc_error *err)
{
    alc_error_clear(err);
    return alc_job_parse(job_path, text, strlen(text), strat_dir, job, err);
}

/* Expect a job error whose message contains `needle`. */
static void expect_job_error(const char *text, const char *needle)
{
    alc_job *job = NULL;
    alc_error err;
    alc_status st = parse(text, &job, &err);
    CU_ASSERT_EQUAL(st, ALC_ERR_JOB);
    CU_ASSERT_PTR_NULL(job);
    if (!strstr(err.msg, needle)) {
        fprintf(stderr, "\n  expected '%s' in: %s\n", needle, err.msg);
        CU_FAIL("error message");
    }
    alc_job_free(job);
}

static void test_job_valid_and_defaults(void)
{
    alc_job *job = NULL;
    alc_error err;
    alc_status st = parse("{\"strategies\": [{\"file\": \"a.clj\", \"allocation\": 0.25},"
                          " {\"file\": \"sub/c.clj\", \"allocation\": 0.25},"
                          " {\"file\": \"x.clj\", \"allocation\": 0.25},"
                          " {\"file\": \"../strategies/x.clj\", \"allocation\": 0.25}],"
                          " \"market\": \"../data/m.h5\"}",
                          &job, &err);
    /* x.clj twice (once via the strategies folder, once by relative path) */
    CU_ASSERT_EQUAL(st, ALC_ERR_JOB);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "same file"));
    st = parse("{\"strategies\": [{\"file\": \"a.clj\", \"allocation\": 0.5},"
               " {\"file\": \"sub/c.clj\", \"allocation\": 0.25},"
               " {\"file\": \"x.clj\", \"allocation\": 0.25}],"
               " \"market\": \"../data/m.h5\"}",
               &job, &err);
    CU_ASSERT_EQUAL_FATAL(st, ALC_OK);
    CU_ASSERT_EQUAL(job->n_strategies, 3);
    CU_ASSERT_EQUAL(job->batch_size, 10);
    CU_ASSERT_EQUAL(job->max_parallel_batches, 0);
    CU_ASSERT_EQUAL(job->max_retries, 2);
    CU_ASSERT_EQUAL(job->timeout_seconds, 600.0);
    CU_ASSERT_EQUAL(job->scheduling, ALC_SCHED_DYNAMIC);
    CU_ASSERT_EQUAL(job->has_as_of, 0);
    CU_ASSERT_STRING_EQUAL(job->output_dir, "out");
    CU_ASSERT_STRING_EQUAL(job->strategies[0].file, "a.clj");
    CU_ASSERT_PTR_NOT_NULL(strstr(job->strategies[2].path, "/strategies/x.clj"));
    char expect[1024];
    snprintf(expect, sizeof expect, "%s/data/m.h5", tmp_root);
    CU_ASSERT_PTR_NOT_NULL(strstr(job->market, "/data/m.h5"));
    CU_ASSERT_PTR_NULL(strstr(job->market, ".."));
    CU_ASSERT_EQUAL(strlen(job->sha256), 64);
    alc_job_free(job);

    st = parse("{\"strategies\": [{\"file\": \"a.clj\", \"allocation\": 1}], \"market\": \"m\","
               " \"as_of\": \"2024-02-29\", \"batch_size\": 3, \"max_parallel_batches\": 2,"
               " \"timeout_seconds\": 0.5, \"max_retries\": 0, \"output_dir\": \"o\","
               " \"scheduling\": \"static\", \"description\": \"d\"}",
               &job, &err);
    CU_ASSERT_EQUAL_FATAL(st, ALC_OK);
    CU_ASSERT_EQUAL(job->has_as_of, 1);
    CU_ASSERT_EQUAL(job->as_of, alc_day_from_civil(2024, 2, 29));
    CU_ASSERT_EQUAL(job->batch_size, 3);
    CU_ASSERT_EQUAL(job->max_parallel_batches, 2);
    CU_ASSERT_EQUAL(job->timeout_seconds, 0.5);
    CU_ASSERT_EQUAL(job->max_retries, 0);
    CU_ASSERT_EQUAL(job->scheduling, ALC_SCHED_STATIC);
    CU_ASSERT_PTR_NOT_NULL(strstr(job->output_dir, "/jobs/o"));
    alc_job_free(job);
}

static void test_job_allocations(void)
{
    expect_job_error("{\"strategies\": [{\"file\": \"a.clj\", \"allocation\": 0.5},"
                     " {\"file\": \"b.clj\", \"allocation\": 0.4}], \"market\": \"m\"}",
                     "sum to 0.90000000000000002");
    expect_job_error("{\"strategies\": [{\"file\": \"a.clj\", \"allocation\": 0.5},"
                     " {\"file\": \"b.clj\", \"allocation\": 0.50000001}], \"market\": \"m\"}",
                     "sum to");
    alc_job *job = NULL;
    alc_error err;
    CU_ASSERT_EQUAL(parse("{\"strategies\": [{\"file\": \"a.clj\", \"allocation\": 0.5},"
                          " {\"file\": \"b.clj\", \"allocation\": 0.5000000001}], \"market\": \"m\"}",
                          &job, &err),
                    ALC_OK);
    alc_job_free(job);
    expect_job_error("{\"strategies\": [{\"file\": \"a.clj\", \"allocation\": 0},"
                     " {\"file\": \"b.clj\", \"allocation\": 1}], \"market\": \"m\"}",
                     "must be a number in (0, 1]");
    expect_job_error("{\"strategies\": [{\"file\": \"a.clj\", \"allocation\": -0.5},"
                     " {\"file\": \"b.clj\", \"allocation\": 1.5}], \"market\": \"m\"}",
                     "(0, 1]");
    expect_job_error("{\"strategies\": [{\"file\": \"a.clj\", \"allocation\": \"1\"}], \"market\": \"m\"}",
                     "allocation");
    expect_job_error("{\"strategies\": [], \"market\": \"m\"}", "empty");
    expect_job_error("{\"market\": \"m\"}", "\"strategies\" is required");
}

static void test_job_paths(void)
{
    expect_job_error("{\"strategies\": [{\"file\": \"/etc/passwd\", \"allocation\": 1}], \"market\": \"m\"}",
                     "absolute");
    expect_job_error("{\"strategies\": [{\"file\": \"../outside/evil.clj\", \"allocation\": 1}],"
                     " \"market\": \"m\"}",
                     "escapes");
    expect_job_error("{\"strategies\": [{\"file\": \"sub/../../../../../../etc/passwd\", \"allocation\": 1}],"
                     " \"market\": \"m\"}",
                     "escapes");
    expect_job_error("{\"strategies\": [{\"file\": \"link.clj\", \"allocation\": 1}], \"market\": \"m\"}",
                     "outside");
    expect_job_error("{\"strategies\": [{\"file\": \"nope.clj\", \"allocation\": 1}], \"market\": \"m\"}",
                     "not found");
    expect_job_error("{\"strategies\": [{\"file\": \"sub\", \"allocation\": 1}], \"market\": \"m\"}",
                     "not a regular file");
    expect_job_error("{\"strategies\": [{\"file\": \"a.clj\", \"allocation\": 0.5},"
                     " {\"file\": \"sub/../a.clj\", \"allocation\": 0.5}], \"market\": \"m\"}",
                     "same file");
}

static void test_job_syntax(void)
{
    expect_job_error("{\"strategies\": [{\"file\": \"a.clj\", \"allocation\": 1}], \"market\": \"m\","
                     " \"market\": \"n\"}",
                     "duplicate key \"market\"");
    expect_job_error("{\"strategies\": [{\"file\": \"a.clj\", \"file\": \"b.clj\", \"allocation\": 1}],"
                     " \"market\": \"m\"}",
                     "duplicate key \"file\"");
    expect_job_error("{\"strategies\": [{\"file\": \"a.clj\", \"allocation\": 1}], \"market\": \"m\","
                     " \"batchsize\": 3}",
                     "unknown key \"batchsize\"");
    expect_job_error("{\"strategies\": [{\"file\": \"a.clj\", \"allocation\": 1, \"w\": 2}], \"market\": \"m\"}",
                     "unknown key \"w\"");
    const char *bad_values[] = {
        "\"batch_size\": 0", "\"batch_size\": 1.5", "\"batch_size\": \"10\"",
        "\"max_retries\": -1", "\"timeout_seconds\": 0", "\"timeout_seconds\": \"60\"",
        "\"scheduling\": \"fast\"", "\"as_of\": \"2025-13-01\"", "\"as_of\": 20250101",
        "\"max_parallel_batches\": 0", "\"output_dir\": \"\"",
    };
    for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "{\"strategies\": [{\"file\": \"a.clj\", \"allocation\": 1}], \"market\": \"m\", %s}",
                 bad_values[i]);
        const char *key = bad_values[i] + 1;
        char needle[64];
        snprintf(needle, sizeof needle, "%.*s", (int)(strchr(key, '"') - key), key);
        expect_job_error(text, needle);
    }
    expect_job_error("{\"strategies\": [{\"file\": \"a.clj\", \"allocation\": 1}]}", "\"market\"");
    /* invalid JSON: location reported */
    alc_job *job = NULL;
    alc_error err;
    CU_ASSERT_EQUAL(parse("{\n  \"strategies\": [,]\n}", &job, &err), ALC_ERR_JOB);
    CU_ASSERT_EQUAL(err.line, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "invalid JSON"));
    CU_ASSERT_EQUAL(parse("{\"strategies\": []} trailing", &job, &err), ALC_ERR_JOB);
    CU_ASSERT_EQUAL(parse("[1, 2]", &job, &err), ALC_ERR_JOB);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "JSON object"));
    /* loading a missing job file */
    CU_ASSERT_EQUAL(alc_job_load("/nonexistent/job.json", NULL, &job, &err), ALC_ERR_IO);
    CU_ASSERT_PTR_NULL(job);
}

/* ---- batches ---- */

static alc_job *fake_job(int n, double *alloc)
{
    alc_job *job = calloc(1, sizeof *job);
    job->strategies = calloc((size_t)n, sizeof *job->strategies);
    job->n_strategies = n;
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "s%03d.clj", i);
        job->strategies[i].file = strdup(name);
        snprintf(name, sizeof name, "/abs/s%03d.clj", i);
        job->strategies[i].path = strdup(name);
        job->strategies[i].allocation = alloc ? alloc[i] : 1.0 / n;
    }
    return job;
}

static void test_batch_split(void)
{
    double alloc[25];
    for (int i = 0; i < 25; i++)
        alloc[i] = (i + 1) / 325.0;
    alc_job *job = fake_job(25, alloc);
    alc_batch *b = NULL;
    int n = 0;
    alc_error err;
    CU_ASSERT_EQUAL_FATAL(alc_batch_split(job, 10, &b, &n, &err), ALC_OK);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_STRING_EQUAL(b[0].id, "batch-1-of-3");
    CU_ASSERT_STRING_EQUAL(b[2].id, "batch-3-of-3");
    CU_ASSERT_EQUAL(b[0].count, 10);
    CU_ASSERT_EQUAL(b[1].first, 10);
    CU_ASSERT_EQUAL(b[2].first, 20);
    CU_ASSERT_EQUAL(b[2].count, 5);
    double w = 0.0;
    for (int i = 20; i < 25; i++)
        w += alloc[i];
    CU_ASSERT_EQUAL(b[2].weight, w); /* summed in file order: bit-equal */
    free(b);
    CU_ASSERT_EQUAL(alc_batch_split(job, 1, &b, &n, &err), ALC_OK);
    CU_ASSERT_EQUAL(n, 25);
    CU_ASSERT_STRING_EQUAL(b[24].id, "batch-25-of-25");
    free(b);
    CU_ASSERT_EQUAL(alc_batch_split(job, 100, &b, &n, &err), ALC_OK);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(b[0].count, 25);
    free(b);
    CU_ASSERT_EQUAL(alc_batch_split(job, 5, &b, &n, &err), ALC_OK);
    CU_ASSERT_EQUAL(n, 5);
    alc_batch_desc d;
    CU_ASSERT_EQUAL_FATAL(alc_batch_desc_make(job, &b[1], 2, 77, &d, &err), ALC_OK);
    CU_ASSERT_EQUAL(d.index, 1);
    CU_ASSERT_EQUAL(d.attempt, 2);
    CU_ASSERT_EQUAL(d.ticket, 77u);
    CU_ASSERT_EQUAL(d.count, 5);
    CU_ASSERT_EQUAL(d.items[0].index, 5);
    CU_ASSERT_STRING_EQUAL(d.items[0].file, "s005.clj");
    CU_ASSERT_PTR_NOT_EQUAL(d.items[0].file, job->strategies[5].file); /* deep copy */
    alc_batch_desc_free(&d);
    free(b);
    CU_ASSERT_EQUAL(alc_batch_split(job, 0, &b, &n, &err), ALC_ERR_USAGE);
    alc_job_free(job);
}

/* ---- packing ---- */

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static void test_pack_setup(void)
{
    alc_setup_msg m = {1, "sess-1", "corr-1", "/data/m.h5", 20000, 1, 42, ""};
    alc_buf b;
    alc_buf_init(&b);
    alc_error err;
    CU_ASSERT_EQUAL_FATAL(alc_pack_setup(&m, &b, &err), ALC_OK);
    CU_ASSERT_EQUAL(alc_msg_kind(b.data, b.len), ALC_MSG_SETUP);
    alc_setup_msg u;
    CU_ASSERT_EQUAL_FATAL(alc_unpack_setup(b.data, b.len, &u, &err), ALC_OK);
    CU_ASSERT_EQUAL(u.go, 1);
    CU_ASSERT_STRING_EQUAL(u.session_id, "sess-1");
    CU_ASSERT_STRING_EQUAL(u.correlation_id, "corr-1");
    CU_ASSERT_STRING_EQUAL(u.market, "/data/m.h5");
    CU_ASSERT_EQUAL(u.as_of, 20000);
    CU_ASSERT_EQUAL(u.scheduling, 1);
    CU_ASSERT_EQUAL(u.n_batches, 42);
    CU_ASSERT_STRING_EQUAL(u.error, "");
    alc_setup_msg_free(&u);
    /* wrong kind */
    alc_batch_desc d;
    CU_ASSERT_EQUAL(alc_unpack_batch(b.data, b.len, &d, &err), ALC_ERR_MPI);
    alc_buf_free(&b);
}

static void test_pack_batch(void)
{
    double alloc[7] = {0.1, 1.0 / 3.0, 4.9e-324, 0.2, 0.15, 1e-300, 0.3};
    alc_job *job = fake_job(7, alloc);
    alc_batch *bt = NULL;
    int nb = 0;
    alc_error err;
    CU_ASSERT_EQUAL_FATAL(alc_batch_split(job, 3, &bt, &nb, &err), ALC_OK);
    alc_batch_desc d[3];
    for (int i = 0; i < nb; i++)
        CU_ASSERT_EQUAL_FATAL(alc_batch_desc_make(job, &bt[i], 1, (uint32_t)(100 + i), &d[i], &err),
                              ALC_OK);
    alc_buf b;
    alc_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(alc_pack_batch(&d[0], &b, &err), ALC_OK);
    alc_batch_desc u;
    CU_ASSERT_EQUAL_FATAL(alc_unpack_batch(b.data, b.len, &u, &err), ALC_OK);
    CU_ASSERT_EQUAL(u.index, 0);
    CU_ASSERT_EQUAL(u.n_batches, 3);
    CU_ASSERT_EQUAL(u.ticket, 100u);
    CU_ASSERT_EQUAL(u.count, 3);
    CU_ASSERT(same_bits(u.weight, d[0].weight));
    for (int k = 0; k < 3; k++) {
        CU_ASSERT(same_bits(u.items[k].allocation, alloc[k]));
        CU_ASSERT_STRING_EQUAL(u.items[k].file, d[0].items[k].file);
        CU_ASSERT_STRING_EQUAL(u.items[k].path, d[0].items[k].path);
        CU_ASSERT_EQUAL(u.items[k].index, k);
    }
    alc_batch_desc_free(&u);
    /* every truncation is an error, never a crash */
    for (size_t len = 0; len < b.len; len++)
        CU_ASSERT_EQUAL(alc_unpack_batch(b.data, len, &u, &err), ALC_ERR_MPI);
    alc_buf_free(&b);

    /* list of three */
    alc_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(alc_pack_batch_list(d, nb, &b, &err), ALC_OK);
    alc_batch_desc *list = NULL;
    int n = 0;
    CU_ASSERT_EQUAL_FATAL(alc_unpack_batch_list(b.data, b.len, &list, &n, &err), ALC_OK);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_EQUAL(list[2].count, 1);
    CU_ASSERT(same_bits(list[2].items[0].allocation, 0.3));
    CU_ASSERT_EQUAL(list[1].ticket, 101u);
    CU_ASSERT(same_bits(list[1].items[2].allocation, 1e-300));
    for (int i = 0; i < n; i++)
        alc_batch_desc_free(&list[i]);
    free(list);
    for (size_t len = 0; len < b.len; len += 3)
        CU_ASSERT_NOT_EQUAL(alc_unpack_batch_list(b.data, len, &list, &n, &err), ALC_OK);
    alc_buf_free(&b);
    /* empty list */
    alc_buf_init(&b);
    CU_ASSERT_EQUAL(alc_pack_batch_list(NULL, 0, &b, &err), ALC_OK);
    CU_ASSERT_EQUAL(alc_unpack_batch_list(b.data, b.len, &list, &n, &err), ALC_OK);
    CU_ASSERT_EQUAL(n, 0);
    free(list);
    alc_buf_free(&b);
    for (int i = 0; i < nb; i++)
        alc_batch_desc_free(&d[i]);
    free(bt);
    alc_job_free(job);
}

static void make_partial(alc_partial *p)
{
    memset(p, 0, sizeof *p);
    p->batch_index = 4;
    p->n_batches = 9;
    p->attempt = 2;
    p->ticket = 0xfffffffeu;
    p->rank = 3;
    p->start = 1700000000.125;
    p->end = 1700000000.5;
    p->eval_ms = 12.5;
    p->failed = 1;
    p->n_signals = 3;
    p->signals = calloc(3, sizeof *p->signals);
    const char *tickers[] = {"SPY", "TLT", "GLD"};
    for (int i = 0; i < 3; i++) {
        alc_signal *s = &p->signals[i];
        char name[32];
        snprintf(name, sizeof name, "dir/s%d.clj", i);
        s->index = 40 + i;
        s->file = strdup(name);
        s->allocation = 0.1 / (i + 1);
        s->eval_ms = i * 1.5;
        s->last_bar = 20000 + i;
        if (i == 1) {
            s->code = ALC_ERR_CHECK;
            s->error = strdup("CheckError: dir/s1.clj:1:2: ticker \"NOPE\" \xc3\xa9");
            continue;
        }
        s->n = i + 1;
        s->w = calloc((size_t)s->n, sizeof *s->w);
        for (int k = 0; k < s->n; k++) {
            s->w[k].ticker = strdup(tickers[k]);
            s->w[k].weight = s->allocation / (k + 3);
        }
    }
    alc_error err;
    CU_ASSERT_EQUAL(alc_partial_compute_portfolio(p, &err), ALC_OK);
}

static void test_pack_partial(void)
{
    alc_partial p;
    make_partial(&p);
    alc_buf b;
    alc_buf_init(&b);
    alc_error err;
    CU_ASSERT_EQUAL_FATAL(alc_pack_partial("sess-x", &p, &b, &err), ALC_OK);
    char *sid = NULL;
    alc_partial u;
    CU_ASSERT_EQUAL_FATAL(alc_unpack_partial(b.data, b.len, &sid, &u, &err), ALC_OK);
    CU_ASSERT_STRING_EQUAL(sid, "sess-x");
    free(sid);
    CU_ASSERT_EQUAL(u.batch_index, 4);
    CU_ASSERT_EQUAL(u.n_batches, 9);
    CU_ASSERT_EQUAL(u.attempt, 2);
    CU_ASSERT_EQUAL(u.ticket, 0xfffffffeu);
    CU_ASSERT_EQUAL(u.rank, 3);
    CU_ASSERT(same_bits(u.start, p.start) && same_bits(u.end, p.end));
    CU_ASSERT_EQUAL(u.failed, 1);
    CU_ASSERT_PTR_NULL(u.error);
    CU_ASSERT_EQUAL_FATAL(u.n_signals, 3);
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(u.signals[i].index, p.signals[i].index);
        CU_ASSERT_STRING_EQUAL(u.signals[i].file, p.signals[i].file);
        CU_ASSERT(same_bits(u.signals[i].allocation, p.signals[i].allocation));
        CU_ASSERT_EQUAL(u.signals[i].code, p.signals[i].code);
        CU_ASSERT_EQUAL(u.signals[i].last_bar, p.signals[i].last_bar);
        CU_ASSERT_EQUAL_FATAL(u.signals[i].n, p.signals[i].n);
        for (int k = 0; k < u.signals[i].n; k++) {
            CU_ASSERT_STRING_EQUAL(u.signals[i].w[k].ticker, p.signals[i].w[k].ticker);
            CU_ASSERT(same_bits(u.signals[i].w[k].weight, p.signals[i].w[k].weight));
        }
    }
    CU_ASSERT_STRING_EQUAL(u.signals[1].error, p.signals[1].error);
    CU_ASSERT_PTR_NULL(u.signals[0].error);
    CU_ASSERT_EQUAL_FATAL(u.n_portfolio, p.n_portfolio);
    for (int k = 0; k < u.n_portfolio; k++)
        CU_ASSERT(same_bits(u.portfolio[k].weight, p.portfolio[k].weight));
    alc_partial_free(&u);
    for (size_t len = 0; len < b.len; len++) {
        CU_ASSERT_EQUAL(alc_unpack_partial(b.data, len, &sid, &u, &err), ALC_ERR_MPI);
        CU_ASSERT_PTR_NULL(sid);
    }
    /* a trailing byte is an error too */
    unsigned char *longer = malloc(b.len + 1);
    memcpy(longer, b.data, b.len);
    longer[b.len] = 0;
    CU_ASSERT_EQUAL(alc_unpack_partial(longer, b.len + 1, &sid, &u, &err), ALC_ERR_MPI);
    /* a corrupt count cannot make us allocate wildly: n_signals sits after
     * header 12, sid 4+6, 4 x u32, i32, 3 x f64, u8, empty error 4 = byte 71 */
    memcpy(longer, b.data, b.len);
    CU_ASSERT_EQUAL(longer[71], 3);
    memset(longer + 71, 0xff, 4);
    CU_ASSERT_EQUAL(alc_unpack_partial(longer, b.len, &sid, &u, &err), ALC_ERR_MPI);
    free(longer);
    alc_buf_free(&b);
    /* partial portfolio: per ticker sums in strategy order, sorted */
    CU_ASSERT_EQUAL_FATAL(p.n_portfolio, 3);
    CU_ASSERT_STRING_EQUAL(p.portfolio[0].ticker, "GLD");
    CU_ASSERT_STRING_EQUAL(p.portfolio[1].ticker, "SPY");
    CU_ASSERT(same_bits(p.portfolio[1].weight, p.signals[0].w[0].weight + p.signals[2].w[0].weight));
    alc_partial_free(&p);
}

/* ---- aggregation ---- */

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

#define NS 60
static const char *TICKERS[] = {"AGG", "BIL", "GLD", "QQQ", "SPY", "TLT", "TQQQ", "UVXY"};

/* NS random strategies: each holds a few tickers with weights summing to ~1. */
static void random_signals(alc_signal *sig)
{
    for (int i = 0; i < NS; i++) {
        alc_signal *s = &sig[i];
        memset(s, 0, sizeof *s);
        s->index = i;
        char name[32];
        snprintf(name, sizeof name, "r%02d.clj", i);
        s->file = strdup(name);
        s->allocation = 1.0 / NS;
        s->last_bar = 20400 - (i == 17 ? 9 : 0) - (i == 40 ? 9 : 0);
        int used[8] = {0};
        int n = 1 + (int)(next_rand() % 4);
        s->w = calloc((size_t)n, sizeof *s->w);
        double left = 1.0;
        for (int k = 0; k < n; k++) {
            int t;
            do
                t = (int)(next_rand() % 8);
            while (used[t]);
            used[t] = 1;
            double w = k == n - 1 ? left : left * (double)(next_rand() % 1000) / 1000.0;
            left -= w;
            s->w[s->n].ticker = strdup(TICKERS[t]);
            s->w[s->n++].weight = w * s->allocation;
        }
        for (int a = 0; a < s->n; a++) /* sort by ticker */
            for (int b = a + 1; b < s->n; b++)
                if (strcmp(s->w[a].ticker, s->w[b].ticker) > 0) {
                    alc_weight x = s->w[a];
                    s->w[a] = s->w[b];
                    s->w[b] = x;
                }
    }
}

static void free_signals(alc_signal *sig, int n)
{
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < sig[i].n; k++)
            free(sig[i].w[k].ticker);
        free(sig[i].w);
        free(sig[i].file);
        free(sig[i].error);
    }
}

static void test_aggregate_determinism(void)
{
    alc_signal sig[NS];
    random_signals(sig);
    const alc_signal *ptr[NS];
    for (int i = 0; i < NS; i++)
        ptr[i] = &sig[i];
    alc_consolidated c;
    alc_error err;
    CU_ASSERT_EQUAL_FATAL(alc_aggregate(ptr, NS, &c, &err), ALC_OK);
    /* reference: per ticker, sum in strategy order */
    for (int t = 0; t < 8; t++) {
        double sum = 0.0;
        int any = 0;
        for (int i = 0; i < NS; i++)
            for (int k = 0; k < sig[i].n; k++)
                if (!strcmp(sig[i].w[k].ticker, TICKERS[t])) {
                    sum += sig[i].w[k].weight;
                    any = 1;
                }
        int found = -1;
        for (int j = 0; j < c.n; j++)
            if (!strcmp(c.w[j].ticker, TICKERS[t]))
                found = j;
        CU_ASSERT_EQUAL(found >= 0, any);
        if (found >= 0)
            CU_ASSERT(same_bits(c.w[found].weight, sum));
    }
    for (int j = 1; j < c.n; j++)
        CU_ASSERT(strcmp(c.w[j - 1].ticker, c.w[j].ticker) < 0);
    /* attribution sorted by ticker then strategy and adding up */
    for (int a = 1; a < c.n_attr; a++)
        CU_ASSERT(c.attr[a - 1].ticker < c.attr[a].ticker ||
                  (c.attr[a - 1].ticker == c.attr[a].ticker &&
                   c.attr[a - 1].strategy < c.attr[a].strategy));
    CU_ASSERT(fabs(c.total - 1.0) < 1e-12);
    CU_ASSERT_EQUAL(c.oldest, 20391);
    CU_ASSERT_EQUAL(c.oldest_strategy, 17); /* the first of the two oldest */

    /* The result does not depend on how strategies were batched nor on the
     * order results arrived: rebuild the input from copies visited in a
     * scrambled order, aggregate again, compare bits. */
    alc_signal copy[NS];
    const alc_signal *ptr2[NS];
    for (int round = 0; round < 5; round++) {
        int order[NS];
        for (int i = 0; i < NS; i++)
            order[i] = i;
        for (int i = NS - 1; i > 0; i--) {
            int j = (int)(next_rand() % (uint64_t)(i + 1));
            int x = order[i];
            order[i] = order[j];
            order[j] = x;
        }
        for (int i = 0; i < NS; i++) {
            copy[order[i]] = sig[order[i]];
            ptr2[order[i]] = &copy[order[i]];
        }
        alc_consolidated c2;
        CU_ASSERT_EQUAL_FATAL(alc_aggregate(ptr2, NS, &c2, &err), ALC_OK);
        CU_ASSERT_EQUAL_FATAL(c2.n, c.n);
        for (int j = 0; j < c.n; j++)
            CU_ASSERT(same_bits(c2.w[j].weight, c.w[j].weight));
        CU_ASSERT(same_bits(c2.total, c.total));
        alc_consolidated_free(&c2);
    }
    alc_consolidated_free(&c);

    /* missing and failed strategies */
    ptr[5] = NULL;
    CU_ASSERT_EQUAL(alc_aggregate(ptr, NS, &c, &err), ALC_ERR_SESSION);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "lost"));
    alc_consolidated_free(&c);
    ptr[5] = &sig[5];
    sig[7].code = ALC_ERR_EVAL;
    sig[7].error = strdup("DslEvaluationError: boom");
    CU_ASSERT_EQUAL(alc_aggregate(ptr, NS, &c, &err), ALC_ERR_SESSION);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "boom"));
    alc_consolidated_free(&c);
    sig[7].code = ALC_OK;

    /* total out of [0.99, 1.01] */
    sig[3].w[0].weight += 0.05;
    CU_ASSERT_EQUAL(alc_aggregate(ptr, NS, &c, &err), ALC_ERR_SESSION);
    CU_ASSERT_EQUAL(strncmp(err.msg, "AggregationError", 16), 0);
    char total[64];
    snprintf(total, sizeof total, "%.17g", c.total);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, total));
    CU_ASSERT(c.total > 1.04);
    alc_consolidated_free(&c);
    free_signals(sig, NS);
}

/* ---- worker ---- */

static void test_worker_freshness(void)
{
    alc_day d1[3] = {100, 101, 102}, d2[2] = {100, 105}, d3[1] = {90};
    alc_series s[3] = {{"GLD", 3, d1, NULL, NULL, NULL, NULL, NULL},
                       {"SPY", 2, d2, NULL, NULL, NULL, NULL, NULL},
                       {"TLT", 1, d3, NULL, NULL, NULL, NULL, NULL}};
    alc_market m = {3, s, "mem"};
    const char *src = "(weight-equal [(asset \" spy \") (asset \"GLD\")]) ; \"TLT\"\n \"NOPE\"";
    CU_ASSERT_EQUAL(alc_worker_freshness(&m, src, strlen(src), 104), 100); /* SPY's last <= 104 */
    CU_ASSERT_EQUAL(alc_worker_freshness(&m, src, strlen(src), 200), 102); /* GLD at 102 */
    const char *src2 = "(asset \"TLT\")";
    CU_ASSERT_EQUAL(alc_worker_freshness(&m, src2, strlen(src2), 200), 90);
    CU_ASSERT_EQUAL(alc_worker_freshness(&m, "\"X\"", 3, 200), 0);
    /* an escaped quote does not end a string; a ';' inside a string is no
     * comment; a comment ends at its line; an unterminated string runs to
     * the end */
    const char *esc = "\"a\\\"TLT\" \"GLD\"";
    CU_ASSERT_EQUAL(alc_worker_freshness(&m, esc, strlen(esc), 200), 102);
    const char *semi = "\"x;y\" \"tlt\"";
    CU_ASSERT_EQUAL(alc_worker_freshness(&m, semi, strlen(semi), 200), 90);
    const char *cmt = "\"GLD\" ; \"TLT\" \"SPY\"\n";
    CU_ASSERT_EQUAL(alc_worker_freshness(&m, cmt, strlen(cmt), 200), 102);
    const char *cmt2 = "; \"TLT\"\n\"SPY\" ; \"GLD\"";
    CU_ASSERT_EQUAL(alc_worker_freshness(&m, cmt2, strlen(cmt2), 200), 105);
    const char *open_str = "\"GLD\" \"TLT";
    CU_ASSERT_EQUAL(alc_worker_freshness(&m, open_str, strlen(open_str), 200), 90);
    CU_ASSERT_EQUAL(alc_worker_freshness(&m, "\"", 1, 200), 0);
    CU_ASSERT_EQUAL(alc_worker_freshness(&m, "\"GLD\\", 5, 200), 0); /* "GLD\ : body GLD\ */
}

static void test_worker_batch(void)
{
    alc_market *m = NULL;
    alc_error err;
    alc_status st = alc_market_load(MARKET_DIR, &m, &err);
    CU_ASSERT_EQUAL_FATAL(st, ALC_OK);
    char p1[700], p2[700], p3[700];
    snprintf(p1, sizeof p1, "%s/mix.clj", job_dir);
    snprintf(p2, sizeof p2, "%s/missing_ticker.clj", job_dir);
    snprintf(p3, sizeof p3, "%s/bad_syntax.clj", job_dir);
    write_file(p1, STRATEGY_MIX);
    write_file(p2, "(defsymphony \"m\" {} (asset \"NOTATICKER\"))\n");
    write_file(p3, "(defsymphony \"b\" {} (asset \"SPY\")\n");
    alc_batch_item items[3] = {{7, "mix.clj", p1, 0.25}, {8, "missing_ticker.clj", p2, 0.5},
                               {9, "bad_syntax.clj", p3, 0.25}};
    alc_batch_desc d = {2, 5, 1, 9, 1.0, 3, items};
    alc_worker *w = NULL;
    CU_ASSERT_EQUAL_FATAL(alc_worker_new(m, NULL, 1, &w, &err), ALC_OK);
    alc_partial p;
    alc_day as_of = alc_day_from_civil(2025, 12, 31);
    CU_ASSERT_EQUAL_FATAL(alc_worker_run_batch(w, &d, as_of, &p, &err), ALC_OK);
    CU_ASSERT_EQUAL(p.failed, 1);
    CU_ASSERT_EQUAL(p.rank, 1);
    CU_ASSERT_EQUAL(p.ticket, 9u);
    CU_ASSERT_EQUAL_FATAL(p.n_signals, 3);
    const alc_signal *s = &p.signals[0];
    CU_ASSERT_EQUAL(s->code, ALC_OK);
    CU_ASSERT_EQUAL_FATAL(s->n, 3);
    CU_ASSERT_STRING_EQUAL(s->w[0].ticker, "GLD");
    CU_ASSERT(fabs(s->w[0].weight - 0.25 / 3) < 1e-15);
    CU_ASSERT_EQUAL(s->last_bar, as_of);
    CU_ASSERT_EQUAL(p.signals[1].code, ALC_ERR_CHECK);
    CU_ASSERT_PTR_NOT_NULL(strstr(p.signals[1].error, "NOTATICKER"));
    CU_ASSERT_PTR_NOT_NULL(strstr(p.signals[1].error, "missing_ticker.clj"));
    CU_ASSERT_EQUAL(p.signals[1].n, 0);
    CU_ASSERT_EQUAL(p.signals[2].code, ALC_ERR_PARSE);
    CU_ASSERT_EQUAL(p.n_portfolio, 3);
    alc_partial_free(&p);
    alc_worker_free(w);

    /* a worker that could not load the market fails every batch, loudly */
    CU_ASSERT_EQUAL_FATAL(alc_worker_new(NULL, "no such market", 2, &w, &err), ALC_OK);
    CU_ASSERT_EQUAL_FATAL(alc_worker_run_batch(w, &d, as_of, &p, &err), ALC_OK);
    CU_ASSERT_EQUAL(p.failed, 1);
    CU_ASSERT_PTR_NOT_NULL(p.error);
    CU_ASSERT_PTR_NOT_NULL(strstr(p.error, "no such market"));
    alc_partial_free(&p);
    alc_worker_free(w);
    alc_market_free(m);
}


/* ---- number formatting ---- */

static int g17_mismatches;

static void g17_check(double x)
{
    char a[64], b[64];
    int na = alc_format_g17(x, a);
    int nb = snprintf(b, sizeof b, "%.17g", x);
    if (na != nb || strcmp(a, b)) {
        if (g17_mismatches++ < 5)
            printf("\n%a: alc_format_g17 \"%s\", printf \"%s\"", x, a, b);
    }
}

static double bits_to_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* alc_format_g17 gives printf's bytes: exact binary fractions (ties to
 * even included), random bit patterns over the whole exponent range,
 * portfolio-like weights, neighbours of powers of ten, specials. */
static void test_format_g17(void)
{
    g17_mismatches = 0;
    for (int64_t m = 1; m <= 3000; m++)
        for (int k = -2; k <= 120; k++) {
            double x = ldexp((double)m, -k);
            g17_check(x);
            g17_check(-x);
        }
    uint64_t r = 88172645463325252ull;
    for (int i = 0; i < 400000; i++) {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        /* exponents 2^-140 .. 2^70 mostly, every pattern now and then */
        uint64_t u = i % 10 ? (r & 0x800fffffffffffffull) | ((uint64_t)(883 + r % 211) << 52) : r;
        g17_check(bits_to_double(u));
        double w = (double)(r % 1000 + 1) / (double)(r % 997 + 1) * 0.0001 / (double)(i % 13 + 1);
        g17_check(w);
        g17_check(1.0 / (double)(i + 1));
    }
    for (int p = -35; p <= 20; p++) {
        double t = pow(10.0, p);
        double x = t;
        for (int j = 0; j < 40; j++)
            x = nextafter(x, 0.0);
        for (int j = 0; j < 80; j++, x = nextafter(x, INFINITY))
            g17_check(x);
    }
    double special[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 1e16, 9999999999999998.0, 1e-30,
                        4.9e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.1, 0.5,
                        1.0, 1e-5, 1e-4, 0.0001, 123456789012345678.0};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        g17_check(special[i]);
    CU_ASSERT_EQUAL(g17_mismatches, 0);
}

/* The shape check shared by the coordinator (a malformed result fails its
 * batch) and the snapshot (no hashes recorded from it). */
static void test_partial_mismatch(void)
{
    alc_batch b;
    memset(&b, 0, sizeof b);
    b.first = 3;
    b.count = 2;
    alc_signal sig[2];
    memset(sig, 0, sizeof sig);
    sig[0].index = 3;
    sig[1].index = 4;
    alc_partial p;
    memset(&p, 0, sizeof p);
    p.signals = sig;
    p.n_signals = 2;
    CU_ASSERT_PTR_NULL(alc_partial_mismatch(&p, &b));
    p.n_signals = 1;
    CU_ASSERT_STRING_EQUAL(alc_partial_mismatch(&p, &b), "wrong number of signals");
    p.n_signals = 2;
    sig[0].index = 4;
    sig[1].index = 3;
    CU_ASSERT_STRING_EQUAL(alc_partial_mismatch(&p, &b), "signals out of order");
}

int main(void)
{
    if (setup_dirs() != 0) {
        perror("test setup");
        return 1;
    }
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    ALC_ADD_SUITE("sha256", {"vectors", test_sha256_vectors});
    ALC_ADD_SUITE("json", {"%.17g", test_format_g17});
    ALC_ADD_SUITE("job", {"valid and defaults", test_job_valid_and_defaults},
                  {"allocations", test_job_allocations}, {"paths", test_job_paths},
                  {"syntax and types", test_job_syntax});
    ALC_ADD_SUITE("batch", {"split", test_batch_split});
    ALC_ADD_SUITE("pack", {"setup", test_pack_setup}, {"batch", test_pack_batch},
                  {"partial", test_pack_partial});
    ALC_ADD_SUITE("aggregate", {"determinism and errors", test_aggregate_determinism});
    ALC_ADD_SUITE("worker", {"freshness", test_worker_freshness}, {"batch", test_worker_batch},
                  {"partial mismatch", test_partial_mismatch});
    int rc = alc_test_run();
    rm_rf(tmp_root);
    return rc;
}
