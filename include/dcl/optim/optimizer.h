#pragma once
// Optimiser settings, parsed once, and the factory every method builds its stages' optimisers with.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "dcl/util/enum_names.h"

namespace dcl {

enum class OptimizerKind { AdamW, Adam, Sgd };
template <>
const std::vector<std::string>& names_of<OptimizerKind>();  // adamw, adam, sgd

struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::AdamW;
  double lr = 5e-4;
  double weight_decay = 0.01;
  double momentum = 0.9;  // sgd only
  bool nesterov = false;  // sgd only: Nesterov's momentum (InfoPro's, DGL's and AugLocal's training scripts)
};

// Builds one optimiser over the given tensors.
using OptimizerFactory = std::function<std::shared_ptr<torch::optim::Optimizer>(std::vector<torch::Tensor>)>;

// The factory for `options` (AdamW is FusedAdamW: same results, one pass per parameter).
OptimizerFactory optimizer_factory(const OptimizerOptions& options);

}  // namespace dcl
