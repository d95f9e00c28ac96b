#include "alchemiser/h5util.h"

#include <stdlib.h>
#include <string.h>

hid_t alc_h5_string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return -1;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

int alc_h5_attr_write(hid_t obj, const char *name, hid_t type, const void *value)
{
    hid_t a;
    htri_t exists = H5Aexists(obj, name);
    if (exists < 0)
        return -1;
    if (exists > 0) {
        a = H5Aopen(obj, name, H5P_DEFAULT);
    } else {
        hid_t sp = H5Screate(H5S_SCALAR);
        if (sp < 0)
            return -1;
        a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
        H5Sclose(sp);
    }
    if (a < 0)
        return -1;
    herr_t rc = H5Awrite(a, type, value);
    H5Aclose(a);
    return rc < 0 ? -1 : 0;
}

int alc_h5_attr_str(hid_t obj, const char *name, const char *value)
{
    hid_t t = alc_h5_string_type();
    if (t < 0)
        return -1;
    const char *p = value ? value : "";
    int rc = alc_h5_attr_write(obj, name, t, &p);
    H5Tclose(t);
    return rc;
}

int alc_h5_attr_i64(hid_t obj, const char *name, long long value)
{
    long long v = value;
    return alc_h5_attr_write(obj, name, H5T_NATIVE_LLONG, &v);
}

int alc_h5_attr_f64(hid_t obj, const char *name, double value)
{
    return alc_h5_attr_write(obj, name, H5T_NATIVE_DOUBLE, &value);
}

int alc_h5_write_table(hid_t loc, const char *name, hid_t type, size_t n, const void *data)
{
    hsize_t dims[1] = {(hsize_t)n};
    hid_t sp = H5Screate_simple(1, dims, NULL);
    if (sp < 0)
        return -1;
    hid_t ds = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = -1;
    if (ds >= 0) {
        rc = (n == 0 || H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0) ? 0 : -1;
        H5Dclose(ds);
    }
    H5Sclose(sp);
    return rc;
}

/* ---- reading ---- */

hid_t alc_h5_open_read(const char *path, int no_lock, int *not_hdf5)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* the callers report errors, with the path */
    *not_hdf5 = 0;
    if (H5Fis_hdf5(path) <= 0) {
        *not_hdf5 = 1;
        return -1;
    }
    hid_t fapl = H5P_DEFAULT;
    if (no_lock) {
        fapl = H5Pcreate(H5P_FILE_ACCESS);
#if H5_VERSION_GE(1, 10, 7)
        if (fapl >= 0)
            H5Pset_file_locking(fapl, 0, 1);
#endif
    }
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, fapl >= 0 ? fapl : H5P_DEFAULT);
    if (no_lock && fapl >= 0)
        H5Pclose(fapl);
    return file < 0 ? -1 : file;
}

int alc_h5_exists(hid_t loc, const char *path)
{
    char buf[512];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return 0;
    for (size_t i = 0; i <= n; i++) {
        if (path[i] == '/' || path[i] == '\0') {
            memcpy(buf, path, i);
            buf[i] = '\0';
            if (i > 0 && H5Lexists(loc, buf, H5P_DEFAULT) <= 0)
                return 0;
        }
    }
    return 1;
}

