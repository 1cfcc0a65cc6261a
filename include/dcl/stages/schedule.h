#pragma once
// Schedules decide in which order, and where, stages update; they never write an update
// themselves (Stage::update does). SequentialSchedule is the local learner (and BP, with its one
// stage); methods whose stages talk to each other (PFF's settling) bring their own schedule.
#include <functional>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "dcl/stages/stage.h"

namespace dcl {

struct StepResult {
  std::vector<double> block_losses;  // per Block stage, in order (empty for BP)
  double train_loss = 0;             // the head's (or the network's) loss; else the mean block loss
  int64_t correct = 0;               // training predictions that were right, when has_accuracy
  bool has_accuracy = false;
};

class Schedule {
 public:
  virtual ~Schedule() = default;
  // One training step on images x [N, C, H, W] and labels y [N].
  virtual StepResult step(const torch::Tensor& x, const torch::Tensor& y) = 0;
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

 private:
  std::vector<std::shared_ptr<Stage>> stages_;
  InputEncoder encoder_;
};

// log((1/L) Σ_l softmax(s_l)): the distributions of several layer-wise scores averaged.
torch::Tensor mean_distribution(const std::vector<torch::Tensor>& layer_scores);

// The one prediction rule of a stage chain, in training and evaluation alike: the Head/Network
// stage's scores when there is one, else the mean of the layer-wise distributions (CaFo), else
// undefined (FF-style methods predict otherwise).
torch::Tensor chain_prediction(const torch::Tensor& head_scores, const std::vector<torch::Tensor>& layer_scores);

}  // namespace dcl
