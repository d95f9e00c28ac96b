/* Hardening (docs/hardening.md): limits with clear errors, numbers that
 * overflow, BOMs and CRLF line ends, and the path rules, on the DSL, the
 * CSV market import and the job reader. */
#include "alc_test.h"

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alchemiser/engine.h"
#include "alchemiser/job.h"
#include "alchemiser/market.h"

static char tmp_root[256];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

static void path_in(char *out, size_t size, const char *rel)
{
    snprintf(out, size, "%s/%s", tmp_root, rel);
}

static int has(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) {
        fprintf(stderr, "\n  expected '%s' in '%s'\n", needle, hay);
        return 0;
    }
    return 1;
}

/* ---- DSL: parse limits ------------------------------------------------- */

static alc_status parse_text(const char *text, size_t len, alc_error *err)
{
    alc_program *p = NULL;
    alc_error_clear(err);
    alc_status st = alc_program_parse("h.clj", text, len, &p, err);
    CU_ASSERT((st == ALC_OK) == (p != NULL));
    alc_program_free(p);
    return st;
}

static char *nested(int depth)
{
    /* depth lists around an atom: the atom is at depth `depth` */
    char *s = malloc((size_t)depth * 2 + 8);
    size_t k = 0;
    for (int i = 0; i < depth; i++)
        s[k++] = '[';
    s[k++] = '1';
    for (int i = 0; i < depth; i++)
        s[k++] = ']';
    s[k] = '\0';
    return s;
}

static void test_dsl_depth(void)
{
    alc_error err;
    char *ok = nested(300), *deep = nested(301);
    CU_ASSERT_EQUAL(parse_text(ok, strlen(ok), &err), ALC_OK);
    CU_ASSERT_EQUAL(parse_text(deep, strlen(deep), &err), ALC_ERR_PARSE);
    CU_ASSERT(has(err.msg, "Nesting too deep"));
    CU_ASSERT_STRING_EQUAL(err.file, "h.clj");
    CU_ASSERT_EQUAL(err.line, 1);
    CU_ASSERT_EQUAL(err.col, 302); /* the atom at depth 301 */
    free(ok);
    free(deep);
}

static void test_dsl_sizes(void)
{
    alc_error err;
    /* file size: 10 MiB + 1 byte of blanks around an atom */
    size_t big = 10u * 1024 * 1024 + 1;
    char *text = malloc(big);
    memset(text, ' ', big);
    text[0] = '1';
    CU_ASSERT_EQUAL(parse_text(text, big, &err), ALC_ERR_LIMIT);
    CU_ASSERT(has(err.msg, "10 MiB"));
    CU_ASSERT_STRING_EQUAL(err.file, "h.clj");
    CU_ASSERT_EQUAL(parse_text(text, big - 1, &err), ALC_OK);
    /* string literals: 65536 raw bytes accepted, 65537 refused at line:col */
    size_t n = 65536;
    char *s = malloc(n + 64);
    for (int extra = 0; extra < 2; extra++) {
        size_t k = 0;
        k += (size_t)sprintf(s, "\n  (asset \"");
        memset(s + k, 'A', n + (size_t)extra);
        k += n + (size_t)extra;
        k += (size_t)sprintf(s + k, "\")");
        alc_status st = parse_text(s, k, &err);
        CU_ASSERT_EQUAL(st, extra ? ALC_ERR_LIMIT : ALC_OK);
        if (extra) {
            CU_ASSERT(has(err.msg, "string literal of 65537 bytes; the limit is 65536"));
            CU_ASSERT_EQUAL(err.line, 2);
            CU_ASSERT_EQUAL(err.col, 10);
        }
    }
    /* symbols: same limit */
    memset(s, 'x', n + 1);
    CU_ASSERT_EQUAL(parse_text(s, n, &err), ALC_OK);
    CU_ASSERT_EQUAL(parse_text(s, n + 1, &err), ALC_ERR_LIMIT);
    CU_ASSERT(has(err.msg, "symbol of 65537 bytes"));
    CU_ASSERT_EQUAL(err.line, 1);
    CU_ASSERT_EQUAL(err.col, 1);
    /* number literals: 127 characters accepted (finite: at most 1e127),
     * 128 refused; no literal can overflow to infinity or be NaN */
    memset(s, '9', 128);
    CU_ASSERT_EQUAL(parse_text(s, 127, &err), ALC_OK);
    CU_ASSERT_EQUAL(parse_text(s, 128, &err), ALC_ERR_PARSE);
    CU_ASSERT(has(err.msg, "Number literal too long"));
    CU_ASSERT_EQUAL(err.col, 1);
    CU_ASSERT_EQUAL(parse_text("(asset \"SPY\" NaN inf 1e999)", 27, &err), ALC_OK); /* symbols, per SPEC 1 */
    free(s);
    free(text);
}

