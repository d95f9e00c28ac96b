#include "alchemiser/h5util.h"

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

static int attr_write(hid_t obj, const char *name, hid_t type, const void *value)
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
    int rc = attr_write(obj, name, t, &p);
    H5Tclose(t);
    return rc;
}

int alc_h5_attr_i64(hid_t obj, const char *name, long long value)
{
    long long v = value;
    return attr_write(obj, name, H5T_NATIVE_LLONG, &v);
}

int alc_h5_attr_f64(hid_t obj, const char *name, double value)
{
    return attr_write(obj, name, H5T_NATIVE_DOUBLE, &value);
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
