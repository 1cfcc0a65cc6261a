#include "dcl/training/divergence.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace dcl {

namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

constexpr const char* kAdvice = "; try a lower --lr. The last checkpoint is kept as it was and no result was written";

}  // namespace

void DivergenceCheck::observe_step(double train_loss, const std::vector<double>& block_losses, int epoch,
                                   int64_t step) {
  double largest = std::abs(train_loss);
  for (double l : block_losses) largest = std::max(largest, std::abs(l));
  std::string where = "epoch " + std::to_string(epoch + 1) + ", step " + std::to_string(step);
  if (!std::isfinite(largest) || !std::isfinite(train_loss))
    throw std::runtime_error("training diverged at " + where + ": a loss is " + number(largest) + kAdvice);
  if (reference_ < 0) {
    reference_ = std::max(largest, 1.0);
    return;
  }
  if (largest > kGrowth * reference_)
    throw std::runtime_error("training diverged at " + where + ": a loss reached " + number(largest) + ", over " +
                             number(kGrowth) + "x the run's first (" + number(reference_) + ")" + kAdvice);
}

void DivergenceCheck::check_evaluation(double test_loss, int epoch) {
  if (!std::isfinite(test_loss))
    throw std::runtime_error("training diverged by epoch " + std::to_string(epoch + 1) +
                             ": the test predictions are not finite (test loss " + number(test_loss) + ")" + kAdvice);
}

}  // namespace dcl
