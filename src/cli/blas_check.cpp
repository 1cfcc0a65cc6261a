#include <cstdio>
#include <fstream>
#include <string>

#include "commands.h"

namespace dcl::cli {

void warn_if_reference_blas() {
  // Debian's LibTorch calls whatever libblas.so.3 the alternatives system selects; the reference
  // implementation is about ten times slower than OpenBLAS for the fc layers.
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto pos = line.find('/');
    if (pos == std::string::npos) continue;
    std::string path = line.substr(pos);
    if (path.find("libblas.so") == std::string::npos) continue;
    if (path.find("openblas") != std::string::npos || path.find("blis") != std::string::npos ||
        path.find("mkl") != std::string::npos)
      return;
    std::fprintf(stderr,
                 "dcl: warning: matrix products run on the reference BLAS (%s), about 10x slower than OpenBLAS.\n"
                 "     Install it with: sudo apt-get install libopenblas0-pthread (or run scripts/install-deps.sh)\n",
                 path.c_str());
    return;
  }
}

}  // namespace dcl::cli
