#pragma once
// The compute device of a run: parsing, host-to-device batch copies, synchronisation for timing,
// and the pieces only CUDA has (the caching allocator's statistics), which are compiled only in a
// build against a CUDA LibTorch (cuda_device.cpp; no_cuda_device.cpp elsewhere).
#include <cstdint>
#include <string>

#include <torch/torch.h>

namespace dcl {

// "cpu", "cuda" or "cuda:N"; throws std::invalid_argument when this build or machine lacks it.
torch::Device parse_device(const std::string& name);
// A batch on `device`. On CUDA it is copied from pinned host memory without blocking, so the copy
// overlaps the previous step's kernels. Called by the training thread only: the prefetch thread
// never touches CUDA state.
torch::Tensor to_device(const torch::Tensor& host, const torch::Device& device);
// Waits until the device has run everything queued (CUDA kernels are asynchronous); CPU: nothing.
void synchronize(const torch::Device& device);
// cuDNN's autotuner: picks the fastest convolution algorithm per shape on first use (CUDA only).
void set_cudnn_benchmark(bool on);

// Built against a CUDA LibTorch (cuda_device.cpp compiled in).
bool built_with_cuda();
// The CUDA caching allocator's bytes held by tensors on GPU `index`: now, and the peak since the
// last reset. Throws std::logic_error in a build without CUDA.
int64_t cuda_allocated_bytes(int index);
int64_t cuda_peak_allocated_bytes(int index);
void cuda_reset_peak(int index);

}  // namespace dcl
