#include "dcl/losses/dictionary_loss.h"

#include <cmath>
#include <stdexcept>

namespace dcl {
namespace F = torch::nn::functional;

template <>
const std::vector<std::string>& names_of<DictInit>() {
  static const std::vector<std::string> names = {"normal", "orthogonal"};
  return names;
}

template <>
const std::vector<std::string>& names_of<DictMap>() {
  static const std::vector<std::string> names = {"pool", "linear"};
  return names;
}

template <>
const std::vector<std::string>& names_of<Similarity>() {
  static const std::vector<std::string> names = {"dot", "cos"};
  return names;
}

DictionaryImpl::DictionaryImpl(const DictionaryOptions& o) : adaptive(o.adaptive) {
  if (o.dim <= 0) throw std::invalid_argument("dictionary: dimension must be positive");
  torch::Tensor init;
  if (o.init == DictInit::Normal) {
    init = torch::randn({o.classes, o.dim});
  } else {
    if (o.classes > o.dim)
      throw std::invalid_argument("--dict-init orthogonal needs Z <= CD (Z=" + std::to_string(o.classes) +
                                  ", CD=" + std::to_string(o.dim) + ")");
    init = torch::empty({o.classes, o.dim});
    torch::nn::init::orthogonal_(init);
    init.mul_(o.orthogonal_scale);
  }
  // DCL-S keeps the dictionary as a buffer: no optimiser can ever touch it.
  embeddings = o.adaptive ? register_parameter("embeddings", init) : register_buffer("embeddings", init);
}

DictionaryLoss::DictionaryLoss(Dictionary dictionary, const DictionaryLossOptions& o)
    : dictionary_(std::move(dictionary)), options_(o) {
  if (o.map == DictMap::Linear) {
    int64_t dim = dictionary_->embeddings.size(1);
    map_ = register_module("map", torch::nn::Linear(torch::nn::LinearOptions(dim, o.shape.channels).bias(false)));
  }
}

namespace {

[[noreturn]] void bad_shape(const torch::Tensor& h, const BlockShape& shape) {
  throw std::invalid_argument("dictionary loss: block output of shape " + c10::str(h.sizes()) +
                              " is neither [N, C, H, W] nor [N, P*C] with P = " + std::to_string(shape.patches));
}

}  // namespace

torch::Tensor map_dictionary(const torch::Tensor& dictionary, int64_t channels, bool cos,
                             const torch::Tensor& linear_weight) {
  if (dictionary.dim() != 2)
    throw std::invalid_argument("dictionary loss: the dictionary must be [Z, CD], not " + c10::str(dictionary.sizes()));
  torch::Tensor t = cos ? F::normalize(dictionary, F::NormalizeFuncOptions().dim(1)) : dictionary;
  if (linear_weight.defined()) {
    if (linear_weight.dim() != 2 || linear_weight.size(0) != channels || linear_weight.size(1) != t.size(1))
      throw std::invalid_argument("dictionary loss: the map's weight must be [C, CD] = [" + std::to_string(channels) +
                                  ", " + std::to_string(t.size(1)) + "], not " + c10::str(linear_weight.sizes()));
    return torch::matmul(t, linear_weight.t());
  }
  if (t.size(1) == channels) return t;
  // adaptive_avg_pool1d works on [N, C, L]: the Z rows are a batch of one-channel signals.
  return torch::adaptive_avg_pool1d(t.unsqueeze(1), {channels}).squeeze(1);
}

torch::Tensor dictionary_scores(const torch::Tensor& h, const torch::Tensor& mapped, int64_t patches, bool cos,
                                double temperature) {
  // The mean over positions k of v_k (a conv block's positions, or an fc block's patches), each
  // v_k unit-length first for cos: <mean_k v_k, t> = mean_k <v_k, t>, without a K x Z tensor.
  // A conv output is reduced in its own NCHW layout, so that the gradient reaching the block is
  // NCHW too (a [N, K, C] view would hand the block a transposed gradient to copy).
  torch::Tensor pooled;  // [N, C]
  if (h.dim() == 4) {
    // sum / K rather than mean: sum's gradient is an expanded view (nothing written per position),
    // which the fused conv block reads plane by plane; mean's is materialised at full size.
    pooled = (cos ? F::normalize(h, F::NormalizeFuncOptions().dim(1)) : h).sum({2, 3}) / double(h.size(2) * h.size(3));
  } else if (h.dim() == 2 && patches > 0 && h.size(1) % patches == 0) {
    torch::Tensor v = h.view({h.size(0), patches, h.size(1) / patches});
    pooled = (cos ? F::normalize(v, F::NormalizeFuncOptions().dim(2)) : v).mean(1);
  } else {
    throw std::invalid_argument("dictionary loss: block output of shape " + c10::str(h.sizes()) +
                                " is neither [N, C, H, W] nor [N, P*C] with P = " + std::to_string(patches));
  }
  if (mapped.dim() != 2 || mapped.size(1) != pooled.size(1))
    throw std::invalid_argument("dictionary loss: the mapped dictionary " + c10::str(mapped.sizes()) +
                                " does not have the block's C = " + std::to_string(pooled.size(1)) + " columns");
  torch::Tensor s = torch::matmul(pooled, mapped.t());  // [N, Z]
  return cos ? s / temperature : s;
}

torch::Tensor DictionaryLoss::mapped_dictionary() {
  return map_dictionary(dictionary_->embeddings, options_.shape.channels, options_.similarity == Similarity::Cos,
                        map_ ? map_->weight : torch::Tensor());
}

torch::Tensor DictionaryLoss::scores(const torch::Tensor& h) {
  return dictionary_scores(h, mapped_dictionary(), options_.shape.patches, options_.similarity == Similarity::Cos,
                           options_.temperature);
}

torch::Tensor DictionaryLoss::position_scores(const torch::Tensor& h) {
  const BlockShape& shape = options_.shape;
  torch::Tensor v;  // [N, K, C]
  if (h.dim() == 4) {
    v = h.flatten(2).transpose(1, 2);
  } else if (h.dim() == 2 && shape.patches > 0 && h.size(1) % shape.patches == 0) {
    v = h.view({h.size(0), shape.patches, h.size(1) / shape.patches});
  } else {
    bad_shape(h, shape);
  }
  const bool cos = options_.similarity == Similarity::Cos;
  if (cos) v = F::normalize(v, F::NormalizeFuncOptions().dim(2));
  torch::Tensor c = torch::matmul(mapped_dictionary(), v.transpose(1, 2));  // [Z, C] x [N, C, K] -> [N, Z, K]
  return cos ? c / options_.temperature : c;
}

LossOutput DictionaryLoss::forward(const torch::Tensor& h, const Target& target) {
  torch::Tensor s = scores(h);
  return {F::cross_entropy(s, target.labels), s};
}

}  // namespace dcl
