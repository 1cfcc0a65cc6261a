#pragma once
// When a run has diverged, for every method: a loss that is not finite, a loss that has grown by
// orders of magnitude over the run's first (a finite but exploding run, e.g. CaFo at --lr 1e6
// reaches 5e14 without ever producing a NaN), or test predictions that are not finite.
#include <cstdint>
#include <string>
#include <vector>

namespace dcl {

class DivergenceCheck {
 public:
  // A loss more than kGrowth times max(|first step's loss|, 1) counts as diverged.
  static constexpr double kGrowth = 1e3;

  // Throws std::runtime_error when any of this step's losses (head and blocks) has diverged.
  void observe_step(double train_loss, const std::vector<double>& block_losses, int epoch, int64_t step);
  // Throws when the test loss is not finite (NaN or infinite class scores).
  static void check_evaluation(double test_loss, int epoch);

 private:
  double reference_ = -1;  // max(|first step's largest loss|, 1); < 0 before the first step
};

}  // namespace dcl
