/* Tokenizer and recursive-descent parser for the symphony DSL, following
 * ../shared/dsl/SPEC.md sections 1-2 exactly (token order, the string
 * unescaping bug, whitespace trimming, nesting limit).
 *
 * Recursion depth is bounded by the nesting limit (300), so the C stack
 * use is bounded whatever the input. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "alchemiser/engine.h"
#include "alchemiser/file.h"
#include "dsl/ast.h"

#define MAX_SOURCE_BYTES (10u * 1024u * 1024u)
#define MAX_DEPTH 300
/* Longest string literal (raw bytes between the quotes) or symbol: far
 * above any real name or ticker, small enough for every message and file
 * a name ends up in.  (Same limit and messages as the hardening branch.) */
#define MAX_TOKEN_BYTES 65536u

/* Hot helpers of the token loop, inlined into it (GCC/Clang). */
#if defined(__GNUC__)
#define HOT_INLINE static inline __attribute__((always_inline))
#else
#define HOT_INLINE static inline
#endif

typedef struct parser {
    const char *src;
    size_t len;
    size_t pos;
    int line;
    size_t line_start;  /* byte offset where the current line begins */
    size_t line_cont;   /* UTF-8 continuation bytes on this line before pos */
    const char *path;
    alc_program *prog; /* owner of the AST blocks */
    alc_error *err;
    size_t nodes;
    int max_depth;
    /* direct-mapped cache in front of the process-wide intern table: most
     * tokens repeat (operators, tickers), and a hit skips its lock; heap
     * allocated (32 kB), see icache_entry */
    struct icache_entry *icache;
    /* bump allocation of nodes and child arrays (8-byte aligned) inside
     * blocks taken from the program's arena */
    unsigned char *bump, *bump_end;
    /* scratch stack of children pointers shared by all list levels */
    alc_node **stack;
    size_t stack_len, stack_cap;
    /* group calls in post-order, each with the index of the first group
     * call inside it (its descendants are groups[first .. i-1]) */
    dsl_group_list groups;
} parser;

/* Intern cache entry: tokens of up to 16 bytes are compared as two
 * zero-padded words (w), longer ones by length and bytes. */
#define ICACHE_SLOTS 1024u
typedef struct icache_entry {
    uint64_t w[2];
    uint32_t len;
    const alc_sym *sym;
} icache_entry;

/* ---- operators ------------------------------------------------------- */

static const char *const op_names[OP_COUNT] = {
    [OP_DEFSYMPHONY] = "defsymphony", [OP_GROUP] = "group", [OP_ASSET] = "asset",
    [OP_IF] = "if", [OP_GT] = ">", [OP_LT] = "<", [OP_GE] = ">=", [OP_LE] = "<=",
    [OP_EQ] = "=", [OP_WEIGHT_EQUAL] = "weight-equal",
    [OP_WEIGHT_SPECIFIED] = "weight-specified",
    [OP_WEIGHT_INVERSE_VOLATILITY] = "weight-inverse-volatility",
    [OP_FILTER] = "filter", [OP_SELECT_TOP] = "select-top",
    [OP_SELECT_BOTTOM] = "select-bottom", [OP_RSI] = "rsi",
    [OP_CURRENT_PRICE] = "current-price",
    [OP_MOVING_AVERAGE_PRICE] = "moving-average-price",
    [OP_MOVING_AVERAGE_RETURN] = "moving-average-return",
    [OP_CUMULATIVE_RETURN] = "cumulative-return",
    [OP_EXPONENTIAL_MOVING_AVERAGE_PRICE] = "exponential-moving-average-price",
    [OP_STDEV_RETURN] = "stdev-return", [OP_STDEV_PRICE] = "stdev-price",
    [OP_MAX_DRAWDOWN] = "max-drawdown", [OP_PPO] = "percentage-price-oscillator",
    [OP_PPO_SIGNAL] = "percentage-price-oscillator-signal", [OP_MA] = "ma",
    [OP_VOLATILITY] = "volatility",
};

dsl_op dsl_op_from_name(const char *name)
{
    for (int op = OP_DEFSYMPHONY; op < OP_COUNT; op++)
        if (op_names[op] && strcmp(op_names[op], name) == 0)
            return (dsl_op)op;
    return OP_UNKNOWN;
}

/* Interned operator names, so that resolving a call's head is a pointer
 * comparison instead of string comparisons (it runs once per list). */
static const alc_sym *op_syms[OP_COUNT];
static pthread_once_t op_syms_once = PTHREAD_ONCE_INIT;

static void build_op_table(void);

static void init_byte_tables(void);

static void intern_op_names(void)
{
    init_byte_tables();
    for (int op = OP_DEFSYMPHONY; op < OP_COUNT; op++)
        op_syms[op] = alc_intern_cstr(op_names[op]);
    build_op_table();
}

/* Open-addressing table from interned operator name to operator, keyed by
 * the symbol's hash (filled once by intern_op_names). */
#define OP_SLOTS 128u
static const alc_sym *op_slot_sym[OP_SLOTS];
static uint8_t op_slot_op[OP_SLOTS];

