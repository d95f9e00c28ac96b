/* Unit tests of the fault-handling pieces (issue 4): renormalising
 * aggregation for on_strategy_failure=skip, the policy in job files, the
 * source and market fingerprints a resume compares, timestamps read back
 * from snapshots.  The end-to-end scenarios under mpirun are in
 * tests/faults_tests.sh. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alc_test.h"
#include "alchemiser/aggregate.h"
#include "alchemiser/date.h"
#include "alchemiser/job.h"
#include "alchemiser/market.h"
#include "alchemiser/session.h"
#include "alchemiser/sha256.h"
#include "alchemiser/snapshot.h"

static int same_bits(double a, double b)
{
    uint64_t x, y;
    memcpy(&x, &a, sizeof x);
    memcpy(&y, &b, sizeof y);
    return x == y;
}

static char tmp[256];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_FATAL(f != NULL);
    fputs(text, f);
    fclose(f);
}

/* ---- aggregation with drops ---- */

#define NS 5
static const char *TICK[] = {"AAA", "BBB", "CCC"};

static void make_signals(alc_signal *sig, double *alloc)
{
    memset(sig, 0, sizeof(alc_signal) * NS);
    for (int i = 0; i < NS; i++) {
        sig[i].index = i;
        sig[i].allocation = alloc[i];
        sig[i].n = 2;
        sig[i].w = calloc(2, sizeof *sig[i].w);
        int a = i % 3, b = (i + 1) % 3;
        if (a > b) {
            int t = a;
            a = b;
            b = t;
        }
        sig[i].w[0].ticker = strdup(TICK[a]);
        sig[i].w[0].weight = alloc[i] * (0.3 + 0.01 * i);
        sig[i].w[1].ticker = strdup(TICK[b]);
        sig[i].w[1].weight = alloc[i] - sig[i].w[0].weight;
        sig[i].last_bar = 20000 + i;
    }
}

static void free_signals(alc_signal *sig)
{
    for (int i = 0; i < NS; i++) {
        for (int k = 0; k < sig[i].n; k++)
            free(sig[i].w[k].ticker);
        free(sig[i].w);
    }
}

static void test_aggregate_drop(void)
{
    double alloc[NS] = {0.1, 0.2, 0.3, 0.15, 0.25};
    alc_signal sig[NS];
    make_signals(sig, alloc);
    const alc_signal *ptr[NS];
    for (int i = 0; i < NS; i++)
        ptr[i] = &sig[i];
    alc_error err;
    alc_consolidated a, b;

    /* no drop and divisor 1: alc_aggregate, bit for bit */
    CU_ASSERT_EQUAL_FATAL(alc_aggregate(ptr, NS, &a, &err), ALC_OK);
    CU_ASSERT_EQUAL_FATAL(alc_aggregate_ex(ptr, NS, NULL, 1.0, &b, &err), ALC_OK);
    CU_ASSERT_EQUAL(a.n, b.n);
    for (int j = 0; j < a.n && j < b.n; j++)
        CU_ASSERT(same_bits(a.w[j].weight, b.w[j].weight));
    alc_consolidated_free(&a);
    alc_consolidated_free(&b);

    /* drop strategies 1 and 3 (their signals may even be missing) */
    unsigned char drop[NS] = {0, 1, 0, 1, 0};
    ptr[1] = NULL;
    double kept = 0.0;
    for (int i = 0; i < NS; i++)
        if (!drop[i])
            kept += alloc[i];
    CU_ASSERT_EQUAL_FATAL(alc_aggregate_ex(ptr, NS, drop, kept, &a, &err), ALC_OK);
    CU_ASSERT(fabs(a.total - 1.0) < 1e-12);
    for (int t = 0; t < 3; t++) {
        double sum = 0.0; /* reference: divide each weight, sum in strategy order */
        for (int i = 0; i < NS; i++)
            for (int k = 0; !drop[i] && k < sig[i].n; k++)
                if (!strcmp(sig[i].w[k].ticker, TICK[t]))
                    sum += sig[i].w[k].weight / kept;
        int found = 0;
        for (int j = 0; j < a.n; j++)
            if (!strcmp(a.w[j].ticker, TICK[t])) {
                found = 1;
                CU_ASSERT(same_bits(a.w[j].weight, sum));
            }
        CU_ASSERT(found);
    }
    for (int x = 0; x < a.n_attr; x++)
        CU_ASSERT(!drop[a.attr[x].strategy]);
    CU_ASSERT_EQUAL(a.oldest_strategy, 0);
    alc_consolidated_free(&a);

    /* a dropped strategy is never reported lost; a kept missing one is */
    unsigned char keep1[NS] = {0, 0, 0, 1, 0};
    CU_ASSERT_EQUAL(alc_aggregate_ex(ptr, NS, keep1, kept, &a, &err), ALC_ERR_SESSION);
    CU_ASSERT(strstr(err.msg, "strategy 1 has no result") != NULL);
    alc_consolidated_free(&a);
    CU_ASSERT_EQUAL(alc_aggregate_ex(ptr, NS, drop, 0.0, &a, &err), ALC_ERR_INTERNAL);
    alc_consolidated_free(&a);
    free_signals(sig);
}

