#include "dcl/losses/local_error_loss.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "dcl/losses/similarity_matching.h"
#include "dcl/nn/feedback_alignment.h"

namespace dcl {
namespace F = torch::nn::functional;
namespace nn = torch::nn;

std::vector<int64_t> pred_pool_kernel(int64_t c, int64_t h, int64_t w, int64_t max_features) {
  int64_t kh = 1, kw = 1;
  auto features = [&] { return c * ((h + kh - 1) / kh) * ((w + kw - 1) / kw); };
  // A kernel never exceeds the map: once both cover it, C alone is what is left.
  while (features() > max_features && (kh < h || kw < w)) {
    if (kh < h) kh = std::min(2 * kh, h);
    if (features() > max_features && kw < w) kw = std::min(2 * kw, w);
  }
  return {kh, kw};
}

LocalErrorLoss::LocalErrorLoss(const LocalErrorOptions& o, const std::vector<int64_t>& s) : options_(o) {
  if (!o.pred && !o.sim) throw std::invalid_argument("local error loss: needs pred, sim or both");
  bool conv = s.size() == 3;
  if (!conv && s.size() != 1) throw std::invalid_argument("local error loss: unsupported block output shape");
  pool_ = conv ? pred_pool_kernel(s[0], s[1], s[2], o.max_pred_features) : std::vector<int64_t>{1, 1};
  if (o.pred) {
    // The classifier's input size is whatever the pooling produces (ceil-mode windows).
    int64_t in = conv ? pooled(torch::zeros({1, s[0], s[1], s[2]})).numel() : s[0];
    classifier = register_module("pred", nn::Linear(in, o.classes));
    torch::NoGradGuard no_grad;
    classifier->weight.zero_();
    if (o.backprop_free) {
      // Same scale as LibTorch's default Linear init, fixed for the whole run.
      double bound = 1.0 / std::sqrt(double(in));
      feedback = register_buffer("feedback", torch::empty({o.classes, in}).uniform_(-bound, bound));
    }
  }
  if (o.sim && !o.backprop_free) {
    sim_map = nn::Sequential();
    if (conv)
      sim_map->push_back(nn::Conv2d(nn::Conv2dOptions(s[0], s[0], 3).padding(1).bias(false)));
    else
      sim_map->push_back(nn::Linear(nn::LinearOptions(s[0], s[0]).bias(false)));
    register_module("sim", sim_map);
  }
}

torch::Tensor LocalErrorLoss::pooled(const torch::Tensor& h) const {
  if (h.dim() != 4 || (pool_[0] == 1 && pool_[1] == 1)) return h;
  return F::avg_pool2d(h, F::AvgPool2dFuncOptions(pool_).stride(pool_).ceil_mode(true));
}

torch::Tensor LocalErrorLoss::scores(const torch::Tensor& h) {
  if (!options_.pred) return {};
  torch::Tensor x = pooled(h).flatten(1);
  if (options_.backprop_free) return linear_feedback_alignment(x, classifier->weight, classifier->bias, feedback);
  return classifier->forward(x);
}

torch::Tensor LocalErrorLoss::pred_loss(const torch::Tensor& h, const torch::Tensor& y) {
  if (!options_.pred) throw std::logic_error("local error loss: this method has no pred loss");
  return F::cross_entropy(scores(h), y);
}

torch::Tensor LocalErrorLoss::sim_loss(const torch::Tensor& h, const torch::Tensor& y) {
  if (!options_.sim) throw std::logic_error("local error loss: this method has no sim loss");
  torch::Tensor x = options_.backprop_free ? pooled(h) : sim_map->forward(h);
  return similarity_matching_loss(x, y, options_.classes);
}

LossOutput LocalErrorLoss::forward(const torch::Tensor& h, const Target& target) {
  const torch::Tensor& y = target.labels;
  if (!options_.sim) {
    torch::Tensor s = scores(h);
    return {F::cross_entropy(s, y), s};
  }
  if (!options_.pred) return {sim_loss(h, y), {}};
  torch::Tensor s = scores(h);
  return {(1 - options_.beta) * F::cross_entropy(s, y) + options_.beta * sim_loss(h, y), s};
}

}  // namespace dcl
