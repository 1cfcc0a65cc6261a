#pragma once
// Direct Random Target Projection (Frenkel, Lefebvre & Bol 2021), spec section 5, as a block loss.
//
// Hidden block l receives, instead of a back-propagated error, the fixed random projection of the
// one-hot target y* as the gradient at its output h (shape [N, S], S = values per sample):
//   ∂L/∂h_n := (1/N) B^T y*_n,   B in R^{Z x S} fixed (a buffer, never trained)
// The block's own autograd turns this into its parameter update (through ReLU/BN it multiplies by
// f'(·), the paper's δy_l = B_l^T y* ⊙ f'(a_l)). The 1/N matches the batch-mean convention of
// every other local loss. The loss is the linear surrogate whose gradient is exactly that:
//   L = (1/N) Σ_n <h_n, B^T y*_n>
// B entries are i.i.d. U[-s/sqrt(Z), s/sqrt(Z)] (fan-in Z: the one-hot target; s = 1 by default).
// Only the sign pattern and relative size matter to the direction; Adam/AdamW normalise scale.
// B^T y*_n is row y_n of B, so the projection is a row gather, not a product.
#include <torch/torch.h>

#include "dcl/losses/local_loss.h"

namespace dcl {

class DrtpLoss : public LocalLoss {
 public:
  DrtpLoss(int classes, int64_t output_size, double scale = 1.0);
  LossOutput forward(const torch::Tensor& h, const Target& target) override;
  // The surrogate gradient at the block output, shaped like h: (1/N) B^T y*.
  torch::Tensor target_projection(const torch::Tensor& h, const torch::Tensor& y);

  torch::Tensor feedback;  // B: [Z, S], a registered buffer
};

}  // namespace dcl
