#include "dcl/core/dictionary_objective.h"

#include <cmath>
#include <stdexcept>

namespace dcl {
namespace F = torch::nn::functional;

double reference_orthogonal_scale(const std::string& arch, int dict_dim) {
  if (arch == "simple256") return std::sqrt(16.52);
  if (arch == "simple512" || arch == "vgg8b") return std::sqrt(23.12);
  return std::sqrt(double(dict_dim));
}

DictionaryObjective::DictionaryObjective(const DictionaryOptions& o, const std::vector<BlockShape>& shapes)
    : options_(o), shapes_(shapes) {
  if (o.dim <= 0) throw std::invalid_argument("dictionary: dimension must be positive");
  torch::Tensor init;
  if (o.init == "normal") {
    init = torch::randn({o.classes, o.dim});
  } else if (o.init == "orthogonal") {
    if (o.classes > o.dim)
      throw std::invalid_argument("dictionary: orthogonal init needs Z <= CD (Z=" + std::to_string(o.classes) +
                                  ", CD=" + std::to_string(o.dim) + ")");
    init = torch::empty({o.classes, o.dim});
    torch::nn::init::orthogonal_(init);
    init.mul_(o.orthogonal_scale);
  } else {
    throw std::invalid_argument("unknown --dict-init '" + o.init + "' (valid: normal, orthogonal)");
  }
  // DCL-S keeps the dictionary as a buffer: no optimiser can ever touch it.
  dictionary = o.adaptive ? register_parameter("dictionary", init) : register_buffer("dictionary", init);

  if (o.map == "linear") {
    for (size_t l = 0; l < shapes.size(); ++l)
      maps_.push_back(register_module("map" + std::to_string(l),
                                      torch::nn::Linear(torch::nn::LinearOptions(o.dim, shapes[l].channels).bias(false))));
  } else if (o.map != "pool") {
    throw std::invalid_argument("unknown --dict-map '" + o.map + "' (valid: pool, linear)");
  }
  if (o.similarity != "dot" && o.similarity != "cos")
    throw std::invalid_argument("unknown --similarity '" + o.similarity + "' (valid: dot, cos)");
}

torch::Tensor DictionaryObjective::mapped_dictionary(int block) {
  torch::Tensor t = dictionary;
  if (options_.similarity == "cos") t = F::normalize(t, F::NormalizeFuncOptions().dim(1));
  int c = shapes_.at(block).channels;
  if (!maps_.empty()) return maps_[block]->forward(t);
  if (t.size(1) == c) return t;
  // adaptive_avg_pool1d works on [N, C, L]: treat the Z rows as a batch of one-channel signals.
  return torch::adaptive_avg_pool1d(t.unsqueeze(1), {c}).squeeze(1);
}

torch::Tensor DictionaryObjective::scores(int block, const torch::Tensor& h) {
  const BlockShape& shape = shapes_.at(block);
  torch::Tensor v;  // [N, K, C]
  if (h.dim() == 4) {
    v = h.flatten(2).transpose(1, 2);
  } else if (h.dim() == 2 && shape.patches > 0) {
    v = h.view({h.size(0), shape.patches, h.size(1) / shape.patches});
  } else {
    throw std::invalid_argument("dictionary loss: block " + std::to_string(block) + " output has unsupported shape " +
                                c10::str(h.sizes()));
  }
  torch::Tensor t = mapped_dictionary(block);  // [Z, C]
  if (options_.similarity == "cos") {
    v = F::normalize(v, F::NormalizeFuncOptions().dim(2));
    return torch::matmul(v.mean(1), t.t()) / options_.temperature;
  }
  // Mean first, then one small product: <mean_k h_k, t> = mean_k <h_k, t>, without a K x Z tensor.
  return torch::matmul(v.mean(1), t.t());
}

torch::Tensor DictionaryObjective::loss(int block, const torch::Tensor& h, const torch::Tensor& y) {
  return F::cross_entropy(scores(block, h), y);
}

std::vector<torch::Tensor> DictionaryObjective::shared_parameters() {
  if (!options_.adaptive) return {};
  return {dictionary};
}

std::vector<torch::Tensor> DictionaryObjective::block_parameters(int block) {
  if (maps_.empty()) return {};
  return maps_.at(block)->parameters();
}

}  // namespace dcl