static void build_op_table(void)
{
    for (int op = OP_DEFSYMPHONY; op < OP_COUNT; op++) {
        const alc_sym *sym = op_syms[op];
        if (!sym)
            continue;
        unsigned j = sym->hash & (OP_SLOTS - 1);
        while (op_slot_sym[j])
            j = (j + 1) & (OP_SLOTS - 1);
        op_slot_sym[j] = sym;
        op_slot_op[j] = (uint8_t)op;
    }
}

/* Call only after pthread_once(&op_syms_once, ...) (alc_program_parse). */
static dsl_op op_from_sym(const alc_sym *sym)
{
    for (unsigned j = sym->hash & (OP_SLOTS - 1); op_slot_sym[j]; j = (j + 1) & (OP_SLOTS - 1))
        if (op_slot_sym[j] == sym)
            return (dsl_op)op_slot_op[j];
    return OP_UNKNOWN;
}

const char *dsl_op_name(dsl_op op)
{
    if (op > OP_UNKNOWN && op < OP_COUNT && op_names[op])
        return op_names[op];
    return "?";
}

/* ---- characters ------------------------------------------------------- */

/* Decode one UTF-8 code point at p (n bytes left).  Returns its length, or
 * 0 for an invalid sequence. */
static int utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
    if (n == 0)
        return 0;
    unsigned c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    int len;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) { len = 2; v = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { len = 3; v = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { len = 4; v = c & 0x07; min = 0x10000; }
    else return 0;
    if ((size_t)len > n)
        return 0;
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* Python's str.isspace(), which is what `\s` and str.strip() use. */
static int is_unicode_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 ||
           c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
           c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

enum { CH_DIGIT = 1, CH_ALPHA = 2, CH_SYMBOL_PUNCT = 4 };

/* ASCII character classes of the token regexes (SPEC 1). */
static const unsigned char char_class[256] = {
    ['0'] = CH_DIGIT, ['1'] = CH_DIGIT, ['2'] = CH_DIGIT, ['3'] = CH_DIGIT, ['4'] = CH_DIGIT,
    ['5'] = CH_DIGIT, ['6'] = CH_DIGIT, ['7'] = CH_DIGIT, ['8'] = CH_DIGIT, ['9'] = CH_DIGIT,
    ['a'] = CH_ALPHA, ['b'] = CH_ALPHA, ['c'] = CH_ALPHA, ['d'] = CH_ALPHA, ['e'] = CH_ALPHA,
    ['f'] = CH_ALPHA, ['g'] = CH_ALPHA, ['h'] = CH_ALPHA, ['i'] = CH_ALPHA, ['j'] = CH_ALPHA,
    ['k'] = CH_ALPHA, ['l'] = CH_ALPHA, ['m'] = CH_ALPHA, ['n'] = CH_ALPHA, ['o'] = CH_ALPHA,
    ['p'] = CH_ALPHA, ['q'] = CH_ALPHA, ['r'] = CH_ALPHA, ['s'] = CH_ALPHA, ['t'] = CH_ALPHA,
    ['u'] = CH_ALPHA, ['v'] = CH_ALPHA, ['w'] = CH_ALPHA, ['x'] = CH_ALPHA, ['y'] = CH_ALPHA,
    ['z'] = CH_ALPHA, ['A'] = CH_ALPHA, ['B'] = CH_ALPHA, ['C'] = CH_ALPHA, ['D'] = CH_ALPHA,
    ['E'] = CH_ALPHA, ['F'] = CH_ALPHA, ['G'] = CH_ALPHA, ['H'] = CH_ALPHA, ['I'] = CH_ALPHA,
    ['J'] = CH_ALPHA, ['K'] = CH_ALPHA, ['L'] = CH_ALPHA, ['M'] = CH_ALPHA, ['N'] = CH_ALPHA,
    ['O'] = CH_ALPHA, ['P'] = CH_ALPHA, ['Q'] = CH_ALPHA, ['R'] = CH_ALPHA, ['S'] = CH_ALPHA,
    ['T'] = CH_ALPHA, ['U'] = CH_ALPHA, ['V'] = CH_ALPHA, ['W'] = CH_ALPHA, ['X'] = CH_ALPHA,
    ['Y'] = CH_ALPHA, ['Z'] = CH_ALPHA, ['_'] = CH_SYMBOL_PUNCT, ['>'] = CH_SYMBOL_PUNCT,
    ['<'] = CH_SYMBOL_PUNCT, ['='] = CH_SYMBOL_PUNCT, ['!'] = CH_SYMBOL_PUNCT,
    ['?'] = CH_SYMBOL_PUNCT, ['+'] = CH_SYMBOL_PUNCT, ['*'] = CH_SYMBOL_PUNCT,
    ['/'] = CH_SYMBOL_PUNCT, ['-'] = CH_SYMBOL_PUNCT,
};

static int is_digit(int c) { return char_class[(unsigned char)c] & CH_DIGIT; }
static int is_alpha(int c) { return char_class[(unsigned char)c] & CH_ALPHA; }
static int is_symbol_start(int c) { return char_class[(unsigned char)c] & (CH_ALPHA | CH_SYMBOL_PUNCT); }
static int is_symbol_char(int c) { return char_class[(unsigned char)c] != 0; }
static int is_keyword_char(int c) { return (char_class[(unsigned char)c] & (CH_ALPHA | CH_DIGIT)) || c == '_' || c == '-'; }

static alc_status syntax_error(parser *p, int line, int col, const char *fmt, const char *arg)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, arg ? arg : "");
    return alc_fail_at(p->err, ALC_ERR_PARSE, p->path, line, col, "%s", msg);
}

