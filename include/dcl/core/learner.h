#pragma once
// Learners decide the update schedule: BP (one global backward) or local (each block updates on
// its own detached input, then its graph is released before the next block runs).
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "dcl/core/network.h"
#include "dcl/core/objective.h"
#include "dcl/core/run_config.h"

namespace dcl {

struct StepResult {
  std::vector<double> block_losses;  // local losses (empty for BP)
  double head_loss = 0;
  int64_t head_correct = 0;          // correct classifier-head predictions in the batch
};

class Learner {
 public:
  explicit Learner(Network net) : net_(net) {}
  virtual ~Learner() = default;
  virtual StepResult train_step(const torch::Tensor& x, const torch::Tensor& y) = 0;
  // Class scores [N, Z] behind the reported test accuracy, from the input and every block's output
  // (evaluation mode, no grad). Default: the classifier head on the last block's output.
  virtual torch::Tensor predict(const torch::Tensor& x, const std::vector<torch::Tensor>& block_outputs);
  // Every optimiser the learner steps, in a fixed order (checkpoints rely on it).
  std::vector<std::shared_ptr<torch::optim::Optimizer>> optimizers;
  void set_lr(double lr);

 protected:
  // The classifier head's own step on the (detached) last block output, with the last optimiser.
  void train_head(const torch::Tensor& h, const torch::Tensor& y, StepResult& r);
  Network net_;
};

// Builds an optimiser of cfg.optimizer over `params`.
std::shared_ptr<torch::optim::Optimizer> make_optimizer(const RunConfig& cfg, std::vector<torch::Tensor> params);

class BPLearner : public Learner {
 public:
  BPLearner(Network net, const RunConfig& cfg);
  StepResult train_step(const torch::Tensor& x, const torch::Tensor& y) override;
};

class LocalLearner : public Learner {
 public:
  LocalLearner(Network net, std::shared_ptr<LocalObjective> objective, const RunConfig& cfg);
  StepResult train_step(const torch::Tensor& x, const torch::Tensor& y) override;

 private:
  std::shared_ptr<LocalObjective> objective_;
};

// A local block's gradients are dead once its optimiser has stepped: dropping them keeps only one
// block's gradients alive at a time (BP needs all of them at once).
void release_gradients(torch::optim::Optimizer& opt);

// One local update with `opt`: the loss's value (checked finite before any weight changes, the
// error naming `where`), backward, step, then the gradients released. Returns the value.
double local_update(torch::optim::Optimizer& opt, const torch::Tensor& loss, const std::string& where);

// Throws std::runtime_error naming the block when a loss is NaN or infinite.
void check_finite(double loss, const std::string& where);

}  // namespace dcl