static void test_dsl_bom_crlf(void)
{
    alc_error err;
    const char *bom = "\xEF\xBB\xBF(asset \"SPY\")";
    CU_ASSERT_EQUAL(parse_text(bom, strlen(bom), &err), ALC_ERR_PARSE);
    CU_ASSERT(has(err.msg, "byte order mark"));
    CU_ASSERT_EQUAL(err.line, 1);
    CU_ASSERT_EQUAL(err.col, 1);
    /* CRLF is whitespace: same result, same error locations as LF */
    const char *lf = "(defsymphony \"x\" {}\n  (weight-equal [(asset \"SPY\")\n  #]))\n";
    const char *crlf = "(defsymphony \"x\" {}\r\n  (weight-equal [(asset \"SPY\")\r\n  #]))\r\n";
    CU_ASSERT_EQUAL(parse_text(lf, strlen(lf), &err), ALC_ERR_PARSE);
    int line = err.line, col = err.col;
    CU_ASSERT_EQUAL(parse_text(crlf, strlen(crlf), &err), ALC_ERR_PARSE);
    CU_ASSERT_EQUAL(err.line, line);
    CU_ASSERT_EQUAL(err.col, col);
    CU_ASSERT_EQUAL(line, 3);
    CU_ASSERT_EQUAL(col, 3);
    const char *good = "(defsymphony \"x\" {}\r\n  (weight-equal [(asset \"SPY\")]))\r\n";
    CU_ASSERT_EQUAL(parse_text(good, strlen(good), &err), ALC_OK);
    /* invalid UTF-8 is refused with its location */
    CU_ASSERT_EQUAL(parse_text("(asset \"SPY\")\n \xC3\x28", 18, &err), ALC_ERR_PARSE);
    CU_ASSERT_EQUAL(err.line, 2);
    CU_ASSERT_EQUAL(err.col, 2);
}

/* ---- DSL: windows (SPEC 6.13: follow the reference) -------------------- */

static alc_market *market;

static alc_status eval_text(const char *text, alc_allocation *a, alc_error *err)
{
    alc_program *p = NULL;
    alc_engine *e = NULL;
    memset(a, 0, sizeof *a);
    alc_error_clear(err);
    alc_status st = alc_program_parse("w.clj", text, strlen(text), &p, err);
    CU_ASSERT_EQUAL_FATAL(st, ALC_OK);
    CU_ASSERT_EQUAL_FATAL(alc_engine_new(market, &e, err), ALC_OK);
    st = alc_engine_eval(e, p, alc_market_last_day(market), a, err);
    alc_engine_free(e);
    alc_program_free(p);
    return st;
}

/* The ticker the program chose, "" on error. */
static const char *chosen(const char *text, alc_error *err)
{
    static char buf[16];
    alc_allocation a;
    buf[0] = '\0';
    if (eval_text(text, &a, err) == ALC_OK && a.n == 1)
        snprintf(buf, sizeof buf, "%s", a.w[0].ticker);
    alc_allocation_free(&a);
    return buf;
}

