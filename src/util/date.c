#include "alchemiser/date.h"

#include <stdio.h>
#include <string.h>

/* Howard Hinnant's days_from_civil / civil_from_days. */
alc_day alc_day_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153u * (unsigned)(m > 2 ? m - 3 : m + 9) + 2u) / 5u + (unsigned)d - 1u;
    const unsigned doe = yoe * 365u + yoe / 4u - yoe / 100u + doy;
    return (alc_day)(era * 146097 + (int)doe - 719468);
}

void alc_civil_from_day(alc_day z0, int *year, int *month, int *day)
{
    int z = (int)z0 + 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
    const int y = (int)yoe + era * 400;
    const unsigned doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);
    const unsigned mp = (5u * doy + 2u) / 153u;
    const unsigned d = doy - (153u * mp + 2u) / 5u + 1u;
    const unsigned m = mp < 10u ? mp + 3u : mp - 9u;
    *year = y + (m <= 2u);
    *month = (int)m;
    *day = (int)d;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

int alc_parse_date(const char *t, size_t len, alc_day *out)
{
    if (len != 10 || t[4] != '-' || t[7] != '-')
        return -1;
    int v[8];
    const int pos[8] = {0, 1, 2, 3, 5, 6, 8, 9};
    for (int i = 0; i < 8; i++) {
        char c = t[pos[i]];
        if (c < '0' || c > '9')
            return -1;
        v[i] = c - '0';
    }
    int y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
    int m = v[4] * 10 + v[5];
    int d = v[6] * 10 + v[7];
    if (y < 1800 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    *out = alc_day_from_civil(y, m, d);
    return 0;
}

void alc_format_date(alc_day d, char *buf)
{
    int y, m, dd;
    alc_civil_from_day(d, &y, &m, &dd);
    unsigned yy = (unsigned)(y < 0 ? 0 : y) % 10000u;
    buf[0] = (char)('0' + yy / 1000u);
    buf[1] = (char)('0' + yy / 100u % 10u);
    buf[2] = (char)('0' + yy / 10u % 10u);
    buf[3] = (char)('0' + yy % 10u);
    buf[4] = '-';
    buf[5] = (char)('0' + m / 10);
    buf[6] = (char)('0' + m % 10);
    buf[7] = '-';
    buf[8] = (char)('0' + dd / 10);
    buf[9] = (char)('0' + dd % 10);
    buf[10] = '\0';
}

int alc_weekday(alc_day d)
{
    /* 1970-01-01 was a Thursday (3 with Monday = 0). */
    int w = ((int)d + 3) % 7;
    return w < 0 ? w + 7 : w;
}

double alc_parse_timestamp(const char *iso)
{
    int y, mo, d, h, mi, s, n = 0;
    if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 || n != 19)
        return -1;
    alc_day day;
    if (alc_parse_date(iso, 10, &day) != 0 || h > 23 || mi > 59 || s > 60)
        return -1;
    /* the fraction as digits / 10^k: ".500" is exactly 500 / 1000.0 */
    double num = 0.0, den = 1.0;
    const char *p = iso + 19;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            if (den < 1e15) {
                num = num * 10 + (*p - '0');
                den *= 10;
            }
    if (strcmp(p, "Z") != 0)
        return -1;
    return (double)day * 86400.0 + h * 3600.0 + mi * 60.0 + s + num / den;
}
