/* The DSL engine's public face: parse a strategy file into a program,
 * evaluate programs against a market at an as-of date.
 *
 * Ownership:
 *  - alc_program: owns its AST arena and source text; free with
 *    alc_program_free().  Immutable after parsing, so one program may be
 *    evaluated any number of times, at any dates.
 *  - alc_engine: borrows the market (which must outlive it) and owns the
 *    indicator cache and the evaluation arena.  One engine per thread.
 *  - alc_allocation: filled by alc_engine_eval(); the caller owns it and
 *    releases it with alc_allocation_free(). */
#ifndef ALCHEMISER_ENGINE_H
#define ALCHEMISER_ENGINE_H

#include <stddef.h>

#include "alchemiser/date.h"
#include "alchemiser/error.h"
#include "alchemiser/market.h"

typedef struct alc_program alc_program;
typedef struct alc_engine alc_engine;

typedef struct alc_weight {
    char *ticker;   /* upper-case; owned by the allocation */
    double weight;
} alc_weight;

typedef struct alc_allocation {
    int n;
    alc_weight *w;  /* sorted by ticker (strcmp) */
} alc_allocation;

void alc_allocation_free(alc_allocation *a);

/* Parse source text.  `path` is used for messages (file:line:col) and the
 * default name.  Limits (docs/hardening.md): 10 MiB of text (ALC_ERR_LIMIT,
 * file only), nesting depth 300 (ALC_ERR_PARSE), string literals and
 * symbols of 64 KiB, number literals of 127 characters (ALC_ERR_LIMIT /
 * ALC_ERR_PARSE, with file:line:col). */
alc_status alc_program_parse(const char *path, const char *text, size_t len,
                             alc_program **out, alc_error *err);
/* Read and parse a file. */
alc_status alc_program_load(const char *path, alc_program **out, alc_error *err);
void alc_program_free(alc_program *p);

/* The symphony's name (first argument of defsymphony when it is a string),
 * else the file's base name. */
const char *alc_program_name(const alc_program *p);
const char *alc_program_path(const alc_program *p);
size_t alc_program_source_size(const alc_program *p);
size_t alc_program_node_count(const alc_program *p);

/* Static checks without evaluation: unknown operators, arity, and (when
 * `market` is non-NULL) tickers missing from the market.  Reports the
 * first problem with file:line:col. */
alc_status alc_program_check(const alc_program *p, const alc_market *market,
                             alc_error *err);

alc_status alc_engine_new(const alc_market *market, alc_engine **out, alc_error *err);
void alc_engine_free(alc_engine *e);

/* Evaluate at `as_of` (bars dated after it are invisible).  On failure the
 * error carries the file:line:col of the operator that failed.  The engine
 * keeps indicator values and the values of context-free group bodies for
 * later evaluations (of the same program, for the latter: the program's
 * parse serial, not its address, identifies it), so evaluating one program
 * at many dates costs little more than at one; results never depend on
 * what was evaluated before (docs/engine.md). */
alc_status alc_engine_eval(alc_engine *e, const alc_program *p, alc_day as_of,
                           alc_allocation *out, alc_error *err);

/* What the engine's caches did since it was created (benchmarks, tests).
 * Caches never change results. */
typedef struct alc_engine_stats {
    long body_hits;    /* group bodies at a day served from earlier evaluations */
    long body_values;  /* (body, day) values kept now */
} alc_engine_stats;
void alc_engine_get_stats(const alc_engine *e, alc_engine_stats *out);

#endif