/* Current column, 1-based, in code points. */
static int cur_col(const parser *p)
{
    return (int)(p->pos - p->line_start - p->line_cont) + 1;
}

/* Advance over n bytes of any content, tracking lines and columns. */
static void advance(parser *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p->src[p->pos + i];
        if (c == '\n') {
            p->line++;
            p->line_start = p->pos + i + 1;
            p->line_cont = 0;
        } else if ((c & 0xC0) == 0x80) {
            p->line_cont++;
        }
    }
    p->pos += n;
}

/* Skip whitespace, commas and comments.  Returns ALC_OK or a parse error
 * for a character that can never start a token. */
static alc_status skip_blank_slow(parser *p)
{
    while (p->pos < p->len) {
        /* hot loop over plain blanks, on locals (no aliasing reloads) */
        const unsigned char *src = (const unsigned char *)p->src;
        size_t pos = p->pos, end = p->len, line_start = p->line_start;
        int line = p->line;
        while (pos < end) {
            /* indentation: eight spaces at a time */
            if (pos + 8 <= end) {
                uint64_t w8;
                memcpy(&w8, src + pos, 8);
                if (w8 == 0x2020202020202020ull) {
                    pos += 8;
                    continue;
                }
            }
            unsigned char b = src[pos];
            if (b == ' ' || b == ',' || b == '\t' || b == '\r') {
                pos++;
            } else if (b == '\n') {
                pos++;
                line++;
                line_start = pos;
            } else {
                break;
            }
        }
        if (line != p->line) {
            p->line = line;
            p->line_cont = 0;
        }
        p->line_start = line_start;
        p->pos = pos;
        if (pos >= end)
            break;
        unsigned char c = src[pos];
        if (c > 0x20 && c < 0x7F && c != ';')
            return ALC_OK; /* the start of a token */
        if (c == ';') {
            const char *nl = memchr(p->src + p->pos, '\n', p->len - p->pos);
            advance(p, nl ? (size_t)(nl - p->src) - p->pos : p->len - p->pos);
        } else if (c < 0x80) {
            if (is_unicode_space(c))
                advance(p, 1);
            else
                return ALC_OK;
        } else {
            uint32_t cp;
            int n = utf8_decode((const unsigned char *)p->src + p->pos, p->len - p->pos, &cp);
            if (n == 0)
                return syntax_error(p, p->line, cur_col(p), "invalid UTF-8 byte sequence%s", "");
            if (!is_unicode_space(cp))
                return ALC_OK;
            advance(p, (size_t)n);
        }
    }
    return ALC_OK;
}

/* Printable ASCII other than ';' and ',': a byte at which skipping stops. */
static unsigned char token_byte[256];   /* see is_token_byte */
static unsigned char plain_string_byte[256]; /* not '"', '\\', newline, non-ASCII */

static void init_byte_tables(void)
{
    for (int c = 0; c < 256; c++) {
        token_byte[c] = c > 0x20 && c < 0x7F && c != ';' && c != ',';
        plain_string_byte[c] = c != '"' && c != '\\' && c != '\n' && c < 0x80;
    }
}

static int is_token_byte(unsigned char c)
{
    return token_byte[c];
}

/* skip_blank_slow with the two common cases inline: already at a token,
 * or one space before it. */
HOT_INLINE alc_status skip_blank(parser *p)
{
    size_t pos = p->pos;
    if (pos + 1 < p->len) {
        unsigned char c = (unsigned char)p->src[pos];
        if (is_token_byte(c))
            return ALC_OK;
        if (c == ' ' && is_token_byte((unsigned char)p->src[pos + 1])) {
            p->pos = pos + 1;
            return ALC_OK;
        }
    }
    return skip_blank_slow(p);
}

/* ---- nodes ------------------------------------------------------------ */

/* Little-endian-independent: the words only need to be equal for equal
 * byte strings, so the host byte order does not matter. */
static uint64_t load_word(const char *s)
{
    uint64_t w;
    memcpy(&w, s, 8);
    return w;
}

/* Intern the token s[0..len), through the parser's cache.  avail: bytes
 * readable from s (>= len). */
