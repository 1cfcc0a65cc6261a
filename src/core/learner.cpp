#include "dcl/core/learner.h"

#include "dcl/core/fused_adamw.h"

#include <cmath>
#include <stdexcept>

namespace dcl {
namespace F = torch::nn::functional;

void check_finite(double loss, const std::string& where) {
  if (!std::isfinite(loss))
    throw std::runtime_error("loss of " + where + " is " + std::to_string(loss) +
                             ": training diverged (try a lower --lr); the last checkpoint is kept as it was");
}

std::shared_ptr<torch::optim::Optimizer> make_optimizer(const RunConfig& cfg, std::vector<torch::Tensor> params) {
  namespace o = torch::optim;
  if (cfg.optimizer == "adamw")
    return std::make_shared<FusedAdamW>(params, o::AdamWOptions(cfg.lr).weight_decay(cfg.weight_decay));
  if (cfg.optimizer == "adam")
    return std::make_shared<o::Adam>(params, o::AdamOptions(cfg.lr).weight_decay(cfg.weight_decay));
  if (cfg.optimizer == "sgd")
    return std::make_shared<o::SGD>(params, o::SGDOptions(cfg.lr).momentum(cfg.momentum).weight_decay(cfg.weight_decay));
  throw std::invalid_argument("unknown --optimizer '" + cfg.optimizer + "' (valid: adamw, adam, sgd)");
}

void release_gradients(torch::optim::Optimizer& opt) {
  for (auto& group : opt.param_groups())
    for (auto& p : group.params()) p.mutable_grad().reset();
}

double local_update(torch::optim::Optimizer& opt, const torch::Tensor& loss, const std::string& where) {
  double value = loss.item<double>();
  check_finite(value, where);
  opt.zero_grad();
  loss.backward();  // frees this loss's graph
  opt.step();
  release_gradients(opt);
  return value;
}

void Learner::train_head(const torch::Tensor& h, const torch::Tensor& y, StepResult& r) {
  torch::Tensor logits = net_->head->forward(h);
  r.head_loss = local_update(*optimizers.back(), F::cross_entropy(logits, y), "the classifier head");
  r.head_correct = logits.argmax(1).eq(y).sum().item<int64_t>();
}

void Learner::set_lr(double lr) {
  for (auto& opt : optimizers)
    for (auto& group : opt->param_groups()) group.options().set_lr(lr);
}

torch::Tensor Learner::predict(const torch::Tensor&, const std::vector<torch::Tensor>& outs) {
  return net_->head->forward(outs.back());
}

BPLearner::BPLearner(Network net, const RunConfig& cfg) : Learner(net) {
  optimizers.push_back(make_optimizer(cfg, net_->parameters()));
}

StepResult BPLearner::train_step(const torch::Tensor& x, const torch::Tensor& y) {
  auto& opt = *optimizers[0];
  torch::Tensor logits = net_->forward(x);
  torch::Tensor loss = F::cross_entropy(logits, y);
  StepResult r;
  r.head_loss = loss.item<double>();
  check_finite(r.head_loss, "the network (bp)");
  opt.zero_grad();
  loss.backward();
  opt.step();
  r.head_correct = logits.argmax(1).eq(y).sum().item<int64_t>();
  return r;
}

LocalLearner::LocalLearner(Network net, std::shared_ptr<LocalObjective> objective, const RunConfig& cfg)
    : Learner(net), objective_(std::move(objective)) {
  // As in the reference code: one optimiser per block over its parameters, its auxiliary
  // parameters and the shared ones (DCL's adaptive dictionary gets one update per block).
  for (size_t l = 0; l < net_->blocks.size(); ++l) {
    std::vector<torch::Tensor> params = net_->blocks[l]->parameters();
    for (auto& p : objective_->block_parameters(int(l))) params.push_back(p);
    for (auto& p : objective_->shared_parameters()) params.push_back(p);
    optimizers.push_back(make_optimizer(cfg, params));
  }
  optimizers.push_back(make_optimizer(cfg, net_->head->parameters()));
}

StepResult LocalLearner::train_step(const torch::Tensor& x, const torch::Tensor& y) {
  StepResult r;
  // `h` is the only activation carried between blocks, and it never requires grad: no gradient
  // crosses a block boundary and no block computes a gradient for its input.
  torch::Tensor h = x.detach();
  objective_->set_input(h);
  for (size_t l = 0; l < net_->blocks.size(); ++l) {
    torch::Tensor out = net_->blocks[l]->forward(h);
    r.block_losses.push_back(
        local_update(*optimizers[l], objective_->loss(int(l), out, y), "block " + std::to_string(l)));
    h = out.detach();  // the previous input is released here
  }
  train_head(h, y, r);
  return r;
}

}  // namespace dcl
