// oneDNN (libdnnl-dev): rnnkit uses its row-major sgemm, which picks its
// kernels (AVX2, AVX-512, ...) from the instruction sets the CPU reports.
// Debian's libdnnl runs on OpenMP (libgomp); rnnkit parallelises itself and
// calls it with one OpenMP thread per calling thread, so the two OpenMP
// entry points it needs are declared here (clang's include path may lack omp.h).
#include <oneapi/dnnl/dnnl.h>

int omp_get_max_threads(void);
void omp_set_num_threads(int threads);
