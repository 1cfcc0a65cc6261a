#pragma once
// Supervised contrastive objectives (spec section 5): FEAT (L_feat) and InfoPro-style L_contrast.
//
// The SupCon loss is supcon_loss.h's (T = 0.07, the reference SupConLoss's conventions).
//
// FEAT: φ(h) = h itself, spatially averaged for conv outputs ([N,C,H,W] -> [N,C]); no parameters.
// CONTRAST: φ = a small auxiliary network per block, trained with the block (InfoPro style):
//   conv blocks: conv3x3(C->C) + BN + ReLU + global average pool + Linear(C->C) + ReLU + Linear(C->128)
//   fc blocks:   Linear(D->512) + ReLU + Linear(512->128)
// These aux nets are block_parameters(l): block l's optimiser updates them with the block.
#include <vector>

#include <torch/torch.h>

#include "dcl/core/objective.h"
#include "dcl/core/supcon_loss.h"

namespace dcl {

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
