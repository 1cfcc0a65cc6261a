#include "dcl/analysis/mutual_information.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <ATen/CPUGeneratorImpl.h>

namespace dcl::analysis {
namespace F = torch::nn::functional;

namespace {

double plug_in_entropy(const torch::Tensor& v, int classes) {
  torch::Tensor p = torch::bincount(v, {}, classes).to(torch::kDouble) / double(v.size(0));
  return -(p * p.clamp_min(1e-300).log()).sum().item<double>();
}

}  // namespace

InformationEstimate probe_information(const torch::Tensor& train_f, const torch::Tensor& train_v,
                                      const torch::Tensor& test_f, const torch::Tensor& test_v, int classes,
                                      const ProbeBudget& b) {
  if (train_f.dim() != 2 || test_f.dim() != 2 || train_f.size(1) != test_f.size(1) ||
      train_f.size(0) != train_v.size(0) || test_f.size(0) != test_v.size(0) || train_f.size(0) < 2 ||
      test_f.size(0) < 1)
    throw std::invalid_argument("probe: features " + c10::str(train_f.sizes()) + " / " + c10::str(test_f.sizes()) +
                                " do not match their targets " + c10::str(train_v.sizes()) + " / " +
                                c10::str(test_v.sizes()));
  torch::manual_seed(b.seed);
  // Centred and scaled by one overall standard deviation: per-feature scaling would blow up units
  // that are almost constant on the probe's training images (dead ReLUs) but not on the test images.
  torch::Tensor mean = train_f.mean(0);
  double scale = std::max(1e-12, (train_f - mean).pow(2).mean().sqrt().item<double>());
  torch::Tensor xs = (train_f - mean) / scale, xt = (test_f - mean) / scale;
  // The last fifth of the training features decides when to stop (the epoch with the lowest
  // cross-entropy there), so a probe that starts to overfit does not loosen the bound.
  int64_t n = xs.size(0), fit = std::max<int64_t>(1, n - n / 5);
  torch::Tensor xv = xs.slice(0, fit), vv = train_v.slice(0, fit);
  if (fit == n) xv = xs, vv = train_v;
  int64_t d = train_f.size(1);
  torch::nn::Sequential probe;
  if (b.hidden > 0) {
    probe->push_back(torch::nn::Linear(d, b.hidden));
    probe->push_back(torch::nn::ReLU());
    probe->push_back(torch::nn::Linear(b.hidden, classes));
  } else {
    probe->push_back(torch::nn::Linear(d, classes));
  }
  torch::optim::Adam opt(probe->parameters(), torch::optim::AdamOptions(b.lr).weight_decay(b.weight_decay));
  std::vector<torch::Tensor> best;
  double best_loss = std::numeric_limits<double>::infinity();
  for (int epoch = 0; epoch < b.epochs; ++epoch) {
    torch::Tensor order = torch::randperm(fit, torch::kLong);
    for (int64_t start = 0; start < fit; start += b.batch_size) {
      torch::Tensor idx = order.slice(0, start, std::min(fit, start + b.batch_size));
      opt.zero_grad();
      F::cross_entropy(probe->forward(xs.index_select(0, idx)), train_v.index_select(0, idx)).backward();
      opt.step();
    }
    torch::NoGradGuard no_grad;
    double loss = F::cross_entropy(probe->forward(xv), vv).item<double>();
    if (loss < best_loss) {
      best_loss = loss;
      best.clear();
      for (const auto& p : probe->parameters()) best.push_back(p.detach().clone());
    }
  }
  {
    torch::NoGradGuard no_grad;
    auto params = probe->parameters();
    for (size_t k = 0; k < params.size(); ++k) params[k].copy_(best[k]);
  }
  torch::NoGradGuard no_grad;
  torch::Tensor logits = probe->forward(xt);
  InformationEstimate e;
  e.entropy = plug_in_entropy(test_v, classes);
  e.cross_entropy = F::cross_entropy(logits.to(torch::kDouble), test_v).item<double>();
  e.bound = e.entropy - e.cross_entropy;
  e.accuracy = logits.argmax(1).eq(test_v).to(torch::kDouble).mean().item<double>();
  return e;
}

torch::Tensor probe_features(const torch::Tensor& h, int64_t max_features) {
  if (h.dim() == 2) return h.to(torch::kFloat);
  if (h.dim() != 4) throw std::invalid_argument("probe_features: a block output must be [N, F] or [N, C, H, W]");
  int64_t c = h.size(1);
  int64_t side = std::max<int64_t>(1, int64_t(std::sqrt(double(max_features) / double(c))));
  side = std::min({side, h.size(2), h.size(3)});
  return F::adaptive_avg_pool2d(h, F::AdaptiveAvgPool2dFuncOptions({side, side})).flatten(1).to(torch::kFloat);
}

torch::Tensor nuisance_patterns(const InputShape& input, int count, double amplitude, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  torch::Tensor grid = torch::randn({count, input.channels, 4, 4}, gen);
  torch::Tensor p = F::interpolate(grid, F::InterpolateFuncOptions()
                                             .size(std::vector<int64_t>{input.height, input.width})
                                             .mode(torch::kBilinear)
                                             .align_corners(false));
  p = p - p.mean({1, 2, 3}, true);
  return p / p.flatten(1).std(1).view({count, 1, 1, 1}).clamp_min(1e-12) * amplitude;
}

}  // namespace dcl::analysis
