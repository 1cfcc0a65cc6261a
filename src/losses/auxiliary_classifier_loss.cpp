#include "dcl/losses/auxiliary_classifier_loss.h"

namespace dcl {

AuxiliaryClassifierLoss::AuxiliaryClassifierLoss(torch::nn::Sequential n) : network(register_module("network", n)) {}

LossOutput AuxiliaryClassifierLoss::forward(const torch::Tensor& h, const Target& target) {
  torch::Tensor logits = network->forward(h);
  return {torch::nn::functional::cross_entropy(logits, target.labels), logits};
}

torch::Tensor AuxiliaryClassifierLoss::scores(const torch::Tensor& h) { return network->forward(h); }

}  // namespace dcl
