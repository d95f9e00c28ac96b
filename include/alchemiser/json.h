/* Minimal JSON writing helpers for line-oriented outputs (eval results,
 * events, portfolios): exact doubles and escaped strings. */
#ifndef ALCHEMISER_JSON_H
#define ALCHEMISER_JSON_H

#include <stdio.h>

/* Writes s as a JSON string literal (with quotes), escaping control
 * characters, quotes and backslashes; bytes >= 0x80 pass through (UTF-8). */
void alc_json_string(FILE *out, const char *s);

/* Writes a double that parses back to the same value (%.17g), or null for
 * NaN/inf, which JSON cannot represent. */
void alc_json_number(FILE *out, double x);

#endif
