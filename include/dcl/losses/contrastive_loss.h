#pragma once
// Supervised contrastive block losses (spec section 5): FEAT (L_feat) and InfoPro-style
// L_contrast, both L = supcon_loss(φ(h), y, T) (supcon_loss.h, T = 0.07 by default).
//
// FEAT: φ(h) = h itself, spatially averaged for conv outputs ([N,C,H,W] -> [N,C]); no parameters.
// CONTRAST: φ = a small auxiliary network of the block's own, trained with it (InfoPro style):
//   conv blocks: conv3x3(C->C) + BN + ReLU + global average pool + Linear(C->C) + ReLU + Linear(C->128)
//   fc blocks:   Linear(F->512) + ReLU + Linear(512->128)
#include <torch/torch.h>

#include "dcl/losses/local_loss.h"
#include "dcl/nn/network.h"

namespace dcl {

class SupConBlockLoss : public LocalLoss {
 public:
  // auxiliary = false: FEAT; true: CONTRAST with an auxiliary network sized for `shape`.
  SupConBlockLoss(const BlockShape& shape, bool auxiliary, double temperature = 0.07);
  LossOutput forward(const torch::Tensor& h, const Target& target) override;
  // φ(h) before normalisation: [N, D].
  torch::Tensor features(const torch::Tensor& h);

  static constexpr int kProjectionDim = 128;
  static constexpr int kFcHidden = 512;

 private:
  double temperature_;
  torch::nn::Sequential head_{nullptr};  // CONTRAST only
};

}  // namespace dcl
