#include "dcl/optim/optimizer.h"

#include "dcl/optim/fused_adamw.h"

namespace dcl {

template <>
const std::vector<std::string>& names_of<OptimizerKind>() {
  static const std::vector<std::string> names = {"adamw", "adam", "sgd"};
  return names;
}

OptimizerFactory optimizer_factory(const OptimizerOptions& o) {
  return [o](std::vector<torch::Tensor> params) -> std::shared_ptr<torch::optim::Optimizer> {
    namespace optim = torch::optim;
    switch (o.kind) {
      case OptimizerKind::AdamW:
        return std::make_shared<FusedAdamW>(params, optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));
      case OptimizerKind::Adam:
        return std::make_shared<optim::Adam>(params, optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
      case OptimizerKind::Sgd:
        return std::make_shared<optim::SGD>(
            params, optim::SGDOptions(o.lr).momentum(o.momentum).nesterov(o.nesterov).weight_decay(o.weight_decay));
    }
    throw std::logic_error("unhandled optimizer kind");
  };
}

}  // namespace dcl
