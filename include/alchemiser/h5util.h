/* Small helpers for writing HDF5 files that h5dump, h5py and pandas read
 * directly: variable-length UTF-8 strings, scalar attributes, 1-D compound
 * tables.  All return 0 on success and -1 on an HDF5 failure (the caller
 * reports it with the file name); every handle they open is closed. */
#ifndef ALCHEMISER_H5UTIL_H
#define ALCHEMISER_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>

/* A new variable-length UTF-8 string type; the caller closes it. */
hid_t alc_h5_string_type(void);

/* Scalar attributes, created or overwritten. */
int alc_h5_attr_str(hid_t obj, const char *name, const char *value);
int alc_h5_attr_i64(hid_t obj, const char *name, long long value);
int alc_h5_attr_f64(hid_t obj, const char *name, double value);

/* A 1-D dataset `name` under `loc` holding `n` elements of `type` from
 * `data` (for compound types: an array of the matching C structs).  An
 * empty table (n = 0) is written too, so readers always find it. */
int alc_h5_write_table(hid_t loc, const char *name, hid_t type, size_t n, const void *data);

#endif
