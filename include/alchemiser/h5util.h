/* Small helpers for HDF5 files that h5dump, h5py and pandas read directly:
 * variable-length UTF-8 strings, scalar attributes, 1-D compound tables.
 *
 * Writing: every writer returns 0 on success and -1 on an HDF5 failure (the
 * caller reports it with the file name).
 *
 * Reading (the session snapshot readers src/session/snapshot_read.c and
 * src/analysis/session_reader.c): alc_h5_open_read() switches HDF5's own
 * error printing off, so a missing attribute or table is a value, not noise
 * on stderr; the callers report failures with the file name.  Values come
 * back as plain C values; every string they return is malloc'd and owned by
 * the caller (free(), or alc_h5_free_strs() for a column).
 *
 * Every handle the helpers open is closed before they return, except the
 * file of alc_h5_open_read() and the dataset of alc_h5_table_open(), which
 * the caller closes (H5Fclose, alc_h5_table_close). */
#ifndef ALCHEMISER_H5UTIL_H
#define ALCHEMISER_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>

/* A new variable-length UTF-8 string type; the caller closes it. */
hid_t alc_h5_string_type(void);

/* ---- writing ---- */

/* Scalar attributes, created or overwritten.  alc_h5_attr_write writes
 * one value of any type (`value` points to it; an existing attribute keeps
 * its type, HDF5 converting on write). */
int alc_h5_attr_write(hid_t obj, const char *name, hid_t type, const void *value);
int alc_h5_attr_str(hid_t obj, const char *name, const char *value);
int alc_h5_attr_i64(hid_t obj, const char *name, long long value);
int alc_h5_attr_f64(hid_t obj, const char *name, double value);

/* A 1-D dataset `name` under `loc` holding `n` elements of `type` from
 * `data` (for compound types: an array of the matching C structs).  An
 * empty table (n = 0) is written too, so readers always find it. */
int alc_h5_write_table(hid_t loc, const char *name, hid_t type, size_t n, const void *data);

/* ---- reading ---- */

/* Status of the reading helpers that can fail in more than one way. */
enum {
    ALC_H5_OK = 0,
    ALC_H5_ABSENT = -1, /* no such object, or not of the kind asked for */
    ALC_H5_EREAD = -2,  /* HDF5 failed reading it */
    ALC_H5_ENOMEM = -3  /* out of memory */
};

/* Opens `path` read-only after switching HDF5's error printing off.
 * `no_lock`: without HDF5's file lock (available from HDF5 1.10.7), so that
 * a file another process holds open for writing can be read.  Returns the
 * file (the caller closes it with H5Fclose), or -1 with *not_hdf5 set to 1
 * when the file is not an HDF5 file (0 when HDF5 could not open it). */
hid_t alc_h5_open_read(const char *path, int no_lock, int *not_hdf5);

/* 1 when every component of the path "a/b/c" exists under `loc`, else 0. */
int alc_h5_exists(hid_t loc, const char *path);

/* A string attribute (variable or fixed length) as a malloc'd copy; NULL
 * when it is absent, not a string, unreadable, or there is no memory. */
char *alc_h5_read_attr_str(hid_t obj, const char *name);

/* A numeric attribute converted to long long / double; `dflt` when it is
 * absent, not a number or unreadable. */
long long alc_h5_read_attr_i64(hid_t obj, const char *name, long long dflt);
double alc_h5_read_attr_f64(hid_t obj, const char *name, double dflt);

/* A 1-D compound dataset, read one column (field) at a time. */
typedef struct alc_h5_table {
    hid_t ds; /* -1 when not open */
    size_t n; /* rows */
} alc_h5_table;

/* Opens the table at path `name` under `loc`.  Returns ALC_H5_OK,
 * ALC_H5_ABSENT (no such dataset) or ALC_H5_EREAD (it exists but is not a
 * 1-D compound table, or HDF5 cannot open it); on failure t->ds is -1. */
int alc_h5_table_open(hid_t loc, const char *name, alc_h5_table *t);
void alc_h5_table_close(alc_h5_table *t);

/* 1 when the table has a field `field` (of any type). */
int alc_h5_has_column(const alc_h5_table *t, const char *field);

/* Numeric column `field` of every row into out[t->n], converted.
 * ALC_H5_ABSENT when there is no numeric field of that name. */
int alc_h5_col_f64(const alc_h5_table *t, const char *field, double *out);
int alc_h5_col_i64(const alc_h5_table *t, const char *field, long long *out);

/* String column `field`: *out = a malloc'd array of t->n malloc'd strings
 * ("" for an empty value), never NULL on success, even for 0 rows; free it
 * with alc_h5_free_strs(*out, t->n).  On failure *out is NULL.
 * ALC_H5_ABSENT when there is no string field of that name. */
int alc_h5_col_str(const alc_h5_table *t, const char *field, char ***out);

/* Frees an array of n malloc'd strings and the array (NULL is fine). */
void alc_h5_free_strs(char **v, size_t n);

#endif
