#include "dcl/core/ff.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dcl {
namespace F = torch::nn::functional;

torch::Tensor overlay_label(const torch::Tensor& x, const torch::Tensor& labels, int classes) {
  int64_t n = x.size(0);
  torch::Tensor flat = x.reshape({n, -1}).clone();
  if (flat.size(1) < classes)
    throw std::invalid_argument("ff: an input of " + std::to_string(flat.size(1)) + " values cannot hold a one-hot of " +
                                std::to_string(classes) + " labels");
  flat.narrow(1, 0, classes).copy_(F::one_hot(labels.to(torch::kLong), classes).to(flat.dtype()));
  return flat.view(x.sizes());
}

torch::Tensor normalise_length(const torch::Tensor& h) {
  torch::Tensor flat = h.reshape({h.size(0), -1});
  torch::Tensor rms = flat.norm(2, 1, true) / std::sqrt(double(flat.size(1)));
  return (flat / (rms + 1e-8)).view(h.sizes());
}

torch::Tensor goodness(const torch::Tensor& h) { return h.reshape({h.size(0), -1}).pow(2).mean(1); }

torch::Tensor ff_loss(const torch::Tensor& g_pos, const torch::Tensor& g_neg, double threshold) {
  return (F::softplus(-(g_pos - threshold)) + F::softplus(g_neg - threshold)).mean();
}

torch::Tensor wrong_labels(const torch::Tensor& y, int classes) {
  // y + k (mod Z) with k uniform in 1..Z-1 is uniform over the wrong labels.
  return (y + torch::randint(1, classes, y.sizes(), y.options())).remainder(classes);
}

FFLearner::FFLearner(Network net, const RunConfig& cfg, const FFOptions& options) : Learner(net), options_(options) {
  for (auto& block : net_->blocks) optimizers.push_back(make_optimizer(cfg, block->parameters()));
}

torch::Tensor FFLearner::pair_loss(const torch::Tensor& g_pos, const torch::Tensor& g_neg) {
  return ff_loss(g_pos, g_neg, options_.threshold);
}

StepResult FFLearner::train_step(const torch::Tensor& x, const torch::Tensor& y) {
  int64_t n = x.size(0);
  torch::Tensor h = torch::cat({overlay_label(x, y, options_.classes),
                                overlay_label(x, wrong_labels(y, options_.classes), options_.classes)});
  StepResult r;
  double total = 0;
  for (size_t l = 0; l < net_->blocks.size(); ++l) {
    // The input is detached: block l's loss reaches block l's parameters only.
    torch::Tensor out = net_->blocks[l]->forward(normalise_length(h.detach()));
    torch::Tensor g = goodness(out);
    r.block_losses.push_back(
        local_update(*optimizers[l], pair_loss(g.narrow(0, 0, n), g.narrow(0, n, n)), "block " + std::to_string(l)));
    total += r.block_losses.back();
    h = out.detach();
  }
  // No classifier head: the reported training loss is the mean block loss.
  r.head_loss = total / double(std::max<size_t>(1, net_->blocks.size()));
  return r;
}

torch::Tensor FFLearner::label_goodness(const torch::Tensor& x, const torch::Tensor& labels) {
  torch::Tensor h = overlay_label(x, labels, options_.classes);
  torch::Tensor total = torch::zeros({x.size(0)}, x.options());
  for (size_t l = 0; l < net_->blocks.size(); ++l) {
    h = net_->blocks[l]->forward(normalise_length(h));
    if (int(l) >= options_.first_scoring_block) total += goodness(h);
  }
  return total;
}

torch::Tensor FFLearner::predict(const torch::Tensor& x, const std::vector<torch::Tensor>&) {
  torch::NoGradGuard no_grad;
  const int64_t n = x.size(0), z = options_.classes;
  // Rows of the replicated batch are label-major: row k*N + i holds sample i with label k.
  // Chunks of labels keep the replicated batch near 8192 samples (conv nets).
  int64_t per_chunk = std::max<int64_t>(1, std::min<int64_t>(z, 8192 / std::max<int64_t>(1, n)));
  std::vector<torch::Tensor> columns;
  for (int64_t k0 = 0; k0 < z; k0 += per_chunk) {
    int64_t k = std::min(per_chunk, z - k0);
    torch::Tensor labels = torch::arange(k0, k0 + k, torch::TensorOptions().dtype(torch::kLong).device(x.device()))
                               .repeat_interleave(n);
    std::vector<int64_t> reps(size_t(x.dim()), 1);
    reps[0] = k;
    torch::Tensor g = label_goodness(x.repeat(reps), labels);
    columns.push_back(g.view({k, n}).t());
  }
  return torch::cat(columns, 1);
}

}  // namespace dcl