/* ---- job: policy and source hashes ---- */

static void test_job_policy_and_hashes(void)
{
    char dir[300], strat[400], job[400], text[1024];
    snprintf(dir, sizeof dir, "%s/job", tmp);
    mkdir(dir, 0777);
    snprintf(strat, sizeof strat, "%s/a.clj", dir);
    write_file(strat, "(defsymphony \"a\" {} (asset \"SPY\"))\n");
    snprintf(job, sizeof job, "%s/job.json", dir);
    alc_error err;
    alc_job *j = NULL;

    const char *fmt = "{\"market\": \"m\", %s \"strategies\": [{\"file\": \"a.clj\", \"allocation\": 1}]}";
    snprintf(text, sizeof text, fmt, "");
    CU_ASSERT_EQUAL_FATAL(alc_job_parse(job, text, strlen(text), dir, &j, &err), ALC_OK);
    CU_ASSERT_EQUAL(j->on_strategy_failure, ALC_ON_FAILURE_FAIL);
    CU_ASSERT_STRING_EQUAL(j->strategies[0].sha256, "");
    CU_ASSERT_EQUAL_FATAL(alc_job_hash_sources(j, &err), ALC_OK);
    char want[65];
    const char *src = "(defsymphony \"a\" {} (asset \"SPY\"))\n";
    alc_sha256_hex(src, strlen(src), want);
    CU_ASSERT_STRING_EQUAL(j->strategies[0].sha256, want);
    write_file(strat, "(defsymphony \"a\" {} (asset \"QQQ\"))\n");
    CU_ASSERT_EQUAL(alc_job_hash_sources(j, &err), ALC_OK);
    CU_ASSERT_STRING_NOT_EQUAL(j->strategies[0].sha256, want);
    alc_job_free(j);

    snprintf(text, sizeof text, fmt, "\"on_strategy_failure\": \"skip\",");
    CU_ASSERT_EQUAL_FATAL(alc_job_parse(job, text, strlen(text), dir, &j, &err), ALC_OK);
    CU_ASSERT_EQUAL(j->on_strategy_failure, ALC_ON_FAILURE_SKIP);
    CU_ASSERT_STRING_EQUAL(alc_failure_policy_name(j->on_strategy_failure), "skip");
    alc_job_free(j);

    const char *bad[] = {"\"on_strategy_failure\": \"ignore\",", "\"on_strategy_failure\": 1,",
                         "\"on_strategy_failure\": \"skip\", \"on_strategy_failure\": \"fail\","};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, fmt, bad[i]);
        CU_ASSERT_EQUAL(alc_job_parse(job, text, strlen(text), dir, &j, &err), ALC_ERR_JOB);
        CU_ASSERT_PTR_NULL(j);
    }
    alc_failure_policy p;
    CU_ASSERT_EQUAL(alc_failure_policy_parse("fail", &p), 0);
    CU_ASSERT_EQUAL(p, ALC_ON_FAILURE_FAIL);
    CU_ASSERT_EQUAL(alc_failure_policy_parse("Skip", &p), -1);
}

