#pragma once
// Schedules decide in which order, and where, stages update; they never write an update
// themselves (Stage::update does). SequentialSchedule is the local learner (and BP, with its one
// stage); methods whose stages talk to each other (PFF's settling) bring their own schedule.
#include <functional>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "dcl/stages/stage.h"
#include "dcl/util/enum_names.h"

namespace dcl {

// How a run's stages are driven: one after another, or concurrently (pipeline_schedule.h).
enum class ScheduleKind { Sequential, Pipeline };
template <>
const std::vector<std::string>& names_of<ScheduleKind>();  // sequential, pipeline

struct StepResult {
  std::vector<double> block_losses;  // per Block stage, in order (empty for BP)
  double train_loss = 0;             // the head's (or the network's) loss; else the mean block loss
  int64_t correct = 0;               // training predictions that were right, when has_accuracy
  bool has_accuracy = false;
  int64_t samples = 0;  // images in the batch this result is for
};

// Data-parallel training's hook into a schedule: a stage's gradients are handed over as soon as
// its backward ends and are waited for just before its step (training/distributed.h).
class GradientExchange {
 public:
  virtual ~GradientExchange() = default;
  // Starts combining `stage`'s gradients with the other processes'; returns at once.
  virtual void start(Stage& stage) = 0;
  // Waits until `stage`'s gradients are combined and written back in place.
  virtual void finish(Stage& stage) = 0;
};

class Schedule {
 public:
  virtual ~Schedule() = default;
  // One training step on images x [N, C, H, W] and labels y [N].
  virtual StepResult step(const torch::Tensor& x, const torch::Tensor& y) = 0;
  // The trainer's entry: hands over one batch and returns the results of the batches that have
  // finished, in order (a pipeline returns earlier batches', or none yet). drain() finishes every
  // batch in flight; after it the weights are those of a schedule that trained every batch.
  virtual std::vector<StepResult> push(const torch::Tensor& x, const torch::Tensor& y) {
    StepResult r = step(x, y);
    r.samples = y.size(0);
    return {r};
  }
  virtual std::vector<StepResult> drain() { return {}; }
  // After drain(): this process's copy of every stage becomes current (a process pipeline trains
  // the other stages on other processes), for evaluation and checkpoints. Collective over a job.
  virtual void synchronize_model() {}
  // Combines gradients across processes from now on; false when the schedule cannot overlap the
  // exchange with its stages (the caller then exchanges in each stage's gradient hook).
  virtual bool set_gradient_exchange(std::shared_ptr<GradientExchange> exchange) {
    (void)exchange;
    return false;
  }
};

// What the first stage sees: by default the images themselves; FF writes labels into them.
using InputEncoder = std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& y)>;

// Each stage updates on the previous stage's detached output, in order; the graph of a stage is
// released before the next one runs. The training prediction is the Head/Network stage's output,
// or, without one, the mean of the stages' class distributions (CaFo) when they have scores.
class SequentialSchedule : public Schedule {
 public:
  explicit SequentialSchedule(std::vector<std::shared_ptr<Stage>> stages, InputEncoder encoder = nullptr);
  StepResult step(const torch::Tensor& x, const torch::Tensor& y) override;
  // Stage l's exchange runs while stage l + 1 computes: l steps just before l + 1's loss when it
  // writes shared state that loss reads, else after l + 1's backward. Either way every stage
  // steps on the same gradients, in the same order, as without the exchange.
  bool set_gradient_exchange(std::shared_ptr<GradientExchange> exchange) override;

  const std::vector<std::shared_ptr<Stage>>& stages() const { return stages_; }
  const InputEncoder& encoder() const { return encoder_; }

 private:
  std::vector<std::shared_ptr<Stage>> stages_;
  InputEncoder encoder_;
  std::shared_ptr<GradientExchange> exchange_;
};

// Accumulates the results of a chain of stages on one batch into a StepResult: block losses,
// the head's loss and the training prediction (chain_prediction).
class StepAccumulator {
 public:
  void add(const Stage& stage, const StageResult& s);
  StepResult finish(const torch::Tensor& y);
  // What the stages so far added: a process pipeline sends it with the activation, and the next
  // process continues from it (only a chain's last stage is a Head).
  const std::vector<double>& block_losses() const { return r_.block_losses; }
  const std::vector<torch::Tensor>& layer_scores() const { return layer_scores_; }
  void continue_from(const std::vector<double>& block_losses, const std::vector<torch::Tensor>& layer_scores);

 private:
  StepResult r_;
  torch::Tensor head_scores_;
  std::vector<torch::Tensor> layer_scores_;
  double block_loss_sum_ = 0;
};

// log((1/L) Σ_l softmax(s_l)): the distributions of several layer-wise scores averaged.
torch::Tensor mean_distribution(const std::vector<torch::Tensor>& layer_scores);

// The one prediction rule of a stage chain, in training and evaluation alike: the Head/Network
// stage's scores when there is one, else the mean of the layer-wise distributions (CaFo), else
// undefined (FF-style methods predict otherwise).
torch::Tensor chain_prediction(const torch::Tensor& head_scores, const std::vector<torch::Tensor>& layer_scores);

}  // namespace dcl