HOT_INLINE const alc_sym *intern_token(parser *p, const char *s, size_t len, size_t avail)
{
    uint64_t w0 = 0, w1 = 0;
    if (len <= 16) {
        if (avail >= 16) {
            w0 = load_word(s);
            w1 = load_word(s + 8);
        } else {
            char tmp[16] = {0};
            memcpy(tmp, s, len);
            w0 = load_word(tmp);
            w1 = load_word(tmp + 8);
        }
        /* keep the first len bytes, zero the rest */
        if (len < 8) {
            w0 &= len ? ~0ull >> (64 - 8 * len) : 0;
            w1 = 0;
        } else if (len < 16) {
            w1 &= len > 8 ? ~0ull >> (64 - 8 * (len - 8)) : 0;
        }
    } else {
        w0 = load_word(s);
        w1 = load_word(s + len - 8);
    }
    uint64_t h = (w0 ^ (w1 * 0xC2B2AE3D27D4EB4Full) ^ len) * 0x9E3779B97F4A7C15ull;
    icache_entry *e = &p->icache[(h >> 40) & (ICACHE_SLOTS - 1)];
    if (e->sym && e->len == len && e->w[0] == w0 && e->w[1] == w1 &&
        (len <= 16 || memcmp(e->sym->s, s, len) == 0))
        return e->sym;
    const alc_sym *sym = alc_intern(s, len);
    if (sym) {
        e->w[0] = w0;
        e->w[1] = w1;
        e->len = (uint32_t)len;
        e->sym = sym;
    }
    return sym;
}

/* AST memory.  A parse needs about 5-8 bytes of nodes per source byte,
 * so the first block is sized from the source and later ones double.
 * Blocks of 2 MiB and more are 2 MiB aligned and advised as transparent
 * huge pages where the kernel offers them: first touching fresh memory
 * then costs one fault per 2 MiB instead of one per 4 kB, which is a
 * third of the parse time of a multi-megabyte strategy otherwise. */
#define HUGE_PAGE ((size_t)2 << 20)

static alc_ast_block *ast_block_new(alc_program *prog, size_t size)
{
    alc_ast_block *b;
    size_t total = sizeof *b + size;
    if (total >= HUGE_PAGE) {
        total = (total + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
        b = aligned_alloc(HUGE_PAGE, total);
#ifdef MADV_HUGEPAGE
        if (b)
            (void)madvise(b, total, MADV_HUGEPAGE); /* a hint: failure is harmless */
#endif
    } else {
        b = malloc(total);
    }
    if (!b)
        return NULL;
    b->size = total - sizeof *b;
    b->next = prog->blocks;
    prog->blocks = b;
    return b;
}

/* parser_alloc when the current block is full. */
static void *parser_alloc_slow(parser *p, size_t size)
{
    {
        alc_ast_block *last = p->prog->blocks;
        size_t want = last ? last->size * 2 : p->len * 8;
        if (want < 16384)
            want = 16384;
        if (want < size)
            want = size;
        alc_ast_block *b = ast_block_new(p->prog, want);
        if (!b) {
            p->bump = p->bump_end = NULL;
            return NULL;
        }
        p->bump = (unsigned char *)(b + 1);
        p->bump_end = p->bump + b->size;
    }
    void *r = p->bump;
    p->bump += size;
    return r;
}

/* Bump allocation of size bytes (a multiple of 8) from the parser's
 * current block. */
HOT_INLINE void *parser_alloc(parser *p, size_t size)
{
    if ((size_t)(p->bump_end - p->bump) < size)
        return parser_alloc_slow(p, size);
    void *r = p->bump;
    p->bump += size;
    return r;
}

HOT_INLINE alc_node *new_node(parser *p, node_kind kind, int line, int col)
{
    _Static_assert(sizeof(alc_node) % 8 == 0, "nodes keep 8-byte alignment");
    alc_node *n = parser_alloc(p, sizeof *n);
    if (!n) {
        alc_fail(p->err, ALC_ERR_NOMEM, "out of memory while parsing %s", p->path);
        return NULL;
    }
    *n = (alc_node){0};
    n->kind = (uint8_t)kind;
    n->line = line;
    n->col = col;
    p->nodes++;
    return n;
}

static int push_child(parser *p, alc_node *n)
{
    if (p->stack_len == p->stack_cap) {
        size_t cap = p->stack_cap ? p->stack_cap * 2 : 256;
        alc_node **s = realloc(p->stack, cap * sizeof *s);
        if (!s)
            return -1;
        p->stack = s;
        p->stack_cap = cap;
    }
    p->stack[p->stack_len++] = n;
    return 0;
}

/* Python's str.strip() on UTF-8 text: trims Unicode whitespace. */
static void strip_unicode(const char **s, size_t *len)
{
    const unsigned char *b = (const unsigned char *)*s;
    if (*len > 0 && b[0] > 0x20 && b[0] < 0x80 && b[*len - 1] > 0x20 && b[*len - 1] < 0x80)
        return; /* the common case: nothing to trim */
    size_t start = 0, end = *len;
    while (start < end) {
        uint32_t cp;
        int n = utf8_decode(b + start, end - start, &cp);
        if (n == 0 || !is_unicode_space(cp))
            break;
        start += (size_t)n;
    }
    while (end > start) {
        size_t k = end - 1;
        while (k > start && (b[k] & 0xC0) == 0x80)
            k--;
        uint32_t cp;
        int n = utf8_decode(b + k, end - k, &cp);
        if (n == 0 || (size_t)n != end - k || !is_unicode_space(cp))
            break;
        end = k;
    }
    *s = (const char *)b + start;
    *len = end - start;
}

/* Replace every occurrence of `from` by `to` (to no longer than from),
 * left to right without overlap, like Python's str.replace. In place. */
static size_t replace_all(char *s, size_t len, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to), r = 0, w = 0;
    while (r < len) {
        if (r + fl <= len && memcmp(s + r, from, fl) == 0) {
            memcpy(s + w, to, tl);
            w += tl;
            r += fl;
        } else {
            s[w++] = s[r++];
        }
    }
    return w;
}

