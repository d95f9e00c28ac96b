/* The DSL's abstract syntax tree (internal to src/dsl).
 *
 * Nodes live in the owning program's arena and are immutable after
 * parsing.  Strings, symbols and number texts are interned. */
#ifndef ALCHEMISER_DSL_AST_H
#define ALCHEMISER_DSL_AST_H

#include <stdint.h>

#include "alchemiser/arena.h"
#include "alchemiser/error.h"
#include "alchemiser/intern.h"

typedef enum node_kind {
    NODE_SYMBOL, /* SYMBOL or KEYWORD token; sym = its name (keywords keep ':') */
    NODE_STRING, /* string literal after the reference's unescaping and trim */
    NODE_NUMBER, /* FLOAT or INTEGER token: a Decimal in the reference */
    NODE_LIST    /* (...), [...] or {...}; the bracket kind is forgotten except map */
} node_kind;

/* Operators, resolved once at parse time from a list's head symbol. */
typedef enum dsl_op {
    OP_NONE = 0,      /* not a call (no symbol head, or a map) */
    OP_UNKNOWN,       /* symbol head that names no operator */
    OP_DEFSYMPHONY, OP_GROUP, OP_ASSET, OP_IF,
    OP_GT, OP_LT, OP_GE, OP_LE, OP_EQ,
    OP_WEIGHT_EQUAL, OP_WEIGHT_SPECIFIED, OP_WEIGHT_INVERSE_VOLATILITY,
    OP_FILTER, OP_SELECT_TOP, OP_SELECT_BOTTOM,
    OP_RSI, OP_CURRENT_PRICE, OP_MOVING_AVERAGE_PRICE, OP_MOVING_AVERAGE_RETURN,
    OP_CUMULATIVE_RETURN, OP_EXPONENTIAL_MOVING_AVERAGE_PRICE, OP_STDEV_RETURN,
    OP_STDEV_PRICE, OP_MAX_DRAWDOWN, OP_PPO, OP_PPO_SIGNAL,
    OP_MA, OP_VOLATILITY, /* registered but always raise */
    OP_COUNT
} dsl_op;

enum {
    NODE_FLAG_MAP = 1,          /* written as {...} */
    NODE_FLAG_HAS_FILTER = 2,   /* this subtree contains a filter call */
    NODE_FLAG_HAS_GROUP = 4,    /* this subtree contains a group call */
    /* this subtree contains a filter with a group call below it: the only
     * way (besides bare non-ticker strings, caught at run time) to reach
     * SPEC 7.6 group scoring */
    NODE_FLAG_GROUP_SCORING = 8,
    /* on a group call: the body's value at a day depends on that day's
     * market only, as far as static analysis can tell (analyse.c); filter.c
     * caches it across evaluations */
    NODE_FLAG_CACHEABLE_BODY = 16
};

typedef struct alc_node {
    uint8_t kind;   /* node_kind */
    uint8_t op;     /* dsl_op for calls, OP_NONE otherwise */
    uint8_t flags;
    uint8_t bracket; /* '(' '[' '{' for lists */
    int32_t line, col;
    int32_t n;          /* NODE_LIST: number of children */
    const alc_sym *sym; /* symbol name, string value, or number text as Python's str(Decimal) */
    union {
        double num;              /* NODE_NUMBER: strtod of the literal */
        struct alc_node **kids;  /* NODE_LIST: n children */
    };
} alc_node;

/* A block of AST memory (nodes and child arrays), see parser.c. */
typedef struct alc_ast_block {
    struct alc_ast_block *next;
    size_t size;  /* usable bytes after the header */
} alc_ast_block;

struct alc_program {
    alc_ast_block *blocks; /* own every node (parser.c: ast_block_new) */
    char *path;         /* malloc'd */
    char *name;         /* malloc'd */
    alc_node *root;
    size_t source_size;
    size_t node_count;
    int max_depth;
    uint64_t serial; /* unique per parsed program in this process (caches key on it) */
};

/* The group calls of a program in post-order (children before parents),
 * as the parser meets them: the group calls inside node[i] are exactly
 * node[first[i] .. i-1]. */
typedef struct dsl_group_list {
    alc_node **node;
    size_t *first;
    size_t n, cap;
} dsl_group_list;

/* Sets NODE_FLAG_CACHEABLE_BODY on the group calls whose body is
 * context-free (analyse.c).  Returns ALC_ERR_NOMEM with err filled. */
alc_status dsl_mark_cacheable_bodies(const dsl_group_list *groups, alc_error *err);

/* Operator of a symbol name, OP_UNKNOWN if none. */
dsl_op dsl_op_from_name(const char *name);
const char *dsl_op_name(dsl_op op);

#endif
