#include "dcl/nn/network.h"

#include "dcl/nn/conv_block.h"

#include <stdexcept>

namespace dcl {
namespace nn = torch::nn;

std::string InputShape::str() const {
  return std::to_string(channels) + "x" + std::to_string(height) + "x" + std::to_string(width);
}

template <>
const std::vector<std::string>& names_of<Arch>() {
  static const std::vector<std::string> names = {"fc", "simple256", "simple512", "vgg8b"};
  return names;
}

namespace {

// conv k x k + BatchNorm + ReLU [+ maxpool] [+ dropout], as the reference ConvBlock (pool, then
// dropout).
nn::Sequential conv_block(int in, int out, int kernel, int stride, bool pool, double dropout) {
  nn::Sequential s;
  s->push_back(ConvBlock(ConvBlockOptions{in, out, kernel, stride, pool}));
  if (dropout > 0) s->push_back(nn::Dropout2d(dropout));
  return s;
}

// [LayerNorm] + Linear + ReLU + dropout: the reference FCBlock with pre-norm.
nn::Sequential fc_block(int in, int out, bool prenorm, double dropout, bool flatten = false) {
  nn::Sequential s;
  if (flatten) s->push_back(nn::Flatten());
  if (prenorm) s->push_back(nn::LayerNorm(nn::LayerNormOptions({in})));
  s->push_back(nn::Linear(in, out));
  s->push_back(nn::ReLU(nn::ReLUOptions(true)));
  if (dropout > 0) s->push_back(nn::Dropout(dropout));
  return s;
}

}  // namespace

NetworkImpl::NetworkImpl(const NetworkOptions& o) : options(o) {
  const InputShape& in = o.input;
  const int classes = o.classes, fc_width = o.fc_width, fc_patches = o.fc_patches;
  const double dropout = o.dropout;
  const std::string arch = name_of(o.arch);
  if (in.channels <= 0 || in.height <= 0 || in.width <= 0 || classes < 2)
    throw std::invalid_argument("network: impossible input " + in.str() + " with " + std::to_string(classes) +
                                " classes");
  if (o.arch == Arch::Fc) {
    // Spec section 2: flatten; 3 linear layers of width W; LayerNorm before each but the first.
    int width = fc_width > 0 ? fc_width : (in.channels == 1 && in.height == 28 ? 1024 : 3072);
    int patches = fc_patches > 0 ? fc_patches : (in.channels == 1 ? 8 : 48);
    if (width % patches != 0)
      throw std::invalid_argument("fc: width " + std::to_string(width) + " is not divisible by patch count " +
                                  std::to_string(patches));
    blocks = {fc_block(in.channels * in.height * in.width, width, false, dropout, true),
              fc_block(width, width, true, dropout)};
    shapes = {{width / patches, patches}, {width / patches, patches}};
    head = nn::Sequential(nn::LayerNorm(nn::LayerNormOptions({width})), nn::Linear(width, classes));
    if (o.fc_head_relu) head->push_back(nn::ReLU());
  } else if (o.arch == Arch::Simple256 || o.arch == Arch::Simple512) {
    int top = o.arch == Arch::Simple256 ? 256 : 512;
    blocks = {conv_block(in.channels, 64, 3, 1, false, dropout), conv_block(64, 256, 3, 2, false, dropout)};
    shapes = {{64, 0}, {256, 0}};
    if (top == 512) {
      blocks.push_back(conv_block(256, 512, 3, 2, false, dropout));
      shapes.push_back({512, 0});
    }
    head = nn::Sequential(nn::AdaptiveAvgPool2d(1), nn::Flatten(), nn::Linear(top, classes));
  } else {
    // Nøkland & Eidnes' VGG8B; 7x7 stride-2 first conv for 96x96 inputs (STL-10).
    bool supported = in.height == in.width && (in.height == 28 || in.height == 32 || in.height == 96);
    if (!supported) throw std::invalid_argument("vgg8b needs 28x28, 32x32 or 96x96 inputs; got " + in.str());
    bool large = in.height == 96;
    blocks = {conv_block(in.channels, 128, large ? 7 : 3, large ? 2 : 1, false, dropout),
              conv_block(128, 256, 3, 1, true, dropout),
              conv_block(256, 256, 3, 1, false, dropout),
              conv_block(256, 512, 3, 1, true, dropout),
              conv_block(512, 512, 3, 1, true, dropout),
              conv_block(512, 512, 3, 1, true, dropout)};
    shapes = {{128, 0}, {256, 0}, {256, 0}, {512, 0}, {512, 0}, {512, 0}};
    int spatial = large ? in.height / 2 : in.height;
    for (int i = 0; i < 4; ++i) spatial /= 2;  // four 2x2 max-pools
    int flat = 512 * spatial * spatial;        // 2048 (32x32), 512 (28x28), 4608 (96x96)
    nn::Sequential fc;
    fc->push_back(nn::Flatten());
    fc->push_back(nn::Linear(flat, 1024));
    fc->push_back(nn::BatchNorm1d(1024));
    fc->push_back(nn::ReLU(nn::ReLUOptions(true)));
    if (dropout > 0) fc->push_back(nn::Dropout(dropout));
    blocks.push_back(fc);
    shapes.push_back({512, 2});  // dictionary loss on 2 patches of 512
    head = nn::Sequential(nn::Linear(1024, classes));
  }
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
    throw std::invalid_argument("arch " + arch + " does not fit input " + in.str() + ": " + e.what_without_backtrace());
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