/* A string literal at p->pos, any content (lex_string has the fast path). */
static alc_status lex_string_general(parser *p, alc_node **out)
{
    int line = p->line, col = cur_col(p);
    size_t start = p->pos + 1, i = start;
    /* fast path: the closing quote with no backslash before it */
    const char *q = memchr(p->src + i, '"', p->len - i);
    if (q && !memchr(p->src + i, '\\', (size_t)(q - (p->src + i))))
        i = (size_t)(q - p->src);
    else
        while (i < p->len && p->src[i] != '"')
            i += (p->src[i] == '\\') ? 2 : 1;
    if (i >= p->len)
        return syntax_error(p, line, col, "Unterminated string literal%s", "");
    size_t raw_len = i - start;
    if (raw_len > MAX_TOKEN_BYTES)
        return alc_fail_at(p->err, ALC_ERR_LIMIT, p->path, line, col,
                           "string literal of %zu bytes; the limit is %u", raw_len,
                           MAX_TOKEN_BYTES);
    const char *s = p->src + start;
    size_t len = raw_len;
    int ascii = 1;
    size_t k = start;
    for (; k + 8 <= i && ascii; k += 8) {
        uint64_t w;
        memcpy(&w, p->src + k, 8);
        ascii = (w & 0x8080808080808080ull) == 0;
    }
    for (; k < i && ascii; k++)
        ascii = (unsigned char)p->src[k] < 0x80;
    /* validate the whole literal as UTF-8 (files are read as UTF-8) */
    for (size_t at = start; !ascii && at < i;) {
        uint32_t cp;
        int n = utf8_decode((const unsigned char *)p->src + at, i - at, &cp);
        if (n == 0)
            return syntax_error(p, line, col, "invalid UTF-8 in string literal%s", "");
        at += (size_t)n;
    }
    char *buf = NULL;
    if (memchr(s, '\\', raw_len)) {
        buf = malloc(raw_len + 1);
        if (!buf)
            return alc_fail(p->err, ALC_ERR_NOMEM, "out of memory");
        memcpy(buf, s, raw_len);
        /* The reference's unescaping (SPEC 1): raw-string patterns with one
         * backslash too many, applied in this order. */
        len = replace_all(buf, raw_len, "\\\\\\\"", "\"");
        len = replace_all(buf, len, "\\\\n", "\n");
        len = replace_all(buf, len, "\\\\t", "\t");
        len = replace_all(buf, len, "\\\\r", "\r");
        len = replace_all(buf, len, "\\\\\\\\", "\\");
        s = buf;
    }
    strip_unicode(&s, &len);
    alc_node *n = new_node(p, NODE_STRING, line, col);
    const alc_sym *sym = n ? intern_token(p, s, len, buf ? len : (size_t)(p->src + p->len - s)) : NULL;
    free(buf);
    if (!n)
        return p->err->code;
    if (!sym)
        return alc_fail(p->err, ALC_ERR_NOMEM, "out of memory");
    n->sym = sym;
    advance(p, i + 1 - p->pos);
    *out = n;
    return ALC_OK;
}

/* A string literal at p->pos. */
HOT_INLINE alc_status lex_string(parser *p, alc_node **out)
{
    /* fast path: plain ASCII up to the closing quote (no backslash, no
     * newline, no blank at either end): the token is the text itself */
    const unsigned char *u = (const unsigned char *)p->src;
    size_t start = p->pos + 1, k = start;
    while (k < p->len && plain_string_byte[u[k]])
        k++;
    if (k < p->len && u[k] == '"' && (k == start || (u[start] > 0x20 && u[k - 1] > 0x20)) &&
        k - start <= MAX_TOKEN_BYTES) {
        alc_node *n = new_node(p, NODE_STRING, p->line, cur_col(p));
        if (!n)
            return p->err->code;
        n->sym = intern_token(p, p->src + start, k - start, p->len - start);
        if (!n->sym)
            return alc_fail(p->err, ALC_ERR_NOMEM, "out of memory");
        p->pos = k + 1;
        *out = n;
        return ALC_OK;
    }
    return lex_string_general(p, out);
}

/* Python's str(Decimal(text)) for the plain literals the grammar admits
 * (-?digits or -?digits.digits): used when a number becomes a name/key. */
