#pragma once
// The method registry: a method name -> how to build its objective and learner. Adding a method
// means one new objective/learner file and one line in method.cpp.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dcl/core/learner.h"
#include "dcl/core/network.h"
#include "dcl/core/objective.h"
#include "dcl/core/run_config.h"

namespace dcl {

// Everything one run trains: the network, the method's objective (null for BP), the learner.
struct Model {
  Network net{nullptr};
  std::shared_ptr<LocalObjective> objective;
  std::unique_ptr<Learner> learner;

  int64_t network_parameters();
  int64_t auxiliary_parameters();  // trainable objective state (learned dictionary, heads)
  void to(const torch::Device& device);
  void train(bool on);
  // Every tensor of network and objective, by name, for checkpoints.
  std::vector<std::pair<std::string, torch::Tensor>> named_state();
};

struct MethodInfo {
  std::string name;
  std::string description;
  std::function<void(Model&, const RunConfig&, int classes)> build;  // fills objective + learner
};

const std::vector<MethodInfo>& methods();
// Throws std::invalid_argument listing valid methods.
const MethodInfo& method_info(const std::string& name);

// Builds network, objective and learner for cfg on inputs of `input` shape. Throws
// std::invalid_argument when the architecture does not fit the input.
Model build_model(const RunConfig& cfg, const InputShape& input, int classes);

}  // namespace dcl
