/* Evaluator internals shared by eval.c (core and operators), weights.c
 * (weight-*), filter.c (filter and group scoring).
 *
 * Memory: every value, list, dict and fragment produced while evaluating
 * lives in the engine's arena and dies at the start of the next top-level
 * evaluation.  Fragments are immutable once built (naming a fragment in a
 * group copies its header and shares its arrays). */
#ifndef ALCHEMISER_DSL_EVAL_INTERNAL_H
#define ALCHEMISER_DSL_EVAL_INTERNAL_H

#include <stdint.h>

#include "alchemiser/arena.h"
#include "alchemiser/engine.h"
#include "alchemiser/indicators.h"
#include "alchemiser/intern.h"
#include "dsl/ast.h"

/* The reference's Python value kinds (SPEC 3). */
typedef enum vkind { V_NONE, V_BOOL, V_NUM, V_STR, V_LIST, V_DICT, V_FRAG } vkind;
/* Which Python number a V_NUM is: it matters only for str(). */
typedef enum numkind { NUM_DECIMAL, NUM_FLOAT, NUM_INT } numkind;

typedef struct frag frag;
typedef struct vlist vlist;
typedef struct vdict vdict;

typedef struct value {
    uint8_t kind;  /* vkind */
    uint8_t numk;  /* numkind, for V_NUM */
    union {
        double num;
        int b;
        const alc_sym *str;
        vlist *list;
        vdict *dict;
        frag *frag;
    } u;
    const alc_sym *text; /* V_NUM from a literal: str(Decimal) */
} value;

struct vlist {
    int n;
    value *v;
};

struct vdict {
    int n;
    const alc_sym **keys;
    value *vals;
};

/* PortfolioFragment: {ticker: weight} in insertion order plus metadata. */
struct frag {
    int n;
    const alc_sym **tk;
    double *w;
    const alc_sym *name; /* group_name, NULL when unnamed */
    int32_t id;          /* fragment_id */
    uint8_t bare;        /* a string wrapped by a portfolio-mode filter */
};

/* Growable {ticker: weight} accumulator (arena-backed). */
typedef struct wmap {
    int n, cap;
    const alc_sym **tk;
    double *w;
} wmap;

typedef struct memo_entry {
    uint32_t gen;
    int32_t name_id;
    alc_day day;
    const frag *weights; /* NULL = "nothing" */
    int failed;          /* "nothing" because the body raised that day */
} memo_entry;

/* Daily return of a memoised holdings fragment, per evaluation. */
typedef struct return_entry {
    uint32_t gen;
    alc_day day;
    const frag *holdings;
    int has;          /* 0: no held ticker had a return that day */
    long double ret;
} return_entry;

/* Value of a context-free group body (NODE_FLAG_CACHEABLE_BODY) at a day, kept across
 * top-level evaluations of one program: group scoring re-evaluates the same
 * bodies at the same past days for every as-of date of a backtest or of
 * consecutive runs. */
typedef struct body_value {
    const alc_node *body; /* the group call; NULL: empty slot */
    alc_day day;
    int failed;           /* the body raised at that day */
    const frag *holdings; /* in body_arena, unnamed; NULL when failed */
} body_value;

typedef struct name_body {
    uint32_t gen;
    const alc_node *group; /* the group call node whose body was registered */
} name_body;

struct alc_engine {
    const alc_market *market;
    alc_indicator_cache *cache;
    alc_arena arena;
    alc_error *err;
    const alc_program *prog;
    alc_day as_of;
    int depth;

    const alc_sym *sym_window; /* "window", interned by alc_engine_new */
    /* keyword sym id -> its name without ':' (NULL: not looked up yet) */
    const alc_sym **key_of_sym;
    int32_t key_of_sym_cap;

    /* ticker sym id -> market series index (-1 missing, -2 not looked up) */
    int32_t *series_of_sym;
    int32_t series_of_sym_cap;

    /* per top-level evaluation state, invalidated by bumping gen */
    uint32_t gen;
    int32_t next_frag_id;
    const alc_node **body_by_id; /* indexed by fragment id */
    int32_t body_by_id_cap;
    int32_t body_by_id_used;     /* ids below this may be set */
    name_body *body_by_name;     /* indexed by name sym id */
    int32_t body_by_name_cap;
    memo_entry *memo;
    size_t memo_cap, memo_count;
    return_entry *returns;
    size_t returns_cap, returns_count;
    const alc_sym **in_progress;
    int n_in_progress, cap_in_progress;