static void decimal_text(const char *t, size_t len, char *buf, size_t size)
{
    int neg = 0;
    size_t i = 0;
    if (t[0] == '-') {
        neg = 1;
        i = 1;
    }
    char digits[128];
    size_t nd = 0;
    int frac = 0, in_frac = 0;
    for (; i < len && nd + 1 < sizeof digits; i++) {
        if (t[i] == '.') {
            in_frac = 1;
            continue;
        }
        digits[nd++] = t[i];
        frac += in_frac;
    }
    size_t lead = 0;
    while (lead + 1 < nd && digits[lead] == '0')
        lead++;
    const char *coef = digits + lead;
    int ncoef = (int)(nd - lead);
    int exp = -frac;
    int leftdigits = exp + ncoef;
    char out[200];
    size_t o = 0;
    if (neg)
        out[o++] = '-';
    if (exp <= 0 && leftdigits > -6) {
        if (leftdigits <= 0) {
            out[o++] = '0';
            out[o++] = '.';
            for (int k = 0; k < -leftdigits; k++)
                out[o++] = '0';
            memcpy(out + o, coef, (size_t)ncoef);
            o += (size_t)ncoef;
        } else {
            memcpy(out + o, coef, (size_t)leftdigits);
            o += (size_t)leftdigits;
            if (ncoef > leftdigits) {
                out[o++] = '.';
                memcpy(out + o, coef + leftdigits, (size_t)(ncoef - leftdigits));
                o += (size_t)(ncoef - leftdigits);
            }
        }
        out[o] = '\0';
    } else {
        /* scientific: d.dddE-n */
        out[o++] = coef[0];
        if (ncoef > 1) {
            out[o++] = '.';
            memcpy(out + o, coef + 1, (size_t)(ncoef - 1));
            o += (size_t)(ncoef - 1);
        }
        snprintf(out + o, sizeof out - o, "E%+d", leftdigits - 1);
    }
    snprintf(buf, size, "%s", out);
}

/* strtod() of a literal -?digits[.digits] (t[0..len), NUL-terminated;
 * d0 = 1 when it starts with '-').  Up to 15 digits and 22 decimals the
 * mantissa and the power of ten are exact doubles, so one correctly
 * rounded division gives exactly strtod's correctly rounded result
 * (Clinger's fast path); anything longer goes to strtod. */
static double literal_value(const char *t, size_t len, size_t d0)
{
    static const double pow10[23] = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    uint64_t mant = 0;
    int ndig = 0, nfrac = 0, frac = 0;
    for (size_t k = d0; k < len; k++) {
        if (t[k] == '.') {
            frac = 1;
            continue;
        }
        mant = mant * 10u + (uint64_t)(t[k] - '0');
        ndig++;
        nfrac += frac;
        if (ndig > 15)
            return strtod(t, NULL);
    }
    double v = (double)mant;
    if (nfrac)
        v /= pow10[nfrac];
    return d0 ? -v : v;
}

static alc_status parse_list(parser *p, int depth, alc_node **out);
static alc_status parse_atom(parser *p, alc_node **out);
static alc_status depth_error(parser *p);

static const char *closer_name(char open)
{
    return open == '(' ? "')'" : open == '[' ? "']'" : "'}'";
}

static int push_group(dsl_group_list *g, alc_node *node, size_t first)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        alc_node **nodes = realloc(g->node, cap * sizeof *nodes);
        if (!nodes)
            return -1;
        g->node = nodes;
        size_t *firsts = realloc(g->first, cap * sizeof *firsts);
        if (!firsts)
            return -1;
        g->first = firsts;
        g->cap = cap;
    }
    g->node[g->n] = node;
    g->first[g->n] = first;
    g->n++;
    return 0;
}

