#include "dcl/losses/predictor_loss.h"

namespace dcl {

PredictorLoss::PredictorLoss(int classes, int64_t output_size, bool bias, bool ones) {
  predictor =
      register_module("predictor", torch::nn::Linear(torch::nn::LinearOptions(output_size, classes).bias(bias)));
  if (ones) {
    torch::NoGradGuard no_grad;
    predictor->weight.fill_(1);
  }
}

torch::Tensor PredictorLoss::scores(const torch::Tensor& h) { return predictor->forward(h.flatten(1)); }

LossOutput PredictorLoss::forward(const torch::Tensor& h, const Target& target) {
  torch::Tensor s = scores(h);
  return {torch::nn::functional::cross_entropy(s, target.labels), s};
}

}  // namespace dcl
