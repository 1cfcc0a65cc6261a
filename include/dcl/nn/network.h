#pragma once
// The networks of spec section 2 as chains of blocks (plain modules that only compute) plus a
// classifier head, built by the architecture registry (nn/arch.h). Blocks know nothing about
// losses, methods or datasets.
#include <string>
#include <vector>

#include <torch/torch.h>

#include "dcl/nn/residual.h"

namespace dcl {

// How a block's output is viewed as K local vectors of `channels` dims (spec section 1):
// conv output [N, C, H, W] -> K = H*W vectors; fc output [N, P*C] -> P patches of C dims.
struct BlockShape {
  int channels = 0;
  int patches = 0;  // fc blocks: P; conv blocks: 0 (K = H*W)
};

struct InputShape {
  int channels = 1, height = 28, width = 28;
  std::string str() const;
};

struct NetworkOptions {
  std::string arch = "fc";  // a name of the architecture registry (nn/arch.h)
  InputShape input;
  int classes = 10;
  double dropout = 0;
  int fc_width = 0;    // 0: the dataset's (1024 for 1x28x28 inputs, 3072 otherwise; spec section 2)
  int fc_patches = 0;  // 0: the dataset's (8 for one-channel inputs, 48 otherwise)
  // fc: a ReLU after the classifier, as in the authors' code (their last layer is an FCBlock,
  // model/modules.py), so the logits are never negative.
  bool fc_head_relu = false;
  // The blocks' non-linearity: "relu"; "tanh" (fc only: DRTP's authors train tanh networks);
  // "leaky_relu" (fc, simple*, vgg8b: slope kLeakyReluSlope, as anokland/local-loss's sim and predsim
  // runs).
  std::string activation = "relu";
  // Networks built of residual units (nn/residual.h): how many local modules (blocks) the units are
  // split into; 0: the architecture's default (ArchInfo::default_local_modules).
  int local_modules = 0;
};

class NetworkImpl : public torch::nn::Module {
 public:
  explicit NetworkImpl(const NetworkOptions& options);

  torch::Tensor forward(torch::Tensor x);  // the whole chain and the head

  std::vector<torch::nn::Sequential> blocks;
  std::vector<BlockShape> shapes;  // one per block
  // Each block's output size for one sample ([C, H, W] or [F]): auxiliary heads are sized from it.
  std::vector<std::vector<int64_t>> output_sizes;
  torch::nn::Sequential head{nullptr};
  NetworkOptions options;
  // Networks built of residual units: every unit in order, and the index of each block's last
  // unit (AugLocal builds a block's auxiliary network from the units after it). Empty otherwise.
  std::vector<UnitSpec> units;
  std::vector<int> block_last_unit;

  int64_t parameter_count();
  // Per-sample number of output values of every block (the product of output_sizes): what
  // fixed-size per-block state (feedback matrices, flattened predictors) is built for.
  std::vector<int64_t> block_output_sizes() const;
};
TORCH_MODULE(Network);

// conv k x k + BatchNorm + ReLU [+ 2x2 maxpool] [+ dropout], as the reference ConvBlock (pool, then
// dropout): the block of every conv architecture.
// `negative_slope` > 0: LeakyReLU instead of ReLU.
torch::nn::Sequential conv_block(int in, int out, int kernel, int stride, bool pool, double dropout,
                                 double negative_slope = 0);

// LeakyReLU's slope below zero: anokland/local-loss train.py (`nn.LeakyReLU(0.01)` with --nonlin leakyrelu).
constexpr double kLeakyReluSlope = 0.01;
// The slope below zero of the options' activation (0 for relu).
double negative_slope(const NetworkOptions& options);

}  // namespace dcl