static void test_dsl_windows(void)
{
    alc_error err;
    CU_ASSERT_PTR_NOT_NULL_FATAL(market);
    char text[512];
    /* 0 and negative: "window must be positive" at the indicator */
    const char *ops[] = {"rsi", "moving-average-price", "cumulative-return", "stdev-return",
                         "max-drawdown", "exponential-moving-average-price"};
    const char *windows[] = {"0", "-3", "0.5"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        for (size_t k = 0; k < sizeof windows / sizeof windows[0]; k++) {
            snprintf(text, sizeof text, "(if (> (%s \"SPY\" {:window %s}) 0)\n  (asset \"SPY\") (asset \"BIL\"))",
                     ops[i], windows[k]);
            alc_allocation a;
            CU_ASSERT_NOT_EQUAL(eval_text(text, &a, &err), ALC_OK);
            CU_ASSERT(has(err.msg, "window must be positive"));
            CU_ASSERT_EQUAL(err.line, 1);
            CU_ASSERT_EQUAL(err.col, 8);
            alc_allocation_free(&a);
        }
    /* larger than the history (261 bars here), including windows far
     * beyond any int: the short-data rules of SPEC 6.13 */
    const char *big[] = {"300", "100000", "2147483648", "99999999999999999999999999999"};
    for (size_t k = 0; k < sizeof big / sizeof big[0]; k++) {
        snprintf(text, sizeof text, "(if (= (rsi \"SPY\" {:window %s}) 50) (asset \"SPY\") (asset \"BIL\"))", big[k]);
        CU_ASSERT_STRING_EQUAL(chosen(text, &err), "SPY"); /* n < w: 50 */
        snprintf(text, sizeof text, "(if (= (cumulative-return \"SPY\" {:window %s}) 0) (asset \"SPY\") (asset \"BIL\"))", big[k]);
        CU_ASSERT_STRING_EQUAL(chosen(text, &err), "SPY"); /* n <= w: 0.0 */
        snprintf(text, sizeof text, "(if (= (stdev-return \"SPY\" {:window %s}) 0) (asset \"SPY\") (asset \"BIL\"))", big[k]);
        CU_ASSERT_STRING_EQUAL(chosen(text, &err), "SPY");
        snprintf(text, sizeof text, "(if (= (max-drawdown \"SPY\" {:window %s}) 0) (asset \"SPY\") (asset \"BIL\"))", big[k]);
        CU_ASSERT_STRING_EQUAL(chosen(text, &err), "SPY");
        snprintf(text, sizeof text, "(if (> (moving-average-price \"SPY\" {:window %s}) 0) (asset \"SPY\") (asset \"BIL\"))", big[k]);
        CU_ASSERT_STRING_EQUAL(chosen(text, &err), ""); /* n < w: error */
        CU_ASSERT(has(err.msg, "Insufficient data"));
        CU_ASSERT_EQUAL(err.col, 8);
    }
    /* a window that is not a number */
    alc_allocation a;
    CU_ASSERT_NOT_EQUAL(eval_text("(if (> (rsi \"SPY\" {:window \"ten\"}) 0) (asset \"SPY\") (asset \"BIL\"))", &a, &err), ALC_OK);
    CU_ASSERT(has(err.msg, "window"));
    alc_allocation_free(&a);
}

/* SPEC 2: every program that parses (nesting up to 300) evaluates without
 * overflowing the stack, on a thread with the default stack size too. */
typedef struct deep_eval {
    const char *text;
    alc_status st;
    char ticker[16];
} deep_eval;

static void *deep_eval_thread(void *arg)
{
    deep_eval *d = arg;
    alc_error err;
    alc_allocation a;
    d->st = eval_text(d->text, &a, &err);
    if (d->st == ALC_OK && a.n == 1)
        snprintf(d->ticker, sizeof d->ticker, "%s", a.w[0].ticker);
    alc_allocation_free(&a);
    return NULL;
}

/* 99 levels of (weight-equal [(if (> (current-price ..) 0) THEN ELSE)]):
 * each level is 3 lists deep; THEN of the innermost is `vectors` vectors
 * around (asset "TLT"), whose "TLT" is then at depth 298 + vectors. */
static char *deep_program(int vectors, size_t *len)
{
    const int levels = 99;
    char *text = malloc((size_t)levels * 96 + 64);
    size_t k = 0;
    for (int i = 0; i < levels; i++)
        k += (size_t)sprintf(text + k, "(weight-equal [(if (> (current-price \"SPY\") 0) ");
    for (int i = 0; i < vectors; i++)
        text[k++] = '[';
    k += (size_t)sprintf(text + k, "(asset \"TLT\")");
    for (int i = 0; i < vectors; i++)
        text[k++] = ']';
    for (int i = 0; i < levels; i++)
        k += (size_t)sprintf(text + k, " (asset \"BIL\"))])");
    *len = k;
    return text;
}

static void test_dsl_deep_eval(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(market);
    alc_program *p = NULL;
    alc_error err;
    size_t len;
    char *deeper = deep_program(3, &len); /* depth 301 */
    CU_ASSERT_EQUAL(alc_program_parse("deep.clj", deeper, len, &p, &err), ALC_ERR_PARSE);
    CU_ASSERT(has(err.msg, "Nesting too deep"));
    free(deeper);
    char *text = deep_program(2, &len); /* depth 300: the limit */
    CU_ASSERT_EQUAL_FATAL(alc_program_parse("deep.clj", text, len, &p, &err), ALC_OK);
    alc_program_free(p);
    deep_eval d = {text, ALC_ERR_INTERNAL, ""};
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, deep_eval_thread, &d), 0);
    pthread_join(th, NULL);
    CU_ASSERT_EQUAL(d.st, ALC_OK);
    CU_ASSERT_STRING_EQUAL(d.ticker, "TLT");
    free(text);
}