/* ---- market fingerprint ---- */

static void test_market_fingerprint(void)
{
    alc_day d0;
    CU_ASSERT_EQUAL_FATAL(alc_parse_date("2024-01-02", 10, &d0), 0);
    const char *tickers[] = {"SPY", "TLT", "GLD"};
    alc_synth_options o = {11, d0, d0 + 60, tickers, 3};
    alc_market *m = NULL;
    alc_error err;
    CU_ASSERT_EQUAL_FATAL(alc_market_synth(&o, &m, &err), ALC_OK);
    char a[65], b[65], c[65];
    alc_market_fingerprint(m, a);
    alc_market_fingerprint(m, b);
    CU_ASSERT_STRING_EQUAL(a, b);
    CU_ASSERT_EQUAL(strlen(a), 64);

    /* the same data from HDF5 and from CSV: the same fingerprint */
    char h5[300], csv[300];
    snprintf(h5, sizeof h5, "%s/m.h5", tmp);
    snprintf(csv, sizeof csv, "%s/csv", tmp);
    CU_ASSERT_EQUAL_FATAL(alc_market_write_h5(m, h5, &err), ALC_OK);
    CU_ASSERT_EQUAL_FATAL(alc_market_write_csv_dir(m, csv, &err), ALC_OK);
    alc_market *m1 = NULL, *m2 = NULL;
    CU_ASSERT_EQUAL_FATAL(alc_market_load(h5, &m1, &err), ALC_OK);
    CU_ASSERT_EQUAL_FATAL(alc_market_load(csv, &m2, &err), ALC_OK);
    alc_market_fingerprint(m1, b);
    alc_market_fingerprint(m2, c);
    CU_ASSERT_STRING_EQUAL(a, b);
    CU_ASSERT_STRING_EQUAL(a, c);

    /* one bar changed in the last bit: another fingerprint */
    m->series[1].close[5] = nextafter(m->series[1].close[5], 1e300);
    alc_market_fingerprint(m, b);
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
    m->series[1].close[5] = m1->series[1].close[5];
    m->series[2].n--; /* one bar fewer */
    alc_market_fingerprint(m, b);
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
    m->series[2].n++;
    alc_market_free(m);
    alc_market_free(m1);
    alc_market_free(m2);
}

static void test_parse_time(void)
{
    CU_ASSERT(fabs(alc_parse_timestamp("2025-01-01T00:00:00.500Z") - 1735689600.5) < 1e-6);
    CU_ASSERT(fabs(alc_parse_timestamp("1970-01-02T00:00:01.000Z") - 86401.0) < 1e-6);
    CU_ASSERT(alc_parse_timestamp("") < 0);
    CU_ASSERT(alc_parse_timestamp("yesterday") < 0);
    CU_ASSERT(alc_parse_timestamp(NULL) < 0);
    /* the one parser of inspect, sessions list and resume: exact for the
     * millisecond stamps the session writes, strict about the form */
    CU_ASSERT(alc_parse_timestamp("2026-12-01T07:44:52.123Z") == 1796111092.0 + 123 / 1000.0);
    CU_ASSERT(alc_parse_timestamp("2025-01-01T00:00:00Z") == 1735689600.0);
    CU_ASSERT(alc_parse_timestamp("2025-01-01T00:00:00") < 0);
    CU_ASSERT(alc_parse_timestamp("2025-02-30T00:00:00.000Z") < 0);
    CU_ASSERT(alc_parse_timestamp("2025-01-01T24:00:00.000Z") < 0);
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "%s/test_faults_tmp.%d", ALC_BINARY_DIR, (int)getpid());
    if (mkdir(tmp, 0777) != 0) {
        perror(tmp);
        return 1;
    }
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    ALC_ADD_SUITE("skip policy", {"aggregate with drops, renormalised", test_aggregate_drop});
    ALC_ADD_SUITE("job", {"on_strategy_failure and source hashes", test_job_policy_and_hashes});
    ALC_ADD_SUITE("resume checks", {"market fingerprint", test_market_fingerprint},
                  {"snapshot timestamps", test_parse_time});
    int rc = alc_test_run();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        rc = 1;
    return rc;
}
