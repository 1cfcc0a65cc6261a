#pragma once
// The architecture registry. An architecture is a builder in a file of its own (one per family,
// src/nn/archs/), registered with one line in src/nn/archs/registry.cpp; it declares its family,
// the inputs it takes, its block shapes (built) and its preset, the DCL paper's schedule for it
// (spec section 4). Nothing outside its file names an architecture.
#include <functional>
#include <string>
#include <vector>

#include "dcl/data/registry.h"
#include "dcl/optim/training_schedule.h"

namespace dcl {

class NetworkImpl;
struct NetworkOptions;

// Fc: blocks of linear layers on the flattened image, block outputs viewed as patches (spec
// section 1). Conv: convolutional blocks with BatchNorm, block outputs [N, C, H, W].
enum class ArchFamily { Fc, Conv };

struct ArchInfo {
  std::string name;
  std::string description;
  ArchFamily family = ArchFamily::Conv;
  std::string inputs;  // the input sizes it takes, for help and errors ("any", "28, 32 or 96 px square")
  // Fills net.blocks, net.shapes and net.head for the options; throws std::invalid_argument naming
  // the input when it does not fit.
  std::function<void(NetworkImpl& net, const NetworkOptions& options)> build;
  // DCL's orthogonal dictionary init scale as the authors' code sets it for this network (spec
  // section 1); 0: sqrt(CD).
  double orthogonal_scale = 0;
  // The smallest training batch: 2 where BatchNorm normalises over the batch.
  int min_batch = 2;
  // Networks of residual units split into local modules (`--local-modules K`): the largest K (one
  // unit per module) and the default; 0: the blocks are fixed and the flag does not apply.
  int max_local_modules = 0;
  int default_local_modules = 0;
  // The DCL paper's schedule for this network on a dataset (spec section 4).
  std::function<TrainingSchedule(const data::DatasetInfo& data)> paper_schedule;
};

const std::vector<ArchInfo>& architectures();
std::vector<std::string> arch_names();
// Throws std::invalid_argument listing the valid names.
const ArchInfo& arch_info(const std::string& name);

// The source the DCL paper's schedule cites, for every architecture's preset.
extern const char* const kDclPaperScheduleSource;

// One schedule of the DCL paper's table (spec section 4): AdamW, its lr, batch, lr decay factor,
// epochs, milestones and dropout.
TrainingSchedule dcl_paper_schedule(double lr, int batch, double gamma, int epochs, std::vector<int> milestones,
                                    double dropout);

}  // namespace dcl