/* ---- CSV market files -------------------------------------------------- */

static alc_status csv(const char *text, alc_series *s, alc_error *err)
{
    alc_error_clear(err);
    alc_status st = alc_series_parse_csv("T.csv", "T", text, strlen(text), s, err);
    if (st != ALC_OK)
        CU_ASSERT_PTR_NULL(s->day);
    return st;
}

static void test_csv_values(void)
{
    alc_series s;
    alc_error err;
    const char *hdr = "date,open,high,low,close,volume\n";
    const char *bad[][2] = {
        {"2024-01-02,nan,2,1,1.5,100\n", "open is not a finite number"},
        {"2024-01-02,1,inf,1,1.5,100\n", "high is not a finite number"},
        {"2024-01-02,1,2,1e400,1.5,100\n", "low is not a finite number"},
        {"2024-01-02,1,2,1,-1.5,100\n", "close must be > 0"},
        {"2024-01-02,1,2,1,1e-400,100\n", "close must be > 0"},
        {"2024-01-02,1,2,1,1.5,-1\n", "volume must be >= 0"},
        {"2024-01-02,1,2,1,1.5,1e999\n", "volume is not a finite number"},
        {"2024-01-02,0x1p3,2,1,1.5,1\n", "cannot parse"},
        {"2024-01-02, 1,2,1,1.5,1\n", "cannot parse"},
        {"2024-02-30,1,2,1,1.5,1\n", "invalid date"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "%s%s", hdr, bad[i][0]);
        CU_ASSERT_EQUAL(csv(text, &s, &err), ALC_ERR_DATA);
        CU_ASSERT(has(err.msg, bad[i][1]));
        CU_ASSERT_STRING_EQUAL(err.file, "T.csv");
        CU_ASSERT_EQUAL(err.line, 2);
        CU_ASSERT(err.col >= 1);
    }
}

static void test_csv_bom_crlf(void)
{
    alc_series a, b;
    alc_error err;
    CU_ASSERT_EQUAL_FATAL(csv("date,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,100\n"
                              "2024-01-03,1.5,2,1,1.75,0\n", &a, &err), ALC_OK);
    CU_ASSERT_EQUAL_FATAL(csv("\xEF\xBB\xBF" "date,open,high,low,close,volume\r\n2024-01-02,1,2,0.5,1.5,100\r\n"
                              "2024-01-03,1.5,2,1,1.75,0", &b, &err), ALC_OK);
    CU_ASSERT_EQUAL(a.n, 2);
    CU_ASSERT_EQUAL(b.n, 2);
    CU_ASSERT(memcmp(a.close, b.close, 2 * sizeof *a.close) == 0);
    CU_ASSERT(memcmp(a.day, b.day, 2 * sizeof *a.day) == 0);
    alc_series_free(&a);
    alc_series_free(&b);
    /* a lone CR (old Mac line end) is refused with its position */
    CU_ASSERT_EQUAL(csv("date,open,high,low,close,volume\r2024-01-02,1,2,0.5,1.5,100\n", &a, &err), ALC_ERR_DATA);
    CU_ASSERT(has(err.msg, "carriage return"));
    CU_ASSERT_EQUAL(err.line, 1);
    CU_ASSERT_EQUAL(err.col, 32);
    /* a BOM anywhere else is not skipped */
    CU_ASSERT_EQUAL(csv("date,open,high,low,close,volume\n\xEF\xBB\xBF" "2024-01-02,1,2,0.5,1.5,100\n", &a, &err),
                    ALC_ERR_DATA);
    CU_ASSERT(has(err.msg, "invalid date"));
}

