#pragma once
// The number of threads of OpenBLAS, which typegrad and, through libblas.so.3, dlib and libtorch all
// use: one library instance per process, so one setting for all of them.
#include <cstddef>

namespace bench {

void set_blas_threads(std::size_t threads);

}  // namespace bench
