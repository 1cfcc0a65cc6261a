#include "dcl/losses/local_loss.h"

namespace dcl {

LossOutput CrossEntropyLoss::forward(const torch::Tensor& logits, const Target& target) {
  return {torch::nn::functional::cross_entropy(logits, target.labels), logits};
}

}  // namespace dcl
