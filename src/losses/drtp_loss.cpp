#include "dcl/losses/drtp_loss.h"

#include <cmath>
#include <stdexcept>

namespace dcl {

DrtpLoss::DrtpLoss(int classes, int64_t output_size, double scale) {
  double bound = scale * std::sqrt(6.0 / double(output_size));
  feedback = register_buffer("feedback", torch::empty({classes, output_size}).uniform_(-bound, bound));
}

torch::Tensor DrtpLoss::target_projection(const torch::Tensor& h, const torch::Tensor& y) {
  if (h.numel() != y.size(0) * feedback.size(1))
    throw std::invalid_argument("drtp: block output " + c10::str(h.sizes()) +
                                " does not match its feedback matrix of " + std::to_string(feedback.size(1)) +
                                " values per sample");
  return feedback.index_select(0, y).view(h.sizes());
}

LossOutput DrtpLoss::forward(const torch::Tensor& h, const Target& target) {
  // The surrogate has no minimum (a ReLU unit whose feedback is negative grows without bound), so
  // its value says nothing about training; it is reported as 0 and only its gradient is used.
  torch::Tensor surrogate = (h * target_projection(h, target.labels)).sum();
  return {surrogate - surrogate.detach(), {}};
}

}  // namespace dcl
