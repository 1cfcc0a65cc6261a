#pragma once
// The LibTorch APIs that differ between Debian's 1.13 and a current 2.x (PyPI's torch wheel), in
// one place; everything else in the project is written once for both.
#include <string>

#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

#define DCL_TORCH_2 (TORCH_VERSION_MAJOR >= 2)

// c10::Allocator (the CPU memory counter wraps it): allocate() is const in 1.x and not in 2.x, which
// also adds the pure virtual copy_data().
#if DCL_TORCH_2
#define DCL_ALLOCATE_CONST
#define DCL_OVERRIDE_IN_TORCH_2 override
#else
#define DCL_ALLOCATE_CONST const
#define DCL_OVERRIDE_IN_TORCH_2
#endif

namespace dcl::compat {

// The key of a parameter in Optimizer::state(): its TensorImpl's address printed as a string in
// 1.x, the TensorImpl pointer itself in 2.x.
#if DCL_TORCH_2
using OptimizerStateKey = void*;
inline OptimizerStateKey optimizer_state_key(const torch::Tensor& p) { return p.unsafeGetTensorImpl(); }
#else
using OptimizerStateKey = std::string;
inline OptimizerStateKey optimizer_state_key(const torch::Tensor& p) {
  return c10::guts::to_string(p.unsafeGetTensorImpl());
}
#endif

// Autocast (mixed precision) on/off with its lower-precision type, per device type: one call per
// device type in 2.x; in 1.13 separate functions for CPU and CUDA.
inline void set_autocast(c10::DeviceType type, bool enabled, at::ScalarType dtype) {
#if DCL_TORCH_2
  at::autocast::set_autocast_enabled(type, enabled);
  at::autocast::set_autocast_dtype(type, dtype);
#else
  if (type == c10::DeviceType::CUDA) {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
}

inline bool autocast_enabled(c10::DeviceType type) {
#if DCL_TORCH_2
  return at::autocast::is_autocast_enabled(type);
#else
  return type == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

}  // namespace dcl::compat