static char *copy_str(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *alc_h5_read_attr_str(hid_t obj, const char *name)
{
    if (H5Aexists(obj, name) <= 0)
        return NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return NULL;
    hid_t t = H5Aget_type(a);
    char *out = NULL;
    if (t >= 0 && H5Tget_class(t) == H5T_STRING) {
        if (H5Tis_variable_str(t) > 0) {
            hid_t mem = alc_h5_string_type();
            char *v = NULL;
            if (mem >= 0 && H5Aread(a, mem, &v) >= 0 && v) {
                out = copy_str(v, strlen(v));
                H5free_memory(v);
            }
            if (mem >= 0)
                H5Tclose(mem);
        } else {
            size_t sz = H5Tget_size(t);
            char *buf = calloc(sz + 1, 1);
            if (buf && H5Aread(a, t, buf) >= 0)
                out = copy_str(buf, strnlen(buf, sz));
            free(buf);
        }
    }
    if (t >= 0)
        H5Tclose(t);
    H5Aclose(a);
    return out;
}

static int attr_num(hid_t obj, const char *name, hid_t mem, void *out)
{
    if (H5Aexists(obj, name) <= 0)
        return 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return 0;
    hid_t t = H5Aget_type(a);
    H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    int ok = (c == H5T_INTEGER || c == H5T_FLOAT) && H5Aread(a, mem, out) >= 0;
    if (t >= 0)
        H5Tclose(t);
    H5Aclose(a);
    return ok;
}

long long alc_h5_read_attr_i64(hid_t obj, const char *name, long long dflt)
{
    long long v;
    return attr_num(obj, name, H5T_NATIVE_LLONG, &v) ? v : dflt;
}

double alc_h5_read_attr_f64(hid_t obj, const char *name, double dflt)
{
    double v;
    return attr_num(obj, name, H5T_NATIVE_DOUBLE, &v) ? v : dflt;
}

int alc_h5_table_open(hid_t loc, const char *name, alc_h5_table *t)
{
    t->n = 0;
    t->ds = -1;
    if (!alc_h5_exists(loc, name))
        return ALC_H5_ABSENT;
    t->ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (t->ds < 0)
        return ALC_H5_EREAD;
    hid_t sp = H5Dget_space(t->ds);
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    if (sp >= 0)
        H5Sclose(sp);
    hid_t ft = H5Dget_type(t->ds);
    int compound = ft >= 0 && H5Tget_class(ft) == H5T_COMPOUND;
    if (ft >= 0)
        H5Tclose(ft);
    if (n < 0 || !compound) {
        alc_h5_table_close(t);
        return ALC_H5_EREAD;
    }
    t->n = (size_t)n;
    return ALC_H5_OK;
}

void alc_h5_table_close(alc_h5_table *t)
{
    if (t->ds >= 0)
        H5Dclose(t->ds);
    t->ds = -1;
}

/* Class of field `field` of the table, H5T_NO_CLASS when there is none. */
static H5T_class_t column_class(const alc_h5_table *t, const char *field)
{
    hid_t ft = H5Dget_type(t->ds);
    int idx = ft >= 0 ? H5Tget_member_index(ft, field) : -1;
    H5T_class_t cls = idx >= 0 ? H5Tget_member_class(ft, (unsigned)idx) : H5T_NO_CLASS;
    if (ft >= 0)
        H5Tclose(ft);
    return cls;
}

int alc_h5_has_column(const alc_h5_table *t, const char *field)
{
    return column_class(t, field) != H5T_NO_CLASS;
}

/* Reads field `field` of every row into buf, as a one-member compound of
 * `base` (esz bytes per row). */
static int read_field(const alc_h5_table *t, const char *field, hid_t base, size_t esz, void *buf)
{
    hid_t mem = H5Tcreate(H5T_COMPOUND, esz);
    int rc = mem >= 0 && H5Tinsert(mem, field, 0, base) >= 0 &&
                     H5Dread(t->ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0
                 ? ALC_H5_OK : ALC_H5_EREAD;
    if (mem >= 0)
        H5Tclose(mem);
    return rc;
}

static int read_numeric(const alc_h5_table *t, const char *field, hid_t base, size_t esz, void *out)
{
    H5T_class_t cls = column_class(t, field);
    if (cls != H5T_INTEGER && cls != H5T_FLOAT)
        return ALC_H5_ABSENT;
    if (t->n == 0)
        return ALC_H5_OK;
    return read_field(t, field, base, esz, out);
}

int alc_h5_col_f64(const alc_h5_table *t, const char *field, double *out)
{
    return read_numeric(t, field, H5T_NATIVE_DOUBLE, sizeof(double), out);
}

int alc_h5_col_i64(const alc_h5_table *t, const char *field, long long *out)
{
    return read_numeric(t, field, H5T_NATIVE_LLONG, sizeof(long long), out);
}

int alc_h5_col_str(const alc_h5_table *t, const char *field, char ***out)
{
    *out = NULL;
    if (column_class(t, field) != H5T_STRING)
        return ALC_H5_ABSENT;
    size_t n = t->n ? t->n : 1;
    char **v = calloc(n, sizeof *v), **res = calloc(n, sizeof *res);
    hid_t str = alc_h5_string_type();
    hid_t mem = H5Tcreate(H5T_COMPOUND, sizeof(char *));
    int rc = v && res ? ALC_H5_OK : ALC_H5_ENOMEM;
    if (rc == ALC_H5_OK && (str < 0 || mem < 0 || H5Tinsert(mem, field, 0, str) < 0))
        rc = ALC_H5_EREAD;
    if (rc == ALC_H5_OK && t->n > 0) {
        if (H5Dread(t->ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
            rc = ALC_H5_EREAD;
        for (size_t i = 0; rc == ALC_H5_OK && i < t->n; i++)
            if (!(res[i] = copy_str(v[i] ? v[i] : "", v[i] ? strlen(v[i]) : 0)))
                rc = ALC_H5_ENOMEM;
        hid_t sp = H5Dget_space(t->ds); /* the strings HDF5 allocated */
        if (sp >= 0) {
            H5Dvlen_reclaim(mem, sp, H5P_DEFAULT, v);
            H5Sclose(sp);
        }
    }
    if (mem >= 0)
        H5Tclose(mem);
    if (str >= 0)
        H5Tclose(str);
    free(v);
    if (rc != ALC_H5_OK) {
        alc_h5_free_strs(res, t->n);
        return rc;
    }
    *out = res;
    return ALC_H5_OK;
}

void alc_h5_free_strs(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}
