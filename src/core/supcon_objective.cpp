#include "dcl/core/supcon_objective.h"

#include <stdexcept>

namespace dcl {
namespace nn = torch::nn;
namespace F = torch::nn::functional;

torch::Tensor supcon_loss(const torch::Tensor& features, const torch::Tensor& labels, double temperature) {
  if (features.dim() != 2 || labels.dim() != 1 || features.size(0) != labels.size(0))
    throw std::invalid_argument("supcon: features must be [N, D] and labels [N]; got " + c10::str(features.sizes()) +
                                " and " + c10::str(labels.sizes()));
  int64_t n = features.size(0);
  torch::Tensor f = F::normalize(features, F::NormalizeFuncOptions().dim(1));
  torch::Tensor a = torch::matmul(f, f.t()) / temperature;
  // Subtracting each row's max changes nothing mathematically and keeps exp() finite.
  a = a - std::get<0>(a.max(1, true)).detach();
  torch::Tensor not_self = 1 - torch::eye(n, a.options());
  torch::Tensor positives = labels.unsqueeze(0).eq(labels.unsqueeze(1)).to(a.dtype()) * not_self;
  torch::Tensor log_prob = a - (a.exp() * not_self).sum(1, true).log();
  torch::Tensor count = positives.sum(1).clamp_min(1);
  torch::Tensor mean_log_prob_pos = (positives * log_prob).sum(1) / count;
  return -mean_log_prob_pos.mean();  // T / T_base = 1
}

SupConObjective::SupConObjective(const std::vector<BlockShape>& shapes, bool auxiliary, double temperature)
    : temperature_(temperature) {
  if (!auxiliary) return;
  for (size_t l = 0; l < shapes.size(); ++l) {
    const BlockShape& s = shapes[l];
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
    heads_.push_back(register_module("aux" + std::to_string(l), head));
  }
}

torch::Tensor SupConObjective::features(int block, const torch::Tensor& h) {
  if (!heads_.empty()) return heads_.at(size_t(block))->forward(h);
  if (h.dim() == 4) return h.mean({2, 3});
  if (h.dim() == 2) return h;
  throw std::invalid_argument("supcon: block " + std::to_string(block) + " output has unsupported shape " +
                              c10::str(h.sizes()));
}

torch::Tensor SupConObjective::loss(int block, const torch::Tensor& h, const torch::Tensor& y) {
  return supcon_loss(features(block, h), y, temperature_);
}

std::vector<torch::Tensor> SupConObjective::block_parameters(int block) {
  if (heads_.empty()) return {};
  return heads_.at(size_t(block))->parameters();
}

}  // namespace dcl
