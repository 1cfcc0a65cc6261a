#pragma once
// Direct Random Target Projection (Frenkel, Lefebvre & Bol 2021), spec section 5, as a block loss.
//
// Hidden block l receives, instead of a back-propagated error, the fixed random projection of the
// one-hot target y* as the gradient at its output h (shape [N, S], S = values per sample):
//   ∂L/∂h_n := B^T y*_n,   B in R^{Z x S} fixed (a buffer, never trained)
// The block's own autograd turns this into its parameter update (through ReLU/BN it multiplies by
// f'(·), the paper's δy_l = B_l^T y* ⊙ f'(a_l)). The loss is the linear surrogate whose gradient
// is exactly that:  L = Σ_n <h_n, B^T y*_n>, reported as 0 (L - L.detach(): the same gradient):
// it has no minimum, so its value would only grow and measure nothing.
// As the authors' code (ChFrenkel/DirectRandomTargetProjection function.py, module.py): the
// projection is summed over the batch, not averaged, and B entries are i.i.d.
// U[-s sqrt(6/S), s sqrt(6/S)] (kaiming_uniform_ on [Z, S]; s = 1 by default). Under Adam/AdamW
// only the direction matters; under the authors' SGD (their preset) the step size does too.
// B^T y*_n is row y_n of B, so the projection is a row gather, not a product.
#include <torch/torch.h>

#include "dcl/losses/local_loss.h"

namespace dcl {

class DrtpLoss : public LocalLoss {
 public:
  DrtpLoss(int classes, int64_t output_size, double scale = 1.0);
  LossOutput forward(const torch::Tensor& h, const Target& target) override;
  // The surrogate gradient at the block output, shaped like h: B^T y*.
  torch::Tensor target_projection(const torch::Tensor& h, const torch::Tensor& y);

  torch::Tensor feedback;  // B: [Z, S], a registered buffer
};

}  // namespace dcl
