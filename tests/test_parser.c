/* The DSL parser: tokens, the reference's string quirks, limits, and
 * error messages with file:line:col (SPEC 1-2). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alc_test.h"
#include "alchemiser/engine.h"
#include "dsl/ast.h"

static alc_program *parse_ok(const char *src)
{
    alc_program *p = NULL;
    alc_error err;
    alc_status st = alc_program_parse("t.clj", src, strlen(src), &p, &err);
    if (st != ALC_OK)
        printf("\n  unexpected parse error: %s:%d:%d: %s\n", err.file, err.line, err.col, err.msg);
    CU_ASSERT(st == ALC_OK);
    return p;
}

/* Expect a parse error at line:col whose message contains `needle`. */
static void parse_fails(const char *src, int line, int col, const char *needle)
{
    alc_program *p = NULL;
    alc_error err;
    alc_status st = alc_program_parse("bad.clj", src, strlen(src), &p, &err);
    CU_ASSERT(st == ALC_ERR_PARSE || st == ALC_ERR_LIMIT);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_STRING_EQUAL(err.file, "bad.clj");
    CU_ASSERT_EQUAL(err.line, line);
    CU_ASSERT_EQUAL(err.col, col);
    if (!strstr(err.msg, needle))
        printf("\n  message '%s' lacks '%s'\n", err.msg, needle);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, needle));
}

static void test_tokens(void)
{
    alc_program *p = parse_ok("(rsi\"SPY\"{:window 10})");
    const alc_node *r = p->root;
    CU_ASSERT_EQUAL(r->kind, NODE_LIST);
    CU_ASSERT_EQUAL(r->op, OP_RSI);
    CU_ASSERT_EQUAL(r->n, 3);
    CU_ASSERT_STRING_EQUAL(r->kids[1]->sym->s, "SPY");
    CU_ASSERT(r->kids[2]->flags & NODE_FLAG_MAP);
    CU_ASSERT_STRING_EQUAL(r->kids[2]->kids[0]->sym->s, ":window");
    CU_ASSERT_EQUAL(r->kids[2]->kids[1]->num, 10.0);
    alc_program_free(p);

    /* 10abc = 10 + abc; 1e5 = 1 + e5; -5 a number; - 5 a symbol then 5;
     * +5 a symbol; 007 is 7; 2.50 keeps its text; commas are blanks */
    p = parse_ok("[10abc 1e5 -5 - 5 +5 007 2.50, -0.5 ; comment\n x]");
    r = p->root;
    CU_ASSERT_EQUAL_FATAL(r->n, 12);
    CU_ASSERT_EQUAL(r->kids[0]->kind, NODE_NUMBER);
    CU_ASSERT_STRING_EQUAL(r->kids[1]->sym->s, "abc");
    CU_ASSERT_STRING_EQUAL(r->kids[3]->sym->s, "e5");
    CU_ASSERT_EQUAL(r->kids[4]->num, -5.0);
    CU_ASSERT_EQUAL(r->kids[5]->kind, NODE_SYMBOL);
    CU_ASSERT_STRING_EQUAL(r->kids[5]->sym->s, "-");
    CU_ASSERT_EQUAL(r->kids[7]->kind, NODE_SYMBOL);
    CU_ASSERT_STRING_EQUAL(r->kids[8]->sym->s, "7");
    CU_ASSERT_STRING_EQUAL(r->kids[9]->sym->s, "2.50");
    CU_ASSERT_EQUAL(r->kids[10]->num, -0.5);
    CU_ASSERT_STRING_EQUAL(r->kids[11]->sym->s, "x");
    alc_program_free(p);
}

static void test_strings(void)
{
    /* \" is kept verbatim (the reference's unescaping bug), strings are trimmed,
     * newlines are allowed inside */
    alc_program *p = parse_ok("[\"a\\\"b\" \"  spy \" \"x\\\\\\\"y\" \"l1\nl2\" \"p\\\\nq\"]");
    const alc_node *r = p->root;
    CU_ASSERT_STRING_EQUAL(r->kids[0]->sym->s, "a\\\"b");
    CU_ASSERT_STRING_EQUAL(r->kids[1]->sym->s, "spy");
    CU_ASSERT_STRING_EQUAL(r->kids[2]->sym->s, "x\"y");
    CU_ASSERT_STRING_EQUAL(r->kids[3]->sym->s, "l1\nl2");
    CU_ASSERT_STRING_EQUAL(r->kids[4]->sym->s, "p\nq");
    alc_program_free(p);
}

static void test_line_endings_and_name(void)
{
    alc_program *p = parse_ok("(defsymphony\r\n \"My Strat\"\r\n {:a 1}\r\n (asset \"SPY\"))\r\n");
    CU_ASSERT_STRING_EQUAL(alc_program_name(p), "My Strat");
    CU_ASSERT_EQUAL(alc_program_node_count(p), 9);
    alc_program_free(p);
    p = parse_ok("(asset \"SPY\")");
    CU_ASSERT_STRING_EQUAL(alc_program_name(p), "t.clj");
    alc_program_free(p);
}

