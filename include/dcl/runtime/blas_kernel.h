#pragma once
// Which kernel the BLAS behind LibTorch's matrix products runs, and the best one the processor
// allows. Debian's OpenBLAS picks its kernel from a table of processor models; on a processor newer
// than the table it falls back to the most generic one (Prescott: SSE3), 3-4x slower for the fc
// layers than the AVX-512 kernel the processor can run. OpenBLAS reads OPENBLAS_CORETYPE when it
// loads, so `dcl` chooses the kernel from the processor's instruction sets (cpuid) and restarts
// itself with it set (cli/main.cpp); a user's own OPENBLAS_CORETYPE wins.
#include <string>

#include "dcl/util/cpu_features.h"

namespace dcl {

// The OpenBLAS core type (OPENBLAS_CORETYPE) of the newest x86-64 kernel family `f` can run:
// Cooperlake (AVX-512 with BF16), SkylakeX (AVX-512 F/BW/DQ/VL), Haswell (AVX2 + FMA),
// Sandybridge (AVX), Prescott (SSE3); "" when none applies.
std::string best_openblas_core(const CpuFeatures& f);

// How capable an OpenBLAS core type's kernels are (0 = generic SSE kernels ... 6 = Cooperlake);
// -1 for a name this table does not know (an AMD core, say), which is never overridden.
int openblas_core_rank(const std::string& core);

// The core type to force instead of `current` (OpenBLAS's own choice) on a processor with `f`:
// the best one, when it ranks above `current`; "" to keep OpenBLAS's choice.
std::string openblas_core_override(const std::string& current, const CpuFeatures& f);

// The BLAS loaded in this process: the library file behind libblas.so.3 and, for OpenBLAS, its
// core type (openblas_get_corename); "" where unknown.
struct BlasInfo {
  std::string library;
  std::string core;
  std::string describe() const;  // "OpenBLAS (core SkylakeX), /usr/lib/.../libblas.so.3"
};
BlasInfo loaded_blas();

}  // namespace dcl
