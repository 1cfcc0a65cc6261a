#include "dcl/losses/goodness.h"

#include <cmath>
#include <stdexcept>

namespace dcl {
namespace F = torch::nn::functional;

torch::Tensor overlay_label(const torch::Tensor& x, const torch::Tensor& labels, int classes) {
  int64_t n = x.size(0);
  torch::Tensor flat = x.reshape({n, -1}).clone();
  if (flat.size(1) < classes)
    throw std::invalid_argument("ff: an input of " + std::to_string(flat.size(1)) +
                                " values cannot hold a one-hot of " + std::to_string(classes) + " labels");
  flat.narrow(1, 0, classes).copy_(F::one_hot(labels.to(torch::kLong), classes).to(flat.dtype()));
  return flat.view(x.sizes());
}

torch::Tensor normalise_length(const torch::Tensor& h) {
  torch::Tensor flat = h.reshape({h.size(0), -1});
  torch::Tensor rms = flat.norm(2, 1, true) / std::sqrt(double(flat.size(1)));
  return (flat / (rms + 1e-8)).view(h.sizes());
}

torch::Tensor goodness(const torch::Tensor& h) { return h.reshape({h.size(0), -1}).pow(2).mean(1); }

torch::Tensor wrong_labels(const torch::Tensor& y, int classes) {
  // y + k (mod Z) with k uniform in 1..Z-1 is uniform over the wrong labels.
  return (y + torch::randint(1, classes, y.sizes(), y.options())).remainder(classes);
}

torch::Tensor ff_loss(const torch::Tensor& g_pos, const torch::Tensor& g_neg, double threshold) {
  return (F::softplus(-(g_pos - threshold)) + F::softplus(g_neg - threshold)).mean();
}

torch::Tensor symba_loss(const torch::Tensor& g_pos, const torch::Tensor& g_neg, double alpha) {
  return F::softplus(-alpha * (g_pos - g_neg)).mean();
}

torch::Tensor pff_goodness_loss(const torch::Tensor& z, int64_t positives, double threshold, bool sum) {
  torch::Tensor g = sum ? goodness(z) * double(z[0].numel()) : goodness(z);
  torch::Tensor pos = F::softplus(g.narrow(0, 0, positives) - threshold);
  torch::Tensor neg = F::softplus(threshold - g.narrow(0, positives, g.size(0) - positives));
  return torch::cat({pos, neg}).mean();
}

GoodnessLoss::GoodnessLoss(GoodnessRule rule, double parameter, double peer_weight, int64_t units)
    : rule_(rule), parameter_(parameter), peer_weight_(peer_weight) {
  if (peer_weight_ > 0) running_means = register_buffer("running_means", torch::full({units}, 0.5));
}

LossOutput GoodnessLoss::forward(const torch::Tensor& h, const Target&) {
  int64_t n = h.size(0) / 2;
  if (rule_ == GoodnessRule::Pff || rule_ == GoodnessRule::PffSum)
    return {pff_goodness_loss(h, n, parameter_, rule_ == GoodnessRule::PffSum), {}};
  // Hinton's logit is on the sum of squares: D g against D θ (SymBa's α too multiplies sums).
  const double units = double(h[0].numel());
  torch::Tensor g = goodness(h) * units;
  torch::Tensor pos = g.narrow(0, 0, n), neg = g.narrow(0, n, n);
  torch::Tensor loss =
      rule_ == GoodnessRule::FF ? ff_loss(pos, neg, parameter_ * units) : symba_loss(pos, neg, parameter_);
  if (peer_weight_ > 0) {
    torch::Tensor activity = h.narrow(0, 0, n).reshape({n, -1}).mean(0);
    if (activity.size(0) != running_means.size(0))
      throw std::invalid_argument("ff: peer normalisation of " + std::to_string(running_means.size(0)) +
                                  " units got a block output of " + std::to_string(activity.size(0)));
    torch::Tensor running = running_means.detach() * 0.9 + activity * 0.1;
    {
      torch::NoGradGuard no_grad;
      running_means.copy_(running);
    }
    loss = loss + peer_weight_ * (running.mean() - running).pow(2).mean();
  }
  return {loss, {}};
}

}  // namespace dcl