static void test_errors(void)
{
    parse_fails("(asset \"SPY)", 1, 8, "Unterminated string");
    parse_fails("(asset\n  #SPY)", 2, 3, "Unexpected character '#'");
    parse_fails("(weight-equal [(asset \"A\")", 1, 15, "Missing closing ']'");
    parse_fails("(asset \"A\"", 1, 1, "Missing closing ')'");
    parse_fails("(a [b)]", 1, 6, "Mismatched closing bracket");
    parse_fails("   ", 1, 1, "Empty program");
    parse_fails("(a) (b)", 1, 5, "after the end");
    parse_fails("{:a 1 :b}", 1, 1, "even number");
    parse_fails("(x .5)", 1, 4, "Unexpected character '.'");
    parse_fails("(x 1.)", 1, 5, "Unexpected character '.'");
    parse_fails("\xEF\xBB\xBF(asset \"SPY\")", 1, 1, "byte order mark");
    parse_fails("(x :1)", 1, 4, "Unexpected character ':'");
    parse_fails(")", 1, 1, "Unexpected closing bracket");
    parse_fails("(x \xC3\xA9)", 1, 4, "Unexpected character");
}

static char *nested(int depth)
{
    /* depth lists around an atom: the atom sits at depth `depth` */
    char *s = malloc((size_t)depth * 2 + 8);
    size_t o = 0;
    for (int i = 0; i < depth; i++)
        s[o++] = '[';
    s[o++] = '1';
    for (int i = 0; i < depth; i++)
        s[o++] = ']';
    s[o] = '\0';
    return s;
}

static void test_depth_limit(void)
{
    char *ok = nested(300), *bad = nested(301);
    alc_program *p = parse_ok(ok);
    CU_ASSERT_EQUAL(p->max_depth, 300);
    alc_program_free(p);
    parse_fails(bad, 1, 302, "Nesting too deep");
    free(ok);
    free(bad);
    /* hostile input far beyond the limit fails cleanly without recursion blow-up */
    char *huge = nested(200000);
    alc_program *q = NULL;
    alc_error err;
    CU_ASSERT_EQUAL(alc_program_parse("h.clj", huge, strlen(huge), &q, &err), ALC_ERR_PARSE);
    free(huge);
}

/* Number values equal strtod's bit for bit (the parser converts short
 * literals itself, SPEC 1: a FLOAT/INTEGER is a Decimal, evaluated as
 * a double); deterministic pseudo-random literals of 1..19 digits. */
static void test_number_values(void)
{
    enum { N = 4000 };
    char *src = malloc((size_t)N * 32 + 16), (*lits)[32] = malloc(sizeof(char[32]) * N);
    size_t o = 0;
    uint64_t x = 88172645463325252ull;
    static const char *fixed[] = {"0", "-0", "007", "0.1", "0.3", "-12.50", "9007199254740993",
                                  "999999999999999", "9999999999999999", "0.0000000000000000000001",
                                  "0.00000000000000000000001", "123456789012345.6789", "2.2250738585072014"};
    src[o++] = '[';
    for (int i = 0; i < N; i++) {
        char *t = lits[i];
        if (i < (int)(sizeof fixed / sizeof *fixed)) {
            strcpy(t, fixed[i]);
        } else {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            int nd = 1 + (int)(x % 19), nf = (int)((x >> 8) % (unsigned)(nd + 1)), k = 0;
            if ((x >> 16) & 1)
                t[k++] = '-';
            for (int d = 0; d < nd; d++) {
                if (d == nd - nf && d > 0)
                    t[k++] = '.';
                t[k++] = (char)('0' + (x >> (20 + d * 2)) % 10);
            }
            t[k] = '\0';
        }
        o += (size_t)sprintf(src + o, "%s ", t);
    }
    src[o++] = ']';
    src[o] = '\0';
    alc_program *p = parse_ok(src);
    CU_ASSERT_EQUAL_FATAL(p->root->n, N);
    int mismatches = 0;
    for (int i = 0; i < N; i++) {
        const alc_node *k = p->root->kids[i];
        double want = strtod(lits[i], NULL);
        if (k->kind != NODE_NUMBER || memcmp(&k->num, &want, sizeof want) != 0) {
            if (mismatches++ < 5)
                printf("\n  %s parsed as %a, strtod gives %a", lits[i], k->num, want);
        }
    }
    CU_ASSERT_EQUAL(mismatches, 0);
    alc_program_free(p);
    free(src);
    free(lits);
}

/* Tokens that share their first and last eight bytes are still distinct
 * symbols (the parser's intern cache compares long tokens in full), and
 * tokens of 7, 8, 9, 15, 16 and 17 bytes keep exactly their bytes. */
