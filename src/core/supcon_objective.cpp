#include "dcl/core/supcon_objective.h"

#include <stdexcept>

namespace dcl {
namespace nn = torch::nn;
namespace F = torch::nn::functional;

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
