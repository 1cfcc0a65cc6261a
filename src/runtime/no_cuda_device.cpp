// device.h's CUDA-only part in a build without CUDA: parse_device refuses "cuda" before any of
// these could be reached.
#include <stdexcept>

#include "dcl/runtime/device.h"

namespace dcl {

namespace {

[[noreturn]] void no_cuda() { throw std::logic_error("this dcl was built without CUDA"); }

}  // namespace

bool built_with_cuda() { return false; }
int64_t cuda_allocated_bytes(int) { no_cuda(); }
int64_t cuda_peak_allocated_bytes(int) { no_cuda(); }
void cuda_reset_peak(int) { no_cuda(); }

}  // namespace dcl
