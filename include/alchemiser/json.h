/* Minimal JSON writing helpers for line-oriented outputs (eval results,
 * events, portfolios): exact doubles and escaped strings. */
#ifndef ALCHEMISER_JSON_H
#define ALCHEMISER_JSON_H

#include <stdio.h>

/* Writes s as a JSON string literal (with quotes), escaping control
 * characters, quotes and backslashes; bytes >= 0x80 pass through (UTF-8).
 * NULL is written as "". */
void alc_json_string(FILE *out, const char *s);

/* x formatted exactly as snprintf("%.17g") does (same bytes), into buf (32
 * bytes at least), several times faster for the numbers of a portfolio
 * (1e-30 <= |x| < 1e16: exact integer arithmetic; others: snprintf).
 * Returns the length. */
int alc_format_g17(double x, char *buf);

/* Writes a double that parses back to the same value (%.17g), or null for
 * NaN/inf, which JSON cannot represent. */
void alc_json_number(FILE *out, double x);

/* One member of an object: `sep` (what goes before it: ", ", "{", "\n  "),
 * then "key": and the value. */
void alc_json_member_str(FILE *out, const char *sep, const char *key, const char *s);
void alc_json_member_num(FILE *out, const char *sep, const char *key, double x);
/* The same with null for a value that is absent: s NULL or "" / !present. */
void alc_json_member_str_or_null(FILE *out, const char *sep, const char *key, const char *s);
void alc_json_member_num_if(FILE *out, const char *sep, const char *key, int present, double x);
void alc_json_member_int_if(FILE *out, const char *sep, const char *key, int present, long long x);

#endif
