#pragma once
// A finished or interrupted run directory brought back to life: its config, dataset and model
// with the checkpoint's weights, in evaluation mode. `dcl eval` and `dcl analyze` start here.
#include <string>

#include <torch/torch.h>

#include "dcl/data/registry.h"
#include "dcl/stages/model.h"
#include "dcl/training/checkpoint.h"
#include "dcl/training/run_config.h"

namespace dcl {

struct SavedRun {
  std::string dir;
  RunConfig cfg;
  const data::DatasetInfo* info = nullptr;
  data::DatasetSplits splits;
  Model model;
  torch::Device device{torch::kCPU};
  TrainingProgress progress;  // how far the checkpoint had trained
  InputShape input() const { return {info->channels, info->height, info->width}; }
};

// Reads DIR/config.json and DIR/checkpoint.pt (errors name the file and what is wrong); `data_dir`
// overrides the recorded dataset directory when not empty; `threads` as configure_threads.
SavedRun load_saved_run(const std::string& dir, const std::string& data_dir, int threads);

}  // namespace dcl
