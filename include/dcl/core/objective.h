#pragma once
// Local objectives: turn one block's output plus labels into a scalar loss. An objective owns
// whatever extra state its method needs (dictionary, auxiliary heads, feedback matrices).
#include <vector>

#include <torch/torch.h>

#include "dcl/core/network.h"

namespace dcl {

class LocalObjective : public torch::nn::Module {
 public:
  // Loss of block `block` whose output is `h`, for integer labels `y`.
  virtual torch::Tensor loss(int block, const torch::Tensor& h, const torch::Tensor& y) = 0;
  // Layer-wise class scores [N, Z] at `block`, or an undefined tensor when the method has none.
  virtual torch::Tensor scores(int block, const torch::Tensor& h) { return {}; }
  // Parameters that every block's optimiser updates as well (DCL's adaptive dictionary).
  virtual std::vector<torch::Tensor> shared_parameters() { return {}; }
  // Auxiliary parameters that belong to block `block` only.
  virtual std::vector<torch::Tensor> block_parameters(int block) { return {}; }
  // The network's input for the step about to run, before any block's loss (InfoPro's decoder
  // reconstructs it). Most objectives ignore it.
  virtual void set_input(const torch::Tensor& x) {}
};

}  // namespace dcl
