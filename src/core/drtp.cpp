#include "dcl/core/drtp.h"

#include <cmath>
#include <stdexcept>

namespace dcl {
namespace F = torch::nn::functional;

DrtpObjective::DrtpObjective(int classes, const std::vector<int64_t>& output_sizes) {
  double bound = 1.0 / std::sqrt(double(classes));
  for (size_t l = 0; l < output_sizes.size(); ++l) {
    torch::Tensor b = torch::empty({classes, output_sizes[l]}).uniform_(-bound, bound);
    feedback.push_back(register_buffer("feedback" + std::to_string(l), b));
  }
}

torch::Tensor DrtpObjective::target_projection(int block, const torch::Tensor& h, const torch::Tensor& y) {
  const torch::Tensor& b = feedback.at(size_t(block));
  if (h.numel() != y.size(0) * b.size(1))
    throw std::invalid_argument("drtp: block " + std::to_string(block) + " output " + c10::str(h.sizes()) +
                                " does not match its feedback matrix of " + std::to_string(b.size(1)) +
                                " values per sample");
  return (b.index_select(0, y) / double(y.size(0))).view(h.sizes());
}

torch::Tensor DrtpObjective::loss(int block, const torch::Tensor& h, const torch::Tensor& y) {
  return (h * target_projection(block, h, y)).sum();
}

DrtpLearner::DrtpLearner(Network net, std::shared_ptr<DrtpObjective> objective, const RunConfig& cfg)
    : Learner(net), objective_(std::move(objective)) {
  for (auto& block : net_->blocks) optimizers.push_back(make_optimizer(cfg, block->parameters()));
  optimizers.push_back(make_optimizer(cfg, net_->head->parameters()));
}

StepResult DrtpLearner::train_step(const torch::Tensor& x, const torch::Tensor& y) {
  StepResult r;
  torch::Tensor h = x.detach();
  for (size_t l = 0; l < net_->blocks.size(); ++l) {
    torch::Tensor out = net_->blocks[l]->forward(h);
    torch::Tensor projection = objective_->target_projection(int(l), out, y);
    double value = (out.detach() * projection).sum().item<double>();  // the surrogate L_l, for the log
    check_finite(value, "block " + std::to_string(l));
    auto& opt = *optimizers[l];
    opt.zero_grad();
    out.backward(projection);  // the DRTP rule: B_l^T y* is the gradient at the block output
    opt.step();
    release_gradients(opt);
    r.block_losses.push_back(value);
    h = out.detach();
  }
  train_head(h, y, r);
  return r;
}

}  // namespace dcl
