#pragma once
// A block's cross-entropy through an auxiliary classifier network: L = CE(a_phi(h), y). The
// auxiliary network is the method's (DGL's conv-pool-MLP head, AugLocal's copies of later layers,
// methods/dgl.cpp, methods/auglocal.cpp); its logits are also the block's layer-wise scores.
#include <torch/torch.h>

#include "dcl/losses/local_loss.h"

namespace dcl {

class AuxiliaryClassifierLoss : public LocalLoss {
 public:
  // `network` maps h to [N, Z] logits.
  explicit AuxiliaryClassifierLoss(torch::nn::Sequential network);
  LossOutput forward(const torch::Tensor& h, const Target& target) override;
  torch::Tensor scores(const torch::Tensor& h) override;

  torch::nn::Sequential network{nullptr};
};

}  // namespace dcl
