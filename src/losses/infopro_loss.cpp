#include "dcl/losses/infopro_loss.h"

#include <stdexcept>
#include <string>

#include "dcl/losses/supcon_loss.h"

namespace dcl {
namespace F = torch::nn::functional;
namespace nn = torch::nn;

InfoProLoss::InfoProLoss(const InfoProOptions& o, const std::vector<int64_t>& s) : options_(o) {
  int64_t c = s.at(0);
  head = nn::Sequential();
  if (s.size() == 3) {
    head->push_back(nn::Conv2d(nn::Conv2dOptions(c, c, 3).padding(1).bias(false)));
    head->push_back(nn::BatchNorm2d(c));
    head->push_back(nn::ReLU());
    head->push_back(nn::AdaptiveAvgPool2d(1));
    head->push_back(nn::Flatten());
  } else if (s.size() != 1) {
    throw std::invalid_argument("infopro loss: unsupported block output shape");
  }
  head->push_back(nn::Linear(c, o.feature_dim));
  head->push_back(nn::ReLU());
  head->push_back(nn::Linear(o.feature_dim, o.feature_dim));
  register_module("head", head);
  if (o.reconstruct && s.size() == 3) {
    decoder = nn::Sequential(nn::Conv2d(nn::Conv2dOptions(c, 12, 3).padding(1)), nn::BatchNorm2d(12), nn::ReLU(),
                             nn::Conv2d(nn::Conv2dOptions(12, o.image_channels, 3).padding(1)));
    register_module("decoder", decoder);
  }
}

torch::Tensor InfoProLoss::contrast_loss(const torch::Tensor& h, const torch::Tensor& y) {
  return supcon_loss(head->forward(h), y, options_.temperature);
}

torch::Tensor InfoProLoss::reconstruction_loss(const torch::Tensor& h, const torch::Tensor& image) {
  if (!decoder) return {};
  if (!image.defined()) throw std::invalid_argument("ll-contrec: the target has no input image to reconstruct");
  if (image.size(0) != h.size(0))
    throw std::invalid_argument("ll-contrec: the input image batch (" + std::to_string(image.size(0)) +
                                ") does not match the block's batch (" + std::to_string(h.size(0)) + ")");
  torch::Tensor up = F::interpolate(h, F::InterpolateFuncOptions()
                                           .size(std::vector<int64_t>{image.size(2), image.size(3)})
                                           .mode(torch::kBilinear)
                                           .align_corners(true));
  return F::mse_loss(decoder->forward(up), image.detach());
}

LossOutput InfoProLoss::forward(const torch::Tensor& h, const Target& target) {
  torch::Tensor l = contrast_loss(h, target.labels);
  torch::Tensor r = reconstruction_loss(h, target.image);
  return {r.defined() ? l + options_.recon_weight * r : l, {}};
}

}  // namespace dcl
