/* libFuzzer target: the CSV market import of one ticker file
 * (alc_series_parse_csv, the function behind `alchemiser data import` and
 * CSV market folders).  Every input must give either a valid series
 * (strictly increasing dates, finite positive prices, finite volume >= 0)
 * or ALC_ERR_DATA/ALC_ERR_LIMIT with a message naming the file. */
#include <math.h>
#include <string.h>

#include "alchemiser/market.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    alc_series s;
    alc_error err;
    alc_error_clear(&err);
    alc_status st = alc_series_parse_csv("FUZZ.csv", "FUZZ", (const char *)data, size, &s, &err);
    if (st != ALC_OK) {
        FUZZ_ASSERT(st == ALC_ERR_DATA || st == ALC_ERR_LIMIT, "unexpected status %d: %s", (int)st,
                    err.msg);
        FUZZ_ASSERT(err.code == st && err.msg[0] && strcmp(err.file, "FUZZ.csv") == 0,
                    "error without file or message");
        FUZZ_ASSERT(s.day == NULL && s.close == NULL, "failed parse left arrays allocated");
        return 0;
    }
    FUZZ_ASSERT(s.n >= 1 && strcmp(s.ticker, "FUZZ") == 0, "empty series accepted");
    for (int i = 0; i < s.n; i++) {
        FUZZ_ASSERT(i == 0 || s.day[i] > s.day[i - 1], "dates not increasing at %d", i);
        const double v[4] = {s.open[i], s.high[i], s.low[i], s.close[i]};
        for (int k = 0; k < 4; k++)
            FUZZ_ASSERT(isfinite(v[k]) && v[k] > 0, "bad price at %d", i);
        FUZZ_ASSERT(isfinite(s.volume[i]) && s.volume[i] >= 0, "bad volume at %d", i);
    }
    alc_series_free(&s);
    return 0;
}
