#pragma once
// Direct Random Target Projection (Frenkel, Lefebvre & Bol 2021), spec section 5.
//
// Hidden block l receives, instead of a back-propagated error, the fixed random projection of the
// one-hot target y* as the gradient at its output h_l (shape [N, S_l], S_l = numel per sample):
//   ∂L/∂h_{l,n} := (1/N) B_l^T y*_n,   B_l in R^{Z x S_l} fixed (a buffer, never trained)
// The block's own autograd turns this into its parameter update (through ReLU/BN it multiplies by
// f'(·), the paper's δy_l = B_l^T y* ⊙ f'(a_l)). The 1/N matches the batch-mean convention of
// every other local loss. Equivalently block l descends the linear surrogate
//   L_l = (1/N) Σ_n <h_{l,n}, B_l^T y*_n>,
// which is what loss() returns (its value is logged; its gradient is exactly the projection).
// No error signal and no backward pass between blocks: h_{l-1} is detached.
// The classifier head (last layer) learns from its own error: cross-entropy on its detached input.
//
// B_l entries are i.i.d. U[-1/sqrt(Z), 1/sqrt(Z)] (fan-in Z: the one-hot target). Only the sign
// pattern and relative size matter to the direction; the optimisers (Adam/AdamW) normalise scale.
// B_l^T y*_n is row y_n of B_l, so the projection is a row gather, not a product.
#include <vector>

#include <torch/torch.h>

#include "dcl/core/learner.h"
#include "dcl/core/objective.h"

namespace dcl {

class DrtpObjective : public LocalObjective {
 public:
  // `output_sizes`: S_l per block (NetworkImpl::block_output_sizes()).
  DrtpObjective(int classes, const std::vector<int64_t>& output_sizes);

  // The surrogate gradient at block `block`'s output, shaped like `h`: (1/N) B_l^T y*.
  torch::Tensor target_projection(int block, const torch::Tensor& h, const torch::Tensor& y);
  // The linear surrogate L_l above.
  torch::Tensor loss(int block, const torch::Tensor& h, const torch::Tensor& y) override;

  std::vector<torch::Tensor> feedback;  // B_l: [Z, S_l], registered buffers
};

class DrtpLearner : public Learner {
 public:
  DrtpLearner(Network net, std::shared_ptr<DrtpObjective> objective, const RunConfig& cfg);
  StepResult train_step(const torch::Tensor& x, const torch::Tensor& y) override;

 private:
  std::shared_ptr<DrtpObjective> objective_;
};

}  // namespace dcl
