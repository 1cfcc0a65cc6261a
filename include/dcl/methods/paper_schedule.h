#pragma once
// Spec section 4: the paper's training schedule per architecture and dataset, and the presets
// built on it. Methods whose own source gives other settings bring their own preset.
#include <string>
#include <vector>

#include "dcl/nn/network.h"

namespace dcl {

struct RunConfig;

struct PaperSchedule {
  double lr;
  int batch;
  double gamma;
  int epochs;
  std::vector<int> milestones;
  double dropout;
};

// K-MNIST and F-MNIST use the MNIST values for fc and simple*, SVHN the CIFAR-10 values,
// CIFAR-20 the CIFAR-100 values.
PaperSchedule paper_schedule(Arch arch, const std::string& data);

// cfg.preset paper: the schedule above with AdamW; quick: the same optimiser settings for a few
// epochs (5 for fc, 3 otherwise), halving the lr for the last one. Fields named in `given` stay.
void apply_paper_preset(RunConfig& cfg, const std::vector<std::string>& given);

}  // namespace dcl
