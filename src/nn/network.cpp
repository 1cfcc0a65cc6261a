#include "dcl/nn/network.h"

#include "dcl/nn/arch.h"
#include "dcl/nn/conv_block.h"

#include <stdexcept>

namespace dcl {
namespace nn = torch::nn;

std::string InputShape::str() const {
  return std::to_string(channels) + "x" + std::to_string(height) + "x" + std::to_string(width);
}

nn::Sequential conv_block(int in, int out, int kernel, int stride, bool pool, double dropout, double negative_slope) {
  nn::Sequential s;
  s->push_back(ConvBlock(ConvBlockOptions{in, out, kernel, stride, pool, negative_slope}));
  if (dropout > 0) s->push_back(nn::Dropout2d(dropout));
  return s;
}

double negative_slope(const NetworkOptions& options) {
  return options.activation == "leaky_relu" ? kLeakyReluSlope : 0.0;
}

NetworkImpl::NetworkImpl(const NetworkOptions& o) : options(o) {
  const InputShape& in = o.input;
  const ArchInfo& arch = arch_info(o.arch);
  if (in.channels <= 0 || in.height <= 0 || in.width <= 0 || o.classes < 2)
    throw std::invalid_argument("network: impossible input " + in.str() + " with " + std::to_string(o.classes) +
                                " classes");
  arch.build(*this, o);
  for (size_t i = 0; i < blocks.size(); ++i) register_module("block" + std::to_string(i), blocks[i]);
  register_module("head", head);

  // Catch shapes that collapse (e.g. a too-small image) now, with a message, not mid-training.
  torch::NoGradGuard no_grad;
  bool was_training = is_training();
  eval();
  try {
    torch::Tensor h = torch::zeros({1, in.channels, in.height, in.width});
    for (auto& b : blocks) {
      h = b->forward(h);
      output_sizes.push_back(h.sizes().slice(1).vec());
    }
    head->forward(h);
  } catch (const c10::Error& e) {
    throw std::invalid_argument("arch " + o.arch + " does not fit input " + in.str() + ": " +
                                e.what_without_backtrace());
  }
  train(was_training);
}

torch::Tensor NetworkImpl::forward(torch::Tensor x) {
  for (auto& b : blocks) x = b->forward(x);
  return head->forward(x);
}

std::vector<int64_t> NetworkImpl::block_output_sizes() const {
  std::vector<int64_t> sizes;
  for (const auto& dims : output_sizes) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    sizes.push_back(n);
  }
  return sizes;
}

int64_t NetworkImpl::parameter_count() {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

}  // namespace dcl