static void test_csv_folder_rules(void)
{
    char dir[512], p[600], outside[600];
    alc_error err;
    alc_market *m = NULL;
    path_in(dir, sizeof dir, "mkt");
    CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0755), 0);
    snprintf(p, sizeof p, "%s/SPY.csv", dir);
    write_file(p, "date,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,100\n");
    path_in(outside, sizeof outside, "secret.txt");
    write_file(outside, "date,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,100\n");
    /* a symlink inside the folder to a file of the folder: fine */
    snprintf(p, sizeof p, "%s/QQQ.csv", dir);
    CU_ASSERT_EQUAL_FATAL(symlink("SPY.csv", p), 0);
    CU_ASSERT_EQUAL(alc_market_load_csv_dir(dir, &m, &err), ALC_OK);
    CU_ASSERT(m && m->n == 2);
    alc_market_free(m);
    /* a symlink to a file outside the folder: refused, naming both */
    snprintf(p, sizeof p, "%s/TLT.csv", dir);
    CU_ASSERT_EQUAL_FATAL(symlink("../secret.txt", p), 0);
    CU_ASSERT_EQUAL(alc_market_load_csv_dir(dir, &m, &err), ALC_ERR_DATA);
    CU_ASSERT_PTR_NULL(m);
    CU_ASSERT(has(err.msg, "outside the market folder"));
    CU_ASSERT(has(err.file, "TLT.csv"));
    CU_ASSERT_EQUAL(unlink(p), 0);
    /* through alc_market_load too, with an absolute link */
    CU_ASSERT_EQUAL_FATAL(symlink(outside, p), 0);
    CU_ASSERT_EQUAL(alc_market_load(dir, &m, &err), ALC_ERR_DATA);
    CU_ASSERT(has(err.msg, "outside the market folder"));
    CU_ASSERT_EQUAL(unlink(p), 0);
    /* file size limit (256 MiB), checked before reading: a sparse file */
    snprintf(p, sizeof p, "%s/BIG.csv", dir);
    FILE *f = fopen(p, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fseeko(f, (off_t)(257) << 20, SEEK_SET), 0);
    fputc('\n', f);
    fclose(f);
    CU_ASSERT_EQUAL(alc_market_load_csv_dir(dir, &m, &err), ALC_ERR_LIMIT);
    CU_ASSERT(has(err.msg, "the limit is 256 MiB"));
    CU_ASSERT_EQUAL(unlink(p), 0);
    CU_ASSERT_EQUAL(alc_market_load_csv_dir(dir, &m, &err), ALC_OK);
    alc_market_free(m);
}

/* ---- job files ----------------------------------------------------------- */

static char job_dir[512], job_path[600], strat_dir[600];

static void job_tree(void)
{
    char p[700];
    path_in(job_dir, sizeof job_dir, "jobs");
    path_in(strat_dir, sizeof strat_dir, "strategies");
    snprintf(job_path, sizeof job_path, "%s/job.json", job_dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(job_dir, 0755), 0);
    CU_ASSERT_EQUAL_FATAL(mkdir(strat_dir, 0755), 0);
    snprintf(p, sizeof p, "%s/a.clj", job_dir);
    write_file(p, "(asset \"SPY\")\n");
    snprintf(p, sizeof p, "%s/b.clj", strat_dir);
    write_file(p, "(asset \"SPY\")\n");
    path_in(p, sizeof p, "outside.clj");
    write_file(p, "(asset \"SPY\")\n");
    snprintf(p, sizeof p, "%s/up", job_dir);
    CU_ASSERT_EQUAL_FATAL(symlink("..", p), 0);
}

