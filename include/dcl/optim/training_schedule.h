#pragma once
// A training schedule: the optimiser, its learning rate and how that moves over the epochs, the
// batch, the epochs, dropout and a method's own settings. Presets (methods/presets.h) and each
// architecture's published schedule (nn/arch.h) are schedules.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dcl/optim/optimizer.h"
#include "dcl/util/enum_names.h"

namespace dcl {

// How the learning rate moves over the epochs: step (MultiStep: times gamma after each milestone),
// cooldown (constant for the first half, then linearly down: Hinton's FF) or cosine (half a cosine
// from lr towards 0 after a 10-epoch linear warm-up: InfoPro).
enum class LrSchedule { Step, Cooldown, Cosine };
template <>
const std::vector<std::string>& names_of<LrSchedule>();  // step, cooldown, cosine

struct TrainingSchedule {
  OptimizerKind optimizer = OptimizerKind::AdamW;
  double lr = 5e-4;
  double weight_decay = 0.01;
  double momentum = 0.9;  // sgd
  bool nesterov = false;  // sgd
  int batch = 512;
  LrSchedule lr_schedule = LrSchedule::Step;
  double gamma = 0.5;  // MultiStep decay factor
  int epochs = 1;
  std::vector<int> milestones;
  double dropout = 0;
  int fc_width = 0;                 // 0 = the spec's width
  std::string activation = "relu";  // the blocks' non-linearity (NetworkOptions::activation)
  // The method's own settings under this preset: config.json keys and their values.
  nlohmann::json settings = nlohmann::json::object();
  // Where the numbers come from (paper section or repository path): `dcl methods` and `dcl train
  // --preset` print it.
  std::string source;
};

// The learning rate of epoch `epoch` (0-based) of `epochs` under a schedule.
double scheduled_lr(double lr, LrSchedule schedule, double gamma, const std::vector<int>& milestones, int epoch,
                    int epochs);

}  // namespace dcl
