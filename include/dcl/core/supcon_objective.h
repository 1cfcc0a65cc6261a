#pragma once
// Supervised contrastive objectives (spec section 5): FEAT (L_feat) and InfoPro-style L_contrast.
//
// SupCon (Khosla et al. 2020, one view per image, as the reference SupConLoss of schoi828/DCL):
//   f_n = normalize(φ(h_n)),  a_{n,m} = <f_n, f_m> / T,  T = 0.07
//   P(n) = {m != n : y_m = y_n}  (positives),  A(n) = {m != n}
//   ℓ_n = -(T / T_base) · (1 / max(|P(n)|, 1)) Σ_{p in P(n)} [a_{n,p} - log Σ_{a in A(n)} exp a_{n,a}]
//   L = (1/N) Σ_n ℓ_n,  T_base = T  (so the scale is 1)
// An anchor without positives has ℓ_n = 0 but still counts in the mean (the reference clamps
// |P(n)| to 1 instead of dropping the anchor).
//
// FEAT: φ(h) = h itself, spatially averaged for conv outputs ([N,C,H,W] -> [N,C]); no parameters.
// CONTRAST: φ = a small auxiliary network per block, trained with the block (InfoPro style):
//   conv blocks: conv3x3(C->C) + BN + ReLU + global average pool + Linear(C->C) + ReLU + Linear(C->128)
//   fc blocks:   Linear(D->512) + ReLU + Linear(512->128)
// These aux nets are block_parameters(l): block l's optimiser updates them with the block.
#include <vector>

#include <torch/torch.h>

#include "dcl/core/objective.h"

namespace dcl {

// The SupCon loss above on features [N, D] (normalised inside) and integer labels [N].
torch::Tensor supcon_loss(const torch::Tensor& features, const torch::Tensor& labels, double temperature = 0.07);

class SupConObjective : public LocalObjective {
 public:
  // auxiliary = false: FEAT; true: CONTRAST with one aux network per block of `shapes`.
  SupConObjective(const std::vector<BlockShape>& shapes, bool auxiliary, double temperature = 0.07);

  torch::Tensor loss(int block, const torch::Tensor& h, const torch::Tensor& y) override;
  std::vector<torch::Tensor> block_parameters(int block) override;

  // φ(h) before normalisation: [N, D].
  torch::Tensor features(int block, const torch::Tensor& h);

  static constexpr int kProjectionDim = 128;
  static constexpr int kFcHidden = 512;

 private:
  double temperature_;
  std::vector<torch::nn::Sequential> heads_;  // empty for FEAT
};

}  // namespace dcl
