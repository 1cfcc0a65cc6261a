#include <cstdio>
#include <cstdlib>
#include <string>

#include "commands.h"
#include "dcl/runtime/blas_kernel.h"

namespace dcl::cli {

void warn_if_reference_blas() {  // and OpenBLAS on a kernel below the processor's
  // Debian's LibTorch calls whatever libblas.so.3 the alternatives system selects; the reference
  // implementation is about ten times slower than OpenBLAS for the fc layers.
  const BlasInfo blas = loaded_blas();
  const std::string& path = blas.library;
  if (path.empty()) return;
  if (path.find("openblas") != std::string::npos || path.find("blis") != std::string::npos ||
      path.find("mkl") != std::string::npos) {
    // dcl sets the kernel itself unless OPENBLAS_CORETYPE was given: a generic one is the user's.
    const std::string better = openblas_core_override(blas.core, cpu_features());
    if (!better.empty())
      std::fprintf(stderr,
                   "dcl: warning: OpenBLAS runs its generic %s kernel (OPENBLAS_CORETYPE=%s); this processor runs "
                   "the %s kernel, several times faster for the fc layers: unset OPENBLAS_CORETYPE or set it to %s\n",
                   blas.core.c_str(), std::getenv("OPENBLAS_CORETYPE") ? std::getenv("OPENBLAS_CORETYPE") : "",
                   better.c_str(), better.c_str());
    return;
  }
  std::fprintf(stderr,
               "dcl: warning: matrix products run on the reference BLAS (%s), about 10x slower than OpenBLAS.\n"
               "     Install it with: sudo apt-get install libopenblas0-pthread (or run scripts/install-deps.sh)\n",
               path.c_str());
}

}  // namespace dcl::cli
