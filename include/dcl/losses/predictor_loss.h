#pragma once
// Cascaded Forward's block loss (CaFo, Zhao et al. 2023; spec section 5): a linear predictor on
// the flattened block output, trained with cross-entropy (the paper's CE variant):
//   s = W flatten(h) + b,   W in R^{Z x S},   L = CE(s, y), batch mean
// (b = 0 and not learned when built without a bias, as the authors' block.py; W starts at ones
// with `ones`, as their train_gradient_descent, otherwise at LibTorch's default).
// The block itself stays frozen (its Stage is built frozen); only W and b learn.
#include <torch/torch.h>

#include "dcl/losses/local_loss.h"

namespace dcl {

class PredictorLoss : public LocalLoss {
 public:
  PredictorLoss(int classes, int64_t output_size, bool bias = true, bool ones = false);
  LossOutput forward(const torch::Tensor& h, const Target& target) override;
  torch::Tensor scores(const torch::Tensor& h) override;  // s: [N, Z]

  torch::nn::Linear predictor{nullptr};
};

}  // namespace dcl
