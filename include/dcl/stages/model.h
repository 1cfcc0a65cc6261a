#pragma once
// Everything one run trains: the network, the stages that update it, state shared between stages,
// the schedule that drives the stages and the readout that predicts. A method builds it
// (methods/method.h); the trainer, evaluator, checkpoint and bench only use this interface.
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "dcl/nn/network.h"
#include "dcl/stages/readout.h"
#include "dcl/stages/schedule.h"
#include "dcl/stages/stage.h"

namespace dcl {

struct Model {
  Network net{nullptr};
  std::vector<std::shared_ptr<Stage>> stages;  // in update order; names are unique
  // State that several stages' optimisers update (DCL's adaptive dictionary), by name.
  std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> shared;
  std::unique_ptr<Schedule> schedule;
  std::unique_ptr<Readout> readout;
  // Runs once on the training images before the first step of a new run (not on resume: what it
  // sets is saved with the model); `next_images` yields the batches of one pass, then an undefined
  // tensor. Returns what it did, for the log ("" = nothing). Empty for most methods (CaFo: its
  // frozen blocks' BatchNorm statistics).
  std::function<std::string(Model&, const std::function<torch::Tensor()>& next_images)> prepare;

  // Throws std::out_of_range listing the stage names.
  Stage& stage(const std::string& name);

  int64_t network_parameters();
  // Trainable state outside the network: dictionary, auxiliary heads, predictors, circuits.
  int64_t auxiliary_parameters();
  void to(const torch::Device& device);
  void train(bool on);
  void set_lr(double lr);
  void set_amp(Amp amp, c10::DeviceType device);
  // Every tensor of the model once, by a stable name, for checkpoints: net.*, shared.<name>.*,
  // stage.<name>.block.* (tensors the network does not hold), stage.<name>.loss.*.
  std::vector<std::pair<std::string, torch::Tensor>> named_state();
};

}  // namespace dcl