    /* context-free body values across evaluations (filter.c), for the program with
     * serial body_prog; off for a program that looks a body up by name
     * (that lookup sees the registrations a cached body would have made) */
    uint64_t body_prog;
    int body_cache_off;
    body_value *bodies;
    size_t bodies_cap, bodies_count;
    alc_arena body_arena;
    long body_hits;   /* values served from the cache, ever */
    long failed_days; /* group-scoring days skipped or read as failed, ever */
    int by_name_used; /* registry_body_by_name was called in it */
};

#define EVAL_MAX_DEPTH 10000

/* core (eval.c) */
alc_status eval_node(alc_engine *e, const alc_node *n, value *out);
alc_status eval_error(alc_engine *e, const alc_node *at, alc_status code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Give an error raised without location (kernels) the location of `at`. */
alc_status eval_locate(alc_engine *e, const alc_node *at, alc_status st);
int value_truthy(const value *v);
/* SPEC 5.4 coercion to a number (non-numeric -> 0).  Fails only for values
 * Python's Decimal rejects with an exception (NaN strings). */
alc_status value_to_decimal(alc_engine *e, const alc_node *at, const value *v, double *out);
/* Python's str(value), interned. */
const alc_sym *value_str(alc_engine *e, const value *v);
/* Unwrap while the value is a single-element list. */
value value_unwrap(value v);
value value_from_str(const alc_sym *s);
value value_from_num(double x, numkind k);
alc_status value_dict_get(const vdict *d, const char *key, const value **out);

/* Indicator of market data for `ticker` (a DSL string): upper-cases,
 * validates, and looks it up.  ALC_ERR_MARKET when absent. */
alc_status engine_series(alc_engine *e, const alc_node *at, const alc_sym *ticker, int *series);
/* Call indicator `op` on ticker with a parameter value (NULL = absent). */
alc_status eval_indicator(alc_engine *e, const alc_node *at, dsl_op op, const alc_sym *ticker,
                          const value *params, double *out);

/* fragments (eval.c) */
/* A fragment of n entries (tk, w uninitialised) with the given id, in arena a. */
frag *frag_alloc(alc_arena *a, int n, int32_t id);
/* The same in the evaluation's arena, with the next fragment id. */
frag *frag_new(alc_engine *e, int n);
frag *frag_from_wmap(alc_engine *e, const wmap *m);
frag *frag_single(alc_engine *e, const alc_sym *ticker, double w);
/* Weights scaled by 1/sum; unchanged when the sum is 0 (SPEC 4, 5.6). */
frag *frag_normalised(alc_engine *e, const frag *f);
double frag_sum(const frag *f);
const alc_sym *frag_min_ticker(const frag *f);
void wmap_init(wmap *m);
alc_status wmap_add(alc_engine *e, wmap *m, const alc_sym *tk, double w);
alc_status wmap_set(alc_engine *e, wmap *m, const alc_sym *tk, double w);
alc_status oom(alc_engine *e);
/* *out = a new unnamed fragment holding m's weights. */
alc_status value_from_wmap(alc_engine *e, const wmap *m, value *out);
/* Python int() of a count or window, clamped to +-1e9 (beyond any history,
 * so the short-data rules still apply, without overflow). */
double dsl_trunc_clamp(double x);
/* Default window of an indicator when its parameters lack one (SPEC 7.2). */
long dsl_default_window(dsl_op op);

/* operators in other files */
alc_status op_weight_equal(alc_engine *e, const alc_node *n, value *out);
alc_status op_weight_specified(alc_engine *e, const alc_node *n, value *out);
alc_status op_weight_inverse_volatility(alc_engine *e, const alc_node *n, value *out);
alc_status op_filter(alc_engine *e, const alc_node *n, value *out);

/* group registries (eval.c), used by filter.c */
const alc_node *registry_body_by_id(alc_engine *e, int32_t id);
const alc_node *registry_body_by_name(alc_engine *e, const alc_sym *name);

/* body value cache (filter.c): forget every value */
void body_cache_clear(alc_engine *e);

#endif
