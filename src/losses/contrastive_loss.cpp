#include "dcl/losses/contrastive_loss.h"

#include <stdexcept>

#include "dcl/losses/supcon_loss.h"

namespace dcl {
namespace nn = torch::nn;

SupConBlockLoss::SupConBlockLoss(const BlockShape& s, bool auxiliary, double temperature) : temperature_(temperature) {
  if (!auxiliary) return;
  nn::Sequential head;
  if (s.patches == 0) {
    int c = s.channels;
    head->push_back(nn::Conv2d(nn::Conv2dOptions(c, c, 3).padding(1)));
    head->push_back(nn::BatchNorm2d(c));
    head->push_back(nn::ReLU());
    head->push_back(nn::AdaptiveAvgPool2d(1));
    head->push_back(nn::Flatten());
    head->push_back(nn::Linear(c, c));
    head->push_back(nn::ReLU());
    head->push_back(nn::Linear(c, kProjectionDim));
  } else {
    int d = s.channels * s.patches;
    head->push_back(nn::Linear(d, kFcHidden));
    head->push_back(nn::ReLU());
    head->push_back(nn::Linear(kFcHidden, kProjectionDim));
  }
  head_ = register_module("aux", head);
}

torch::Tensor SupConBlockLoss::features(const torch::Tensor& h) {
  if (head_) return head_->forward(h);
  if (h.dim() == 4) return h.mean({2, 3});
  if (h.dim() == 2) return h;
  throw std::invalid_argument("supcon: block output has unsupported shape " + c10::str(h.sizes()));
}

LossOutput SupConBlockLoss::forward(const torch::Tensor& h, const Target& target) {
  return {supcon_loss(features(h), target.labels, temperature_), {}};
}

}  // namespace dcl
