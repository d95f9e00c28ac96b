#include "alchemiser/json.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

/* n (4 limbs, little-endian) *= f */
static void mul_small(uint64_t n[4], uint64_t f)
{
    u128 carry = 0;
    for (int i = 0; i < 4; i++) {
        u128 t = (u128)n[i] * f + carry;
        n[i] = (uint64_t)t;
        carry = t >> 64;
    }
}

/* The 17 significant digits of v (finite, 1e-30 <= v < 1e16) correctly
 * rounded (to even on a tie), as D in [1e16, 1e17) and the decimal
 * exponent k of the first digit; exact integer arithmetic on
 * v x 10^(16-k) = m x 2^e x 10^(16-k).  0 when v is outside that range. */
static int digits17(double v, uint64_t *d_out, int *k_out)
{
    if (!(v >= 1e-30 && v < 1e16))
        return 0;
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int be = (int)((bits >> 52) & 0x7ff);
    uint64_t m = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);
    int e = be - 1075; /* v = m x 2^e, -152 <= e <= 1 here */
    if (e > 1 || e < -160)
        return 0;
    int k = (int)floor(log10(v));
    for (int tries = 0; tries < 4; tries++) {
        int s = 16 - k; /* 1 .. 47 */
        if (s < 0 || s > 47)
            return 0;
        uint64_t n[4] = {m, 0, 0, 0};
        int left = s;
        while (left >= 19) {
            mul_small(n, UINT64_C(10000000000000000000));
            left -= 19;
        }
        uint64_t p = 1;
        while (left-- > 0)
            p *= 10;
        mul_small(n, p);
        uint64_t d;
        if (e >= 0) {
            /* exact: n x 2^e, nothing to round */
            if (n[3] || n[2] || n[1] || (e && n[0] >> (64 - e)))
                d = UINT64_MAX; /* too large: k is too small */
            else
                d = n[0] << e;
        } else {
            int q = -e, w = q / 64, b = q % 64;
            /* quotient: n >> q; must fit in 64 bits */
            uint64_t lo = w < 4 ? n[w] : 0, hi = w + 1 < 4 ? n[w + 1] : 0;
            d = b ? (lo >> b) | (hi << (64 - b)) : lo;
            int over = b ? (hi >> b) != 0 : hi != 0;
            for (int i = w + 2; i < 4; i++)
                over |= n[i] != 0;
            /* remainder against one half: bit q-1, then any bit below it */
            int hb = q - 1, hw = hb / 64, hbit = hb % 64;
            int half = (int)((n[hw] >> hbit) & 1);
            int below = (n[hw] & ((UINT64_C(1) << hbit) - 1)) != 0;
            for (int i = 0; i < hw; i++)
                below |= n[i] != 0;
            if (over)
                d = UINT64_MAX;
            /* k is decided on the truncated value; rounding comes after */
            if (d >= UINT64_C(10000000000000000) && d < UINT64_C(100000000000000000) && half &&
                (below || (d & 1)))
                d++;
        }
        if (d < UINT64_C(10000000000000000)) {
            k--;
            continue;
        }
        if (d > UINT64_C(100000000000000000)) {
            k++;
            continue;
        }
        if (d == UINT64_C(100000000000000000)) { /* 99999999999999999.5 and more: carry */
            d = UINT64_C(10000000000000000);
            k++;
        }
        *d_out = d;
        *k_out = k;
        return 1;
    }
    return 0;
}

int alc_format_g17(double x, char *buf)
{
    uint64_t d;
    int k;
    int neg = signbit(x) != 0;
    if (!isfinite(x) || !digits17(neg ? -x : x, &d, &k))
        return snprintf(buf, 32, "%.17g", x);
    char dig[17];
    for (int i = 16; i >= 0; i--) {
        dig[i] = (char)('0' + d % 10);
        d /= 10;
    }
    int nd = 17; /* significant digits left after dropping trailing zeros */
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    char *o = buf;
    if (neg)
        *o++ = '-';
    if (k < -4 || k >= 17) {
        *o++ = dig[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, dig + 1, (size_t)(nd - 1));
            o += nd - 1;
        }
        *o++ = 'e';
        *o++ = k < 0 ? '-' : '+';
        int a = k < 0 ? -k : k;
        if (a >= 100)
            *o++ = (char)('0' + a / 100);
        *o++ = (char)('0' + a / 10 % 10);
        *o++ = (char)('0' + a % 10);
    } else if (k >= 0) {
        memcpy(o, dig, (size_t)k + 1);
        o += k + 1;
        if (nd > k + 1) {
            *o++ = '.';
            memcpy(o, dig + k + 1, (size_t)(nd - k - 1));
            o += nd - k - 1;
        }
    } else {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -k - 1; i++)
            *o++ = '0';
        memcpy(o, dig, (size_t)nd);
        o += nd;
    }
    *o = '\0';
    return (int)(o - buf);
}

void alc_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    for (;;) {
        const unsigned char *run = p; /* a run of characters written as they are */
        while (*p >= 0x20 && *p != '"' && *p != '\\')
            p++;
        if (p > run)
            fwrite(run, 1, (size_t)(p - run), out);
        if (!*p)
            break;
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default: fprintf(out, "\\u%04x", *p);
        }
        p++;
    }
    fputc('"', out);
}

void alc_json_number(FILE *out, double x)
{
    if (!isfinite(x)) {
        fputs("null", out);
    } else {
        char b[32];
        int n = alc_format_g17(x, b);
        fwrite(b, 1, (size_t)n, out);
    }
}

static void member_key(FILE *out, const char *sep, const char *key)
{
    fputs(sep, out);
    alc_json_string(out, key);
    fputs(": ", out);
}

void alc_json_member_str(FILE *out, const char *sep, const char *key, const char *s)
{
    member_key(out, sep, key);
    alc_json_string(out, s);
}

void alc_json_member_num(FILE *out, const char *sep, const char *key, double x)
{
    member_key(out, sep, key);
    alc_json_number(out, x);
}

void alc_json_member_str_or_null(FILE *out, const char *sep, const char *key, const char *s)
{
    member_key(out, sep, key);
    if (s && s[0])
        alc_json_string(out, s);
    else
        fputs("null", out);
}

void alc_json_member_num_if(FILE *out, const char *sep, const char *key, int present, double x)
{
    member_key(out, sep, key);
    if (present)
        alc_json_number(out, x);
    else
        fputs("null", out);
}

void alc_json_member_int_if(FILE *out, const char *sep, const char *key, int present, long long x)
{
    member_key(out, sep, key);
    if (present)
        fprintf(out, "%lld", x);
    else
        fputs("null", out);
}
