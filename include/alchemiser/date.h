/* Calendar dates as days since 1970-01-01 (proleptic Gregorian), the one
 * date representation used across modules. */
#ifndef ALCHEMISER_DATE_H
#define ALCHEMISER_DATE_H

#include <stdint.h>
#include <stddef.h>

typedef int32_t alc_day;

alc_day alc_day_from_civil(int year, int month, int day);
void alc_civil_from_day(alc_day d, int *year, int *month, int *day);

/* Strict "YYYY-MM-DD" (exactly 10 characters, valid calendar date).
 * Returns 0 on success, -1 otherwise. */
int alc_parse_date(const char *text, size_t len, alc_day *out);

/* Writes "YYYY-MM-DD" and a NUL into buf (at least 11 bytes). */
void alc_format_date(alc_day d, char *buf);

/* Seconds since the epoch of a UTC timestamp "YYYY-MM-DDTHH:MM:SS[.fff]Z"
 * (the form the session files hold; any number of fraction digits); -1 when
 * NULL, empty or malformed. */
double alc_parse_timestamp(const char *iso);

/* 0 = Monday ... 6 = Sunday. */
int alc_weekday(alc_day d);

#endif