static alc_status job(const char *text, size_t len, alc_job **out, alc_error *err)
{
    alc_error_clear(err);
    alc_status st = alc_job_parse(job_path, text, len, strat_dir, out, err);
    CU_ASSERT((st == ALC_OK) == (*out != NULL));
    return st;
}

static void expect_job(const char *text, alc_status want, const char *msg)
{
    alc_job *j = NULL;
    alc_error err;
    CU_ASSERT_EQUAL(job(text, strlen(text), &j, &err), want);
    if (msg)
        CU_ASSERT(has(err.msg, msg));
    alc_job_free(j);
}

static void test_job_bom_crlf_numbers(void)
{
    job_tree();
    alc_job *j = NULL;
    alc_error err;
    const char *lf = "{\"market\": \"m.h5\",\n \"strategies\": [{\"file\": \"a.clj\", \"allocation\": 1}]}\n";
    const char *bom = "\xEF\xBB\xBF{\"market\": \"m.h5\",\r\n \"strategies\": [{\"file\": \"a.clj\", \"allocation\": 1}]}\r\n";
    CU_ASSERT_EQUAL_FATAL(job(lf, strlen(lf), &j, &err), ALC_OK);
    char sha[65];
    memcpy(sha, j->sha256, sizeof sha);
    alc_job_free(j);
    CU_ASSERT_EQUAL_FATAL(job(bom, strlen(bom), &j, &err), ALC_OK);
    CU_ASSERT_EQUAL(j->n_strategies, 1);
    CU_ASSERT(strcmp(sha, j->sha256) != 0); /* the hash covers the bytes as read */
    alc_job_free(j);
    /* a syntax error after a BOM: line and column as without it */
    CU_ASSERT_EQUAL(job("\xEF\xBB\xBF{\r\n  \"market\": ]}", 19, &j, &err), ALC_ERR_JOB);
    CU_ASSERT_EQUAL(err.line, 2);
    CU_ASSERT_EQUAL(err.col, 13);
    /* a BOM that is not at the start is invalid JSON */
    expect_job("{\"market\": \"m.h5\", \xEF\xBB\xBF \"strategies\": []}", ALC_ERR_JOB, "invalid JSON");
    /* numbers: overflow to infinity, NaN (not JSON), too large */
    const char *nums[][2] = {
        {"\"batch_size\": 1e400", "batch_size"},
        {"\"max_retries\": -1e400", "max_retries"},
        {"\"timeout_seconds\": 1e400", "timeout_seconds"},
        {"\"timeout_seconds\": 1e8", "timeout_seconds"},
        {"\"batch_size\": 2147483648", "batch_size"},
        {"\"max_parallel_batches\": 1e10", "max_parallel_batches"},
        {"\"timeout_seconds\": NaN", "invalid JSON"},
        {"\"batch_size\": Infinity", "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "{\"market\": \"m.h5\", %s, \"strategies\": [{\"file\": \"a.clj\", \"allocation\": 1}]}",
                 nums[i][0]);
        expect_job(text, ALC_ERR_JOB, nums[i][1]);
    }
    expect_job("{\"market\": \"m.h5\", \"strategies\": [{\"file\": \"a.clj\", \"allocation\": 1e400}]}",
               ALC_ERR_JOB, "(0, 1]");
    expect_job("{\"market\": \"m.h5\", \"strategies\": [{\"file\": \"a.clj\", \"allocation\": 1e-400}]}",
               ALC_ERR_JOB, "(0, 1]");
}

static void test_job_limits(void)
{
    alc_job *j = NULL;
    alc_error err;
    /* duplicate keys, at every level */
    expect_job("{\"market\": \"m.h5\", \"strategies\": [{\"file\": \"a.clj\", \"allocation\": 1}], \"market\": \"n\"}",
               ALC_ERR_JOB, "duplicate key \"market\"");
    expect_job("{\"market\": \"m.h5\", \"strategies\": [{\"file\": \"a.clj\", \"allocation\": 1, \"allocation\": 1}]}",
               ALC_ERR_JOB, "duplicate key \"allocation\"");
    /* a NUL escape would silently cut a string: refused */
    expect_job("{\"market\": \"m.h5\", \"strategies\": [{\"file\": \"a.clj\\u0000/../../x\", \"allocation\": 1}]}",
               ALC_ERR_JOB, "\\u0000");
    /* ... but an escaped backslash before u0000 is plain text */
    expect_job("{\"market\": \"m.h5\", \"description\": \"\\\\u0000\", \"strategies\": [{\"file\": \"a.clj\", \"allocation\": 1}]}",
               ALC_OK, NULL);
    /* deep nesting: cJSON's limit, an error and no crash */
    size_t n = 100000;
    char *deep = malloc(2 * n + 64);
    size_t k = (size_t)sprintf(deep, "{\"description\": ");
    memset(deep + k, '[', n);
    k += n;
    memset(deep + k, ']', n);
    k += n;
    k += (size_t)sprintf(deep + k, "}");
    CU_ASSERT_EQUAL(job(deep, k, &j, &err), ALC_ERR_JOB);
    CU_ASSERT(has(err.msg, "invalid JSON"));
    free(deep);
    /* size limit */
    size_t big = ALC_JOB_MAX_BYTES + 1;
    char *text = malloc(big);
    memset(text, ' ', big);
    text[0] = '{';
    text[big - 1] = '}';
    CU_ASSERT_EQUAL(job(text, big, &j, &err), ALC_ERR_LIMIT);
    CU_ASSERT(has(err.msg, "larger than"));
    free(text);
}

static void test_job_path_rules(void)
{
    alc_job *j = NULL;
    alc_error err;
    /* strategies: only inside the job folder or the strategies folder */
    expect_job("{\"market\": \"m.h5\", \"strategies\": [{\"file\": \"up/outside.clj\", \"allocation\": 1}]}",
               ALC_ERR_JOB, "outside the job folder");
    expect_job("{\"market\": \"m.h5\", \"strategies\": [{\"file\": \"../outside.clj\", \"allocation\": 1}]}",
               ALC_ERR_JOB, "escapes");
    expect_job("{\"market\": \"m.h5\", \"strategies\": [{\"file\": \"up/strategies/b.clj\", \"allocation\": 1}]}",
               ALC_OK, NULL); /* a detour that ends inside the strategies folder */
    /* market and output folder: relative to the job file, `..` collapsed */
    const char *t = "{\"market\": \"../data/./m.h5\", \"output_dir\": \"../out//x/..\","
                    " \"strategies\": [{\"file\": \"a.clj\", \"allocation\": 0.5}, {\"file\": \"b.clj\", \"allocation\": 0.5}]}";
    CU_ASSERT_EQUAL_FATAL(job(t, strlen(t), &j, &err), ALC_OK);
    char want[700];
    path_in(want, sizeof want, "data/m.h5");
    CU_ASSERT_STRING_EQUAL(j->market, want);
    path_in(want, sizeof want, "out");
    CU_ASSERT_STRING_EQUAL(j->output_dir, want);
    alc_job_free(j);
}

int main(void)
{
    char tmpl[] = "/tmp/alc-hardening-XXXXXX";
    if (!mkdtemp(tmpl) || !realpath(tmpl, tmp_root))
        return 1;
    alc_synth_options opt = {.seed = 3};
    alc_error err;
    alc_parse_date("2024-01-02", 10, &opt.first_day);
    alc_parse_date("2024-12-31", 10, &opt.last_day);
    if (alc_market_synth(&opt, &market, &err) != ALC_OK || CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    ALC_ADD_SUITE("dsl", {"depth", test_dsl_depth}, {"sizes", test_dsl_sizes},
                  {"bom_crlf", test_dsl_bom_crlf}, {"windows", test_dsl_windows},
                  {"deep_eval", test_dsl_deep_eval});
    ALC_ADD_SUITE("csv", {"values", test_csv_values}, {"bom_crlf", test_csv_bom_crlf},
                  {"folder_rules", test_csv_folder_rules});
    ALC_ADD_SUITE("job", {"bom_crlf_numbers", test_job_bom_crlf_numbers},
                  {"limits", test_job_limits}, {"path_rules", test_job_path_rules});
    int rc = alc_test_run();
    alc_market_free(market);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp_root);
    return rc;
}
