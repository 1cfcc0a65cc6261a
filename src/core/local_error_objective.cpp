#include "dcl/core/local_error_objective.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "dcl/core/feedback_alignment.h"
#include "dcl/core/similarity_matching.h"

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

LocalErrorObjective::LocalErrorObjective(const LocalErrorOptions& o, const std::vector<std::vector<int64_t>>& sizes)
    : options_(o) {
  if (!o.pred && !o.sim) throw std::invalid_argument("local error objective: needs pred, sim or both");
  if (o.beta < 0 || o.beta > 1) throw std::invalid_argument("--ll-beta must be in [0, 1], got " + std::to_string(o.beta));
  for (size_t l = 0; l < sizes.size(); ++l) {
    const auto& s = sizes[l];
    std::string name = std::to_string(l);
    bool conv = s.size() == 3;
    if (!conv && s.size() != 1)
      throw std::invalid_argument("local error objective: block " + name + " output has unsupported shape");
    pool_.push_back(conv ? pred_pool_kernel(s[0], s[1], s[2], o.max_pred_features) : std::vector<int64_t>{1, 1});
    if (o.pred) {
      // The classifier's input size is whatever the pooling produces (ceil-mode windows).
      int64_t in = s[0];
      if (conv) in = pooled(int(l), torch::zeros({1, s[0], s[1], s[2]})).numel();
      nn::Linear c = register_module("pred" + name, nn::Linear(in, o.classes));
      torch::NoGradGuard no_grad;
      c->weight.zero_();
      classifiers.push_back(c);
      if (o.backprop_free) {
        // Same scale as LibTorch's default Linear init, fixed for the whole run.
        double bound = 1.0 / std::sqrt(double(in));
        feedback.push_back(register_buffer("feedback" + name, torch::empty({o.classes, in}).uniform_(-bound, bound)));
      }
    }
    if (o.sim && !o.backprop_free) {
      nn::Sequential map;
      if (conv)
        map->push_back(nn::Conv2d(nn::Conv2dOptions(s[0], s[0], 3).padding(1).bias(false)));
      else
        map->push_back(nn::Linear(nn::LinearOptions(s[0], s[0]).bias(false)));
      sim_maps.push_back(register_module("sim" + name, map));
    }
  }
}

torch::Tensor LocalErrorObjective::pooled(int block, const torch::Tensor& h) const {
  const auto& k = pool_.at(size_t(block));
  if (h.dim() != 4 || (k[0] == 1 && k[1] == 1)) return h;
  return F::avg_pool2d(h, F::AvgPool2dFuncOptions(k).stride(k).ceil_mode(true));
}

torch::Tensor LocalErrorObjective::scores(int block, const torch::Tensor& h) {
  if (!options_.pred) return {};
  torch::Tensor x = pooled(block, h).flatten(1);
  nn::Linear& c = classifiers.at(size_t(block));
  if (options_.backprop_free) return linear_feedback_alignment(x, c->weight, c->bias, feedback.at(size_t(block)));
  return c->forward(x);
}

torch::Tensor LocalErrorObjective::pred_loss(int block, const torch::Tensor& h, const torch::Tensor& y) {
  if (!options_.pred) throw std::logic_error("local error objective: this method has no pred loss");
  return F::cross_entropy(scores(block, h), y);
}

torch::Tensor LocalErrorObjective::sim_loss(int block, const torch::Tensor& h, const torch::Tensor& y) {
  if (!options_.sim) throw std::logic_error("local error objective: this method has no sim loss");
  torch::Tensor x = options_.backprop_free ? pooled(block, h) : sim_maps.at(size_t(block))->forward(h);
  return similarity_matching_loss(x, y, options_.classes);
}

torch::Tensor LocalErrorObjective::loss(int block, const torch::Tensor& h, const torch::Tensor& y) {
  if (options_.pred && options_.sim)
    return (1 - options_.beta) * pred_loss(block, h, y) + options_.beta * sim_loss(block, h, y);
  return options_.pred ? pred_loss(block, h, y) : sim_loss(block, h, y);
}

std::vector<torch::Tensor> LocalErrorObjective::block_parameters(int block) {
  std::vector<torch::Tensor> out;
  if (!classifiers.empty())
    for (auto& p : classifiers.at(size_t(block))->parameters()) out.push_back(p);
  if (!sim_maps.empty())
    for (auto& p : sim_maps.at(size_t(block))->parameters()) out.push_back(p);
  return out;
}

}  // namespace dcl