static alc_status parse_list(parser *p, int depth, alc_node **out)
{
    int line = p->line, col = cur_col(p);
    char open = p->src[p->pos];
    char close = open == '(' ? ')' : open == '[' ? ']' : '}';
    p->pos++;
    size_t base = p->stack_len;
    const size_t groups_before = p->groups.n;
    alc_status st;
    for (;;) {
        if ((st = skip_blank(p)) != ALC_OK)
            return st;
        if (p->pos >= p->len)
            return syntax_error(p, line, col, "Missing closing %s for this opening bracket",
                                closer_name(open));
        char c = p->src[p->pos];
        if (c == close)
            break;
        if (c == ')' || c == ']' || c == '}') {
            char what[64];
            snprintf(what, sizeof what, "'%c' where %s was expected", c, closer_name(open));
            return syntax_error(p, p->line, cur_col(p), "Mismatched closing bracket: %s", what);
        }
        /* the child, at depth + 1: lists recurse, atoms are lexed here */
        if (depth + 1 > MAX_DEPTH)
            return depth_error(p);
        if (depth + 1 > p->max_depth)
            p->max_depth = depth + 1;
        alc_node *child;
        st = (c == '(' || c == '[' || c == '{') ? parse_list(p, depth + 1, &child) : parse_atom(p, &child);
        if (st != ALC_OK)
            return st;
        if (push_child(p, child) != 0)
            return alc_fail(p->err, ALC_ERR_NOMEM, "out of memory");
    }
    p->pos++;
    size_t n = p->stack_len - base;
    if (open == '{' && n % 2 != 0)
        return syntax_error(p, line, col, "Map literal needs an even number of forms (key value pairs)%s", "");
    alc_node *node = new_node(p, NODE_LIST, line, col);
    if (!node)
        return p->err->code;
    node->bracket = (uint8_t)open;
    node->n = (int32_t)n;
    if (n) {
        node->kids = parser_alloc(p, n * sizeof *node->kids);
        if (!node->kids)
            return alc_fail(p->err, ALC_ERR_NOMEM, "out of memory");
        memcpy(node->kids, p->stack + base, n * sizeof *node->kids);
    }
    p->stack_len = base;
    if (open == '{')
        node->flags |= NODE_FLAG_MAP;
    else if (n > 0 && node->kids[0]->kind == NODE_SYMBOL)
        node->op = (uint8_t)op_from_sym(node->kids[0]->sym);
    if (node->op == OP_FILTER)
        node->flags |= NODE_FLAG_HAS_FILTER;
    if (node->op == OP_GROUP) {
        node->flags |= NODE_FLAG_HAS_GROUP;
        if (push_group(&p->groups, node, groups_before) != 0)
            return alc_fail(p->err, ALC_ERR_NOMEM, "out of memory");
    }
    uint8_t below = 0;
    for (size_t k = 0; k < n; k++)
        below |= node->kids[k]->flags;
    node->flags |= below & (NODE_FLAG_HAS_FILTER | NODE_FLAG_HAS_GROUP | NODE_FLAG_GROUP_SCORING);
    if (node->op == OP_FILTER && (below & NODE_FLAG_HAS_GROUP))
        node->flags |= NODE_FLAG_GROUP_SCORING;
    *out = node;
    return ALC_OK;
}

static alc_status depth_error(parser *p)
{
    char lim[32];
    snprintf(lim, sizeof lim, "%d", MAX_DEPTH);
    return syntax_error(p, p->line, cur_col(p), "Nesting too deep: the limit is %s levels", lim);
}

/* The root expression (depth 0), after blanks. */
static alc_status parse_expr(parser *p, alc_node **out)
{
    if (p->pos >= p->len)
        return syntax_error(p, p->line, cur_col(p), "Expected an expression, found end of file%s", "");
    char c = p->src[p->pos];
    if (c == '(' || c == '[' || c == '{')
        return parse_list(p, 0, out);
    return parse_atom(p, out);
}

