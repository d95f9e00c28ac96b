#include "alchemiser/json.h"

#include <math.h>

void alc_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

void alc_json_number(FILE *out, double x)
{
    if (!isfinite(x))
        fputs("null", out);
    else
        fprintf(out, "%.17g", x);
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
