#pragma once
// A trained run outside dcl: `dcl export` writes the model's tensors in PyTorch's own file format
// (torch.load reads it: a dict of name -> tensor, the names of Model::named_state) and, beside it
// in FILE.json, what rebuilds the model: the run's configuration, the input's shape and
// normalisation, the classes and their names. The Python package loads either form.
#include <string>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "dcl/stages/model.h"
#include "dcl/training/run_config.h"

namespace dcl {

// A model with trained weights, ready to predict (evaluation mode, on the CPU).
struct LoadedModel {
  RunConfig cfg;
  Model model;
  InputShape input;
  int fc_patches = 0, fc_width = 0;  // the dataset's fc network P and W (build_model)
  std::vector<std::string> class_names;
  std::vector<float> mean, std;  // per channel, on pixel/255: the normalisation the run trained with
  int epochs_trained = 0;

  // uint8 images [N, C, H, W] -> the network's float input, exactly as dcl's test batches.
  torch::Tensor normalise(const torch::Tensor& images) const;
  // Class scores [N, Z] of normalised input (the readout behind dcl eval's test accuracy).
  torch::Tensor predict(const torch::Tensor& x);
  // What FILE.json holds.
  nlohmann::json architecture() const;
};

// From a run directory (config.json + checkpoint.pt; `data_dir` overrides the recorded dataset
// directory, which a folder dataset reads its classes from) or from an export file.
LoadedModel load_model(const std::string& path, const std::string& data_dir = "");

// Writes `file` and `file`.json (each atomically) from the run in `run_dir`; returns the
// architecture written.
nlohmann::json export_run(const std::string& run_dir, const std::string& file, const std::string& data_dir = "");

}  // namespace dcl
