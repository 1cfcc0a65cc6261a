#pragma once
// A stage is the unit of local learning: one block, its local loss (a module with its own
// parameters) and the optimiser over both. Stage::update is the only place where the
// forward / loss / finite check / backward / step / release sequence is written; every method,
// BP included (one stage over the whole network), trains through it.
//
// A stage reads nothing but its input and the targets, and its input is detached on entry, so
// its backward can reach nothing outside the stage. Schedules (schedule.h) only decide in which
// order, and where, stages update; the same stages can run one after another, in a pipeline of
// threads or devices (each stage owns its optimiser state; only `shared` state needs ordering),
// or data-parallel (a gradient hook all-reduces a stage's gradients between backward and step).
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "dcl/losses/local_loss.h"
#include "dcl/stages/mixed_precision.h"

namespace dcl {

enum class StageKind {
  Block,     // one block of the network: a local learner's unit
  Head,      // the classifier head on the last block's (detached) output
  Network,   // the whole network end to end (BP)
  Auxiliary  // extra state with its own loss (PFF's generative circuit)
};

// A block as a stage sees it: the module (parameters, train/eval mode, device) and its forward.
struct StageBlock {
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const torch::Tensor&)> forward;
};

// Any module holder with forward(Tensor) -> Tensor (Sequential, Network, ...).
template <typename Holder>
StageBlock stage_block(Holder holder) {
  return {holder.ptr(), [holder](const torch::Tensor& x) mutable { return holder->forward(x); }};
}

// The parts of Stage::update, in order, as an observer sees them.
enum class StagePhase {
  Forward,   // the block's forward on the detached input
  Loss,      // the local loss on the block's output
  Backward,  // zero_grad and backward through this stage's graph
  Step,      // the gradient hook and the optimiser step
  Done       // the update has released its gradients
};
const char* name_of(StagePhase phase);

struct StageResult {
  torch::Tensor output;  // the block output, detached: the next stage's input
  double loss = 0;
  torch::Tensor scores;  // [N, Z] class scores from the loss, detached, or undefined
};

class Stage {
 public:
  // `block` computes, `loss` judges, `optimizer` steps over `parameters()` (empty when frozen).
  // A frozen block is a fixed function: evaluated without gradient and always in eval mode.
  Stage(std::string name, StageKind kind, StageBlock block, std::shared_ptr<LocalLoss> loss, bool frozen);

  // One local update, compute() then apply(); throws std::runtime_error naming the stage when the
  // loss is not finite (before any weight changes). With a shared-state lock (set_shared_lock),
  // the lock is held while the loss reads the shared state and its backward runs, released for
  // the block's own backward, and taken again for the optimiser step, which writes it.
  StageResult update(const torch::Tensor& input, const Target& target);
  // The first half of update(): forward, loss, finite check and backward, leaving the gradients
  // in place. `before_loss` runs between the block's forward and the loss (a data-parallel
  // schedule finishes the previous stage's step there, so that this loss reads the state that
  // step wrote).
  StageResult compute(const torch::Tensor& input, const Target& target,
                      const std::function<void()>& before_loss = nullptr);
  // The second half: the gradient hook, the optimiser step and the release of the gradients.
  void apply();
  // The block alone (evaluation, schedules that only need the output).
  torch::Tensor forward(const torch::Tensor& input);

  // Every tensor the optimiser of this stage updates: the block's (unless frozen), the loss's and
  // the shared state's it was given.
  std::vector<torch::Tensor> parameters();
  void set_optimizer(std::shared_ptr<torch::optim::Optimizer> optimizer);
  // Names state shared with other stages (DCL's adaptive dictionary): this stage's optimiser
  // updates it too, so concurrent schedules must order those updates.
  void add_shared(const std::string& name, const std::vector<torch::Tensor>& parameters);
  void train(bool on);
  void set_lr(double lr);

  const std::string& name() const { return name_; }
  StageKind kind() const { return kind_; }
  bool frozen() const { return frozen_; }
  torch::nn::Module& block() { return *block_.module; }
  LocalLoss& loss() { return *loss_; }
  std::shared_ptr<LocalLoss> loss_ptr() { return loss_; }
  torch::optim::Optimizer& optimizer() { return *optimizer_; }
  const std::vector<std::string>& shared_state() const { return shared_names_; }

  // Serialises this stage's use of its shared state with the other stages holding the same lock
  // (the pipeline schedule's policy for DCL's adaptive dictionary).
  void set_shared_lock(std::shared_ptr<std::mutex> lock) { shared_lock_ = std::move(lock); }

  // Called after this stage's backward and before its step, with the gradients in place (a
  // data-parallel schedule all-reduces them here).
  void set_gradient_hook(std::function<void(Stage&)> hook) { gradient_hook_ = std::move(hook); }

  // Called as an update enters each phase, on the thread that runs the update: the step profiler
  // (experiments/step_profile.h) and the gradient-isolation test use it. One observer for all
  // stages.
  using Observer = std::function<void(const Stage&, StagePhase)>;
  static void set_observer(Observer observer);

  // Gradient accumulation: compute() splits the batch into n micro-batches (the first ones one
  // sample larger when n does not divide it), each forward, loss and backward in turn with its loss
  // weighted by its share of the batch, so that the summed gradient is the whole batch's mean
  // loss's (up to BatchNorm, which normalises each micro-batch by its own statistics). Memory: one
  // micro-batch's graph. The result's loss, output and scores are the whole batch's.
  void set_micro_batches(int n) { micro_batches_ = std::max(1, n); }
  int micro_batches() const { return micro_batches_; }

  // Runs the block under autocast (amp) on `device`'s type; its output is cast back to float32.
  void set_amp(Amp amp, c10::DeviceType device) {
    amp_ = amp;
    amp_device_ = device;
  }

 private:
  // The forward half of every update: the block on the detached input, [before_loss,] the loss,
  // its check, the optimiser's zeroed gradients. The backward is the caller's.
  struct Loss {
    torch::Tensor output;
    LossOutput out;
    double value = 0;
    StageResult result() const;
  };
  Loss forward_loss(const torch::Tensor& input, const Target& target, const std::function<void()>& before_loss);
  StageResult update_sharing(const torch::Tensor& input, const Target& target);
  StageResult compute_in_micro_batches(const torch::Tensor& input, const Target& target,
                                       const std::function<void()>& before_loss);

  std::string name_;
  StageKind kind_;
  StageBlock block_;
  std::shared_ptr<LocalLoss> loss_;
  bool frozen_;
  std::shared_ptr<torch::optim::Optimizer> optimizer_;
  std::vector<std::string> shared_names_;
  std::vector<torch::Tensor> shared_;
  std::function<void(Stage&)> gradient_hook_;
  std::shared_ptr<std::mutex> shared_lock_;
  int micro_batches_ = 1;
  Amp amp_ = Amp::None;
  c10::DeviceType amp_device_ = c10::DeviceType::CPU;
};

// Throws std::runtime_error naming `where` when a loss is NaN or infinite.
void check_finite(double loss, const std::string& where);

}  // namespace dcl
