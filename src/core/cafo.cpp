#include "dcl/core/cafo.h"

#include <cmath>

namespace dcl {
namespace F = torch::nn::functional;

CafoObjective::CafoObjective(int classes, const std::vector<int64_t>& output_sizes) {
  for (size_t l = 0; l < output_sizes.size(); ++l)
    predictors.push_back(register_module("predictor" + std::to_string(l), torch::nn::Linear(output_sizes[l], classes)));
}

torch::Tensor CafoObjective::scores(int block, const torch::Tensor& h) {
  return predictors.at(size_t(block))->forward(h.flatten(1));
}

torch::Tensor CafoObjective::loss(int block, const torch::Tensor& h, const torch::Tensor& y) {
  return F::cross_entropy(scores(block, h), y);
}

std::vector<torch::Tensor> CafoObjective::block_parameters(int block) {
  return predictors.at(size_t(block))->parameters();
}

namespace {

// log of the mean of the per-block softmax distributions.
torch::Tensor combine(const std::vector<torch::Tensor>& log_probs) {
  return torch::logsumexp(torch::stack(log_probs), 0) - std::log(double(log_probs.size()));
}

}  // namespace

CafoLearner::CafoLearner(Network net, std::shared_ptr<CafoObjective> objective, const RunConfig& cfg)
    : Learner(net), objective_(std::move(objective)) {
  // Only the predictors learn; the blocks have no optimiser at all.
  for (size_t l = 0; l < net_->blocks.size(); ++l)
    optimizers.push_back(make_optimizer(cfg, objective_->block_parameters(int(l))));
}

StepResult CafoLearner::train_step(const torch::Tensor& x, const torch::Tensor& y) {
  StepResult r;
  std::vector<torch::Tensor> log_probs;
  torch::Tensor h = x.detach();
  for (size_t l = 0; l < net_->blocks.size(); ++l) {
    {
      torch::NoGradGuard frozen;
      net_->blocks[l]->eval();  // see the header: frozen blocks use their running statistics
      h = net_->blocks[l]->forward(h);
    }
    torch::Tensor logits = objective_->scores(int(l), h);
    r.block_losses.push_back(
        local_update(*optimizers[l], F::cross_entropy(logits, y), "the predictor of block " + std::to_string(l)));
    log_probs.push_back(torch::log_softmax(logits.detach(), 1));
  }
  torch::Tensor combined = combine(log_probs);
  r.head_loss = F::nll_loss(combined, y).item<double>();
  r.head_correct = combined.argmax(1).eq(y).sum().item<int64_t>();
  return r;
}

torch::Tensor CafoLearner::predict(const torch::Tensor&, const std::vector<torch::Tensor>& outs) {
  std::vector<torch::Tensor> log_probs;
  for (size_t l = 0; l < outs.size(); ++l) log_probs.push_back(torch::log_softmax(objective_->scores(int(l), outs[l]), 1));
  return combine(log_probs);
}

}  // namespace dcl
