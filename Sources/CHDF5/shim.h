#ifndef RNNKIT_CHDF5_SHIM_H
#define RNNKIT_CHDF5_SHIM_H
// libhdf5 exposes its native types and several constants as macros that
// expand to global ids initialised at library start; Swift cannot import
// them, so they are wrapped in static inline functions here.
#include <hdf5.h>

static inline hid_t rk_H5T_NATIVE_FLOAT(void)  { return H5T_NATIVE_FLOAT; }
static inline hid_t rk_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t rk_H5T_NATIVE_INT8(void)   { return H5T_NATIVE_INT8; }
static inline hid_t rk_H5T_NATIVE_UINT8(void)  { return H5T_NATIVE_UINT8; }
static inline hid_t rk_H5T_NATIVE_INT16(void)  { return H5T_NATIVE_INT16; }
static inline hid_t rk_H5T_NATIVE_INT32(void)  { return H5T_NATIVE_INT32; }
static inline hid_t rk_H5T_NATIVE_INT64(void)  { return H5T_NATIVE_INT64; }
static inline hid_t rk_H5T_IEEE_F32LE(void)    { return H5T_IEEE_F32LE; }
static inline hid_t rk_H5T_IEEE_F64LE(void)    { return H5T_IEEE_F64LE; }
static inline hid_t rk_H5T_STD_I8LE(void)      { return H5T_STD_I8LE; }
static inline hid_t rk_H5T_STD_I16LE(void)     { return H5T_STD_I16LE; }
static inline hid_t rk_H5T_STD_I32LE(void)     { return H5T_STD_I32LE; }
static inline hid_t rk_H5T_STD_I64LE(void)     { return H5T_STD_I64LE; }
static inline hid_t rk_H5T_STD_U8LE(void)      { return H5T_STD_U8LE; }
static inline hid_t rk_H5T_C_S1(void)          { return H5T_C_S1; }
static inline size_t rk_H5T_VARIABLE(void)     { return H5T_VARIABLE; }
static inline hid_t rk_H5P_DEFAULT(void)       { return H5P_DEFAULT; }
static inline hid_t rk_H5P_DATASET_CREATE(void){ return H5P_DATASET_CREATE; }
static inline hid_t rk_H5P_FILE_ACCESS(void)   { return H5P_FILE_ACCESS; }
static inline hid_t rk_H5P_LINK_CREATE(void)   { return H5P_LINK_CREATE; }
static inline hid_t rk_H5S_ALL(void)           { return H5S_ALL; }
static inline hid_t rk_H5E_DEFAULT(void)       { return H5E_DEFAULT; }
static inline unsigned rk_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned rk_H5F_ACC_TRUNC(void)  { return H5F_ACC_TRUNC; }
static inline unsigned rk_H5F_ACC_EXCL(void)   { return H5F_ACC_EXCL; }
static inline unsigned rk_H5O_INFO_BASIC(void) { return H5O_INFO_BASIC; }

#endif
