#ifndef RNNKIT_COPENBLAS_SHIM_H
#define RNNKIT_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
