#pragma once
// Presets: the training schedule a method is run with under `--preset quick|paper`. Spec
// section 4 gives the paper's schedule per architecture and dataset; a method whose own source
// gives other settings brings its own rule (MethodInfo::preset).
#include <string>
#include <vector>

#include "dcl/enum_names.h"
#include "dcl/nn/network.h"
#include "dcl/stages/optimizer.h"

namespace dcl {

enum class Preset { None, Quick, Paper };
template <>
const std::vector<std::string>& names_of<Preset>();  // none, quick, paper

struct TrainingSchedule {
  OptimizerKind optimizer = OptimizerKind::AdamW;
  double lr = 5e-4;
  int batch = 512;
  double gamma = 0.5;  // MultiStep decay factor
  int epochs = 1;
  std::vector<int> milestones;
  double dropout = 0;
};

// Spec section 4. K-MNIST and F-MNIST use the MNIST values for fc and simple*, SVHN the CIFAR-10
// values, CIFAR-20 the CIFAR-100 values.
TrainingSchedule paper_schedule(Arch arch, const std::string& data);

// The default rule: paper = paper_schedule; quick = its optimiser settings for a few epochs (5 for
// fc, 3 otherwise), halving the lr for the last one. Preset::None is not a schedule (throws).
TrainingSchedule default_preset(Preset preset, Arch arch, const std::string& data);

}  // namespace dcl
