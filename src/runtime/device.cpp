#include "dcl/runtime/device.h"

#include <stdexcept>

namespace dcl {

torch::Device parse_device(const std::string& name) {
  torch::Device d(name);
  if (d.is_cuda() && !built_with_cuda())
    throw std::invalid_argument("--device " + name +
                                ": this dcl was built against a LibTorch without CUDA (build with TORCH=pypi "
                                "scripts/build.sh, or against another CUDA LibTorch)");
  if (d.is_cuda() && !torch::cuda::is_available())
    throw std::invalid_argument("--device " + name + ": no CUDA device is visible on this machine");
  if (d.is_cuda() && d.has_index() && int64_t(d.index()) >= int64_t(torch::cuda::device_count()))
    throw std::invalid_argument("--device " + name + ": this machine has " +
                                std::to_string(torch::cuda::device_count()) + " CUDA device(s)");
  return d;
}

torch::Tensor to_device(const torch::Tensor& host, const torch::Device& device) {
  if (!device.is_cuda()) return host.to(device);
  return host.pin_memory().to(device, /*non_blocking=*/true);
}

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.has_index() ? device.index() : -1);
}

void set_cudnn_benchmark(bool on) { at::globalContext().setBenchmarkCuDNN(on); }

}  // namespace dcl