/* A string, number, keyword or symbol at p->pos (not a list; pos < len). */
HOT_INLINE alc_status parse_atom(parser *p, alc_node **out)
{
    const char *s = p->src + p->pos;
    size_t left = p->len - p->pos;
    unsigned char c = (unsigned char)s[0];
    int line = p->line, col = cur_col(p);
    if (c == '"')
        return lex_string(p, out);
    if (c == ')' || c == ']' || c == '}') {
        char what[8] = {(char)c, 0};
        return syntax_error(p, line, col, "Unexpected closing bracket '%s'", what);
    }
    /* numbers: FLOAT -?\d+\.\d+ then INTEGER -?\d+ */
    size_t i = (c == '-') ? 1 : 0;
    if (i < left && is_digit(s[i])) {
        while (i < left && is_digit(s[i]))
            i++;
        if (i + 1 < left && s[i] == '.' && is_digit(s[i + 1])) {
            i++;
            while (i < left && is_digit(s[i]))
                i++;
        }
        alc_node *n = new_node(p, NODE_NUMBER, line, col);
        if (!n)
            return p->err->code;
        char tmp[128];
        if (i >= sizeof tmp)
            return syntax_error(p, line, col, "Number literal too long (more than 127 characters)%s", "");
        memcpy(tmp, s, i);
        tmp[i] = '\0';
        size_t d0 = tmp[0] == '-' ? 1 : 0;
        n->num = literal_value(tmp, i, d0);
        char text[256];
        /* str(Decimal(token)) is the token itself unless it has leading
         * zeros or is small enough for scientific notation */
        int plain = tmp[d0] != '0' || tmp[d0 + 1] != '.' ? tmp[d0] != '0' || i == d0 + 1
                                                          : strncmp(tmp + d0 + 2, "000000", 6) != 0;
        if (plain) {
            n->sym = intern_token(p, s, i, left);
        } else {
            decimal_text(tmp, i, text, sizeof text);
            size_t tl = strlen(text);
            n->sym = intern_token(p, text, tl, tl);
        }
        if (!n->sym)
            return alc_fail(p->err, ALC_ERR_NOMEM, "out of memory");
        p->pos += i; /* ASCII, no newline */
        *out = n;
        return ALC_OK;
    }
    /* KEYWORD :[a-zA-Z_][a-zA-Z0-9_-]*  then SYMBOL */
    size_t len = 0;
    if (c == ':' && left > 1 && (is_alpha(s[1]) || s[1] == '_')) {
        len = 2;
        while (len < left && is_keyword_char(s[len]))
            len++;
    } else if (is_symbol_start(c)) {
        len = 1;
        while (len < left && is_symbol_char(s[len]))
            len++;
    }
    if (len == 0) {
        char what[16];
        if (c >= 0x20 && c < 0x7F)
            snprintf(what, sizeof what, "'%c'", c);
        else
            snprintf(what, sizeof what, "byte 0x%02X", c);
        if (c == 0xEF && left >= 3 && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF)
            return syntax_error(p, line, col, "Unexpected character: a UTF-8 byte order mark (BOM)%s; save the file without BOM", "");
        return syntax_error(p, line, col, "Unexpected character %s", what);
    }
    if (len > MAX_TOKEN_BYTES)
        return alc_fail_at(p->err, ALC_ERR_LIMIT, p->path, line, col,
                           "symbol of %zu bytes; the limit is %u", len, MAX_TOKEN_BYTES);
    alc_node *n = new_node(p, NODE_SYMBOL, line, col);
    if (!n)
        return p->err->code;
    n->sym = intern_token(p, s, len, left);
    if (!n->sym)
        return alc_fail(p->err, ALC_ERR_NOMEM, "out of memory");
    p->pos += len; /* ASCII, no newline */
    *out = n;
    return ALC_OK;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Programs of different parses never share a serial, even when one is
 * allocated where a freed one lived (rank 0 parses on two threads). */
static atomic_uint_fast64_t next_program_serial;

alc_status alc_program_parse(const char *path, const char *text, size_t len,
                             alc_program **out, alc_error *err)
{
    *out = NULL;
    if (!path)
        path = "<input>";
    if (len > MAX_SOURCE_BYTES)
        return alc_fail_at(err, ALC_ERR_LIMIT, path, 0, 0,
                           "strategy file is %zu bytes; the limit is 10 MiB", len);
    alc_program *prog = calloc(1, sizeof *prog);
    if (!prog)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    prog->path = strdup(path);
    prog->source_size = len;
    prog->serial = atomic_fetch_add(&next_program_serial, 1) + 1;
    pthread_once(&op_syms_once, intern_op_names);
    parser p = {.src = text, .len = len, .line = 1, .path = path,
                .prog = prog, .err = err,
                .icache = calloc(ICACHE_SLOTS, sizeof(icache_entry))};
    alc_status st = prog->path && p.icache ? ALC_OK : alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    if (st == ALC_OK)
        st = skip_blank(&p);
    if (st == ALC_OK && p.pos >= p.len)
        st = syntax_error(&p, 1, 1, "Empty program: expected one expression%s", "");
    if (st == ALC_OK)
        st = parse_expr(&p, &prog->root);
    if (st == ALC_OK)
        st = skip_blank(&p);
    if (st == ALC_OK && p.pos < p.len)
        st = syntax_error(&p, p.line, cur_col(&p),
                          "Unexpected content after the end of the program%s (a file holds exactly one expression)", "");
    if (st == ALC_OK)
        st = dsl_mark_cacheable_bodies(&p.groups, err);
    free(p.groups.node);
    free(p.groups.first);
    free(p.stack);
    free(p.icache);
    if (st != ALC_OK) {
        alc_program_free(prog);
        return st;
    }
    prog->node_count = p.nodes;
    prog->max_depth = p.max_depth;
    /* name: (defsymphony "Name" ...) else the file's base name */
    const alc_node *r = prog->root;
    if (r->kind == NODE_LIST && r->op == OP_DEFSYMPHONY && r->n > 1 && r->kids[1]->kind == NODE_STRING)
        prog->name = strdup(r->kids[1]->sym->s);
    else
        prog->name = strdup(base_name(path));
    if (!prog->name) {
        alc_program_free(prog);
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    }
    *out = prog;
    return ALC_OK;
}

alc_status alc_program_load(const char *path, alc_program **out, alc_error *err)
{
    *out = NULL;
    char *buf;
    size_t len;
    alc_status st = alc_read_file(path, MAX_SOURCE_BYTES, "strategy file", &buf, &len, err);
    if (st == ALC_ERR_LIMIT)
        return alc_fail_at(err, ALC_ERR_LIMIT, path, 0, 0,
                           "strategy file is larger than the 10 MiB limit");
    if (st != ALC_OK)
        return st;
    st = alc_program_parse(path, buf, len, out, err);
    free(buf);
    return st;
}

void alc_program_free(alc_program *p)
{
    if (!p)
        return;
    for (alc_ast_block *b = p->blocks; b;) {
        alc_ast_block *next = b->next;
        free(b);
        b = next;
    }
    free(p->path);
    free(p->name);
    free(p);
}

const char *alc_program_name(const alc_program *p) { return p->name; }
const char *alc_program_path(const alc_program *p) { return p->path; }
size_t alc_program_source_size(const alc_program *p) { return p->source_size; }
size_t alc_program_node_count(const alc_program *p) { return p->node_count; }
