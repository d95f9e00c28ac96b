/* Timestamps and random ids for sessions and events. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "session/internal.h"

void alc_format_timestamp(double wall, char *buf, size_t size)
{
    time_t secs = (time_t)wall;
    int ms = (int)((wall - (double)secs) * 1000.0);
    if (ms < 0)
        ms = 0;
    if (ms > 999)
        ms = 999;
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

void alc_random_hex(char *buf, int n_bytes)
{
    unsigned char bytes[64];
    if (n_bytes > 64)
        n_bytes = 64;
    int ok = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ok = read(fd, bytes, (size_t)n_bytes) == (ssize_t)n_bytes;
        close(fd);
    }
    if (!ok) {
        /* splitmix64 over time and pid: unique enough when /dev/urandom is missing */
        static uint64_t state;
        state += (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull + (uint64_t)getpid() +
                 (uint64_t)(alc_now_mono() * 1e9);
        for (int i = 0; i < n_bytes; i++) {
            uint64_t z = (state += 0x9E3779B97F4A7C15ull);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            bytes[i] = (unsigned char)(z ^ (z >> 31));
        }
    }
    for (int i = 0; i < n_bytes; i++)
        snprintf(buf + 2 * i, 3, "%02x", bytes[i]);
    buf[2 * n_bytes] = '\0';
}
