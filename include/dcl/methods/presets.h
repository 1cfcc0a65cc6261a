#pragma once
// Presets: the settings a method is run with under `--preset quick|paper`. Spec section 4 gives the
// DCL paper's schedule per architecture and dataset; a method whose own source gives other settings
// brings its own rule (MethodInfo::preset) with its optimiser, schedule and method settings, each
// cited in the method's file.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dcl/enum_names.h"
#include "dcl/nn/network.h"
#include "dcl/stages/optimizer.h"

namespace dcl {

enum class Preset { None, Quick, Paper };
template <>
const std::vector<std::string>& names_of<Preset>();  // none, quick, paper

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
  int batch = 512;
  LrSchedule lr_schedule = LrSchedule::Step;
  double gamma = 0.5;  // MultiStep decay factor
  int epochs = 1;
  std::vector<int> milestones;
  double dropout = 0;
  int fc_width = 0;  // 0 = the spec's width
  // The method's own settings under this preset: config.json keys and their values.
  nlohmann::json settings = nlohmann::json::object();
  // Where the numbers come from (paper section or repository path): `dcl methods` and `dcl train
  // --preset` print it.
  std::string source;
};

// Spec section 4. K-MNIST and F-MNIST use the MNIST values for fc and simple*, SVHN the CIFAR-10
// values, CIFAR-20 the CIFAR-100 values.
TrainingSchedule paper_schedule(Arch arch, const std::string& data);

// The quick form of a paper preset: the same optimiser and method settings for a few epochs (5 for
// fc, 3 otherwise), the lr halved for the last one (step) or cooled down over the second half.
TrainingSchedule quick_form(TrainingSchedule paper, Arch arch);

// `paper` itself, or its quick form; Preset::None is not a schedule (throws std::logic_error).
TrainingSchedule preset_form(Preset preset, Arch arch, TrainingSchedule paper);

// The default rule: paper = paper_schedule, quick = its quick form.
TrainingSchedule default_preset(Preset preset, Arch arch, const std::string& data);

// The learning rate of epoch `epoch` (0-based) of `epochs` under a schedule.
double scheduled_lr(double lr, LrSchedule schedule, double gamma, const std::vector<int>& milestones, int epoch,
                    int epochs);

bool mnist_like(const std::string& data);  // mnist, kmnist, fmnist

}  // namespace dcl
