#include "blas_threads.hpp"

#include <cblas.h>

namespace bench {

void set_blas_threads(std::size_t threads) { openblas_set_num_threads(int(threads)); }

}  // namespace bench
