#include "dcl/core/symba.h"

namespace dcl {

torch::Tensor symba_loss(const torch::Tensor& g_pos, const torch::Tensor& g_neg, double alpha) {
  return torch::nn::functional::softplus(-alpha * (g_pos - g_neg)).mean();
}

SymBaLearner::SymBaLearner(Network net, const RunConfig& cfg, const FFOptions& options, double alpha)
    : FFLearner(net, cfg, options), alpha_(alpha) {}

torch::Tensor SymBaLearner::pair_loss(const torch::Tensor& g_pos, const torch::Tensor& g_neg) {
  return symba_loss(g_pos, g_neg, alpha_);
}

}  // namespace dcl
