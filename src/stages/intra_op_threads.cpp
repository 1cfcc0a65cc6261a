#include "dcl/stages/intra_op_threads.h"

#include <dlfcn.h>

#include <torch/torch.h>

namespace dcl {

void set_intra_op_threads(int threads) {
  torch::set_num_threads(threads);
  // Looked up at run time: the BLAS behind libblas.so.3 may be another (reference BLAS has no
  // threads to set, and then there is nothing to do).
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(threads);
}

}  // namespace dcl