static void test_token_identity(void)
{
    alc_program *p = parse_ok("[abcdefgh-X-12345678 abcdefgh-Y-12345678 abcdefg abcdefgh abcdefghi "
                              "abcdefghijklmno abcdefghijklmnop abcdefghijklmnopq abcdefghijklmnoq "
                              "abcdefg abcdefgh-X-12345678 \"abcdefghijklmnop\" \"x\"]");
    const alc_node *r = p->root;
    CU_ASSERT_EQUAL_FATAL(r->n, 13);
    CU_ASSERT_PTR_NOT_EQUAL(r->kids[0]->sym, r->kids[1]->sym);
    CU_ASSERT_STRING_EQUAL(r->kids[1]->sym->s, "abcdefgh-Y-12345678");
    CU_ASSERT_PTR_EQUAL(r->kids[0]->sym, r->kids[10]->sym);
    CU_ASSERT_PTR_EQUAL(r->kids[2]->sym, r->kids[9]->sym);
    const char *want[] = {"abcdefg", "abcdefgh", "abcdefghi", "abcdefghijklmno", "abcdefghijklmnop",
                          "abcdefghijklmnopq", "abcdefghijklmnoq"};
    for (int i = 0; i < 7; i++) {
        CU_ASSERT_STRING_EQUAL(r->kids[2 + i]->sym->s, want[i]);
        CU_ASSERT_EQUAL(r->kids[2 + i]->sym->len, strlen(want[i]));
    }
    /* the same text as a string and as a symbol is one interned string */
    CU_ASSERT_EQUAL(r->kids[11]->kind, NODE_STRING);
    CU_ASSERT_PTR_EQUAL(r->kids[11]->sym, r->kids[6]->sym);
    /* a string whose closing quote is the last byte before the bracket */
    CU_ASSERT_STRING_EQUAL(r->kids[12]->sym->s, "x");
    alc_program_free(p);
    /* a string at the very end of the input, and padded strings (general path) */
    p = parse_ok("\"end\"");
    CU_ASSERT_STRING_EQUAL(p->root->sym->s, "end");
    alc_program_free(p);
    p = parse_ok("[\" padded \" \"\" \"in\tside\"]");
    CU_ASSERT_STRING_EQUAL(p->root->kids[0]->sym->s, "padded");
    CU_ASSERT_STRING_EQUAL(p->root->kids[1]->sym->s, "");
    CU_ASSERT_STRING_EQUAL(p->root->kids[2]->sym->s, "in\tside");
    alc_program_free(p);
}

/* A multi-megabyte program with many small nodes (about 12 bytes of AST
 * per source byte) spans several AST blocks; every node is intact. */
static void test_large_program(void)
{
    const char *item = "(weight-equal [a b c d SPY 1 2.5]) ";
    size_t il = strlen(item), reps = 4u * 1024u * 1024u / il;
    char *src = malloc(reps * il + 64);
    size_t o = (size_t)sprintf(src, "(defsymphony \"big\" {} [");
    for (size_t i = 0; i < reps; i++, o += il)
        memcpy(src + o, item, il);
    o += (size_t)sprintf(src + o, "])");
    alc_program *p = NULL;
    alc_error err;
    CU_ASSERT_EQUAL_FATAL(alc_program_parse("big.clj", src, o, &p, &err), ALC_OK);
    CU_ASSERT_EQUAL(p->node_count, 5 + reps * 10);
    CU_ASSERT_PTR_NOT_NULL(p->blocks->next); /* more than one block */
    const alc_node *v = p->root->kids[3];
    CU_ASSERT_EQUAL_FATAL((size_t)v->n, reps);
    const alc_sym *spy = v->kids[0]->kids[1]->kids[4]->sym;
    CU_ASSERT_STRING_EQUAL(spy->s, "SPY");
    size_t bad = 0;
    for (size_t i = 0; i < reps; i++) {
        const alc_node *w = v->kids[i];
        bad += !(w->op == OP_WEIGHT_EQUAL && w->n == 2 && w->kids[1]->n == 7 &&
                 w->kids[1]->kids[4]->sym == spy && w->kids[1]->kids[6]->num == 2.5 &&
                 w->col == (int)(24 + i * il));
    }
    CU_ASSERT_EQUAL(bad, 0);
    alc_program_free(p);
    free(src);
}

static void test_size_limit(void)
{
    size_t n = 10u * 1024u * 1024u + 1u;
    char *big = malloc(n);
    memset(big, ' ', n);
    alc_program *p = NULL;
    alc_error err;
    CU_ASSERT_EQUAL(alc_program_parse("big.clj", big, n, &p, &err), ALC_ERR_LIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "10 MiB"));
    free(big);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    ALC_ADD_SUITE("parser", {"tokens", test_tokens}, {"string quirks", test_strings},
                  {"CRLF and names", test_line_endings_and_name}, {"syntax errors", test_errors},
                  {"nesting limit 300", test_depth_limit}, {"10 MiB limit", test_size_limit},
                  {"number values equal strtod", test_number_values},
                  {"token identity", test_token_identity}, {"multi-block program", test_large_program});
    return alc_test_run();
}
