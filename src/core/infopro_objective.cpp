#include "dcl/core/infopro_objective.h"

#include <stdexcept>
#include <string>

#include "dcl/core/supcon_loss.h"

namespace dcl {
namespace F = torch::nn::functional;
namespace nn = torch::nn;

InfoProObjective::InfoProObjective(const InfoProOptions& o, const std::vector<std::vector<int64_t>>& sizes)
    : options_(o) {
  if (o.recon_weight < 0) throw std::invalid_argument("--ll-recon-weight must be >= 0");
  for (size_t l = 0; l < sizes.size(); ++l) {
    const auto& s = sizes[l];
    std::string name = std::to_string(l);
    int64_t c = s.at(0);
    nn::Sequential head;
    if (s.size() == 3) {
      head->push_back(nn::Conv2d(nn::Conv2dOptions(c, c, 3).padding(1).bias(false)));
      head->push_back(nn::BatchNorm2d(c));
      head->push_back(nn::ReLU());
      head->push_back(nn::AdaptiveAvgPool2d(1));
      head->push_back(nn::Flatten());
    } else if (s.size() != 1) {
      throw std::invalid_argument("infopro objective: block " + name + " output has unsupported shape");
    }
    head->push_back(nn::Linear(c, o.feature_dim));
    head->push_back(nn::ReLU());
    head->push_back(nn::Linear(o.feature_dim, o.feature_dim));
    heads.push_back(register_module("head" + name, head));

    nn::Sequential decoder{nullptr};
    if (o.reconstruct && s.size() == 3) {
      decoder = nn::Sequential(nn::Conv2d(nn::Conv2dOptions(c, 12, 3).padding(1)), nn::BatchNorm2d(12), nn::ReLU(),
                               nn::Conv2d(nn::Conv2dOptions(12, o.image.channels, 3).padding(1)));
      register_module("decoder" + name, decoder);
    }
    decoders.push_back(decoder);
  }
}

torch::Tensor InfoProObjective::contrast_loss(int block, const torch::Tensor& h, const torch::Tensor& y) {
  return supcon_loss(heads.at(size_t(block))->forward(h), y, options_.temperature);
}

torch::Tensor InfoProObjective::reconstruction_loss(int block, const torch::Tensor& h) {
  nn::Sequential& decoder = decoders.at(size_t(block));
  if (!decoder) return {};
  if (!image_.defined())
    throw std::logic_error("ll-contrec: no input image; call set_input(x) before the blocks (LocalLearner does)");
  if (image_.size(0) != h.size(0))
    throw std::invalid_argument("ll-contrec: the input image batch (" + std::to_string(image_.size(0)) +
                                ") does not match block " + std::to_string(block) + "'s batch (" +
                                std::to_string(h.size(0)) + ")");
  torch::Tensor up = F::interpolate(h, F::InterpolateFuncOptions()
                                           .size(std::vector<int64_t>{image_.size(2), image_.size(3)})
                                           .mode(torch::kBilinear)
                                           .align_corners(true));
  return F::mse_loss(decoder->forward(up), image_);
}

torch::Tensor InfoProObjective::loss(int block, const torch::Tensor& h, const torch::Tensor& y) {
  torch::Tensor l = contrast_loss(block, h, y);
  torch::Tensor r = reconstruction_loss(block, h);
  return r.defined() ? l + options_.recon_weight * r : l;
}

std::vector<torch::Tensor> InfoProObjective::block_parameters(int block) {
  std::vector<torch::Tensor> out = heads.at(size_t(block))->parameters();
  const nn::Sequential& decoder = decoders.at(size_t(block));
  if (decoder)
    for (auto& p : decoder->parameters()) out.push_back(p);
  return out;
}

}  // namespace dcl
