// The CUDA-only part of device.h: compiled only against a CUDA LibTorch (see CMakeLists.txt).
#include <c10/cuda/CUDACachingAllocator.h>

#include <utility>

#include "dcl/runtime/device.h"

namespace dcl {

namespace {

// The caching allocator's bytes handed out to tensors: (current, peak). Index 0 of the statistic
// arrays is the aggregate over pools (StatType::AGGREGATE, whose namespace differs between versions).
std::pair<int64_t, int64_t> allocated(int index) {
  auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(c10::DeviceIndex(index));
  return {stats.allocated_bytes[0].current, stats.allocated_bytes[0].peak};
}

}  // namespace

bool built_with_cuda() { return true; }
int64_t cuda_allocated_bytes(int index) { return allocated(index).first; }
int64_t cuda_peak_allocated_bytes(int index) { return allocated(index).second; }
void cuda_reset_peak(int index) { c10::cuda::CUDACachingAllocator::resetPeakStats(c10::DeviceIndex(index)); }

}  // namespace dcl
