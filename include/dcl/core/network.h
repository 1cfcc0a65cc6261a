#pragma once
// The networks of spec section 2 as chains of blocks (plain modules that only compute) plus a
// classifier head. Blocks know nothing about losses.
#include <string>
#include <vector>

#include <torch/torch.h>

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

class NetworkImpl : public torch::nn::Module {
 public:
  NetworkImpl(const std::string& arch, const InputShape& input, int classes, double dropout,
              int fc_width = 0, int fc_patches = 0);

  torch::Tensor forward(torch::Tensor x);  // the whole chain and the head

  std::vector<torch::nn::Sequential> blocks;
  std::vector<BlockShape> shapes;  // one per block
  InputShape input;  // what the network was built for
  // Each block's output size for one sample ([C, H, W] or [F]): auxiliary heads are sized from it.
  std::vector<std::vector<int64_t>> output_sizes;
  torch::nn::Sequential head{nullptr};
  std::string arch;

  int64_t parameter_count();
  // Per-sample number of output values of every block (the product of output_sizes): what
  // fixed-size per-block state (feedback matrices, flattened predictors) is built for.
  std::vector<int64_t> block_output_sizes() const;
};
TORCH_MODULE(Network);

// Spec default patch count P for the fc network on a dataset.
int default_fc_patches(const std::string& data, const InputShape& input);

}  // namespace dcl
