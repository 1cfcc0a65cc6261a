#include "dcl/optim/training_schedule.h"

#include <algorithm>
#include <cmath>

namespace dcl {

template <>
const std::vector<std::string>& names_of<LrSchedule>() {
  static const std::vector<std::string> names = {"step", "cooldown", "cosine"};
  return names;
}

double scheduled_lr(double lr, LrSchedule schedule, double gamma, const std::vector<int>& milestones, int epoch,
                    int epochs) {
  if (schedule == LrSchedule::Cooldown) {
    // Hinton's FF code (epsgain; loeweX/Forward-Forward utils.py get_linear_cooldown_lr): constant
    // for the first half, then linearly down to lr / (epochs - half) in the last epoch.
    int half = epochs / 2;
    return epoch < half ? lr : lr * double(epochs - epoch) / double(std::max(1, epochs - half));
  }
  if (schedule == LrSchedule::Cosine) {
    // InfoPro-Pytorch train.py adjust_learning_rate (--cos_lr), per epoch e = epoch + 1: half a
    // cosine, blended over the first 10 epochs from a start of 0.01 (theirs; here min(0.01, lr),
    // so that a small lr is never warmed down).
    const double pi = std::acos(-1.0), e = double(epoch + 1);
    const double cosine = 0.5 * lr * (1 + std::cos(pi * e / double(std::max(1, epochs))));
    return e <= 10 ? cosine * (e - 1) / 10 + std::min(0.01, lr) * (11 - e) / 10 : cosine;
  }
  int passed = 0;
  for (int m : milestones) passed += epoch >= m ? 1 : 0;
  return lr * std::pow(gamma, passed);
}

}  // namespace dcl
