#include "dcl/methods/presets.h"

#include <cmath>
#include <stdexcept>

namespace dcl {

template <>
const std::vector<std::string>& names_of<Preset>() {
  static const std::vector<std::string> names = {"none", "quick", "paper"};
  return names;
}

template <>
const std::vector<std::string>& names_of<LrSchedule>() {
  static const std::vector<std::string> names = {"step", "cooldown", "cosine"};
  return names;
}

bool mnist_like(const std::string& data) { return data == "mnist" || data == "kmnist" || data == "fmnist"; }

TrainingSchedule paper_schedule(Arch arch, const std::string& data) {
  bool c100 = data == "cifar100" || data == "cifar20";
  auto adamw = [](double lr, int batch, double gamma, int epochs, std::vector<int> milestones, double dropout) {
    TrainingSchedule s;
    s.lr = lr;
    s.batch = batch;
    s.gamma = gamma;
    s.epochs = epochs;
    s.milestones = std::move(milestones);
    s.dropout = dropout;
    s.source = "DCL paper's schedule (spec section 4; schoi828/DCL option.py pre_config)";
    return s;
  };
  switch (arch) {
    case Arch::Fc:
      if (mnist_like(data)) return adamw(5e-4, 512, 0.5, 150, {50, 100, 125}, 0.0);
      if (c100) return adamw(1e-4, 512, 0.5, 200, {50, 100, 150}, 0.3);
      return adamw(2e-4, 512, 0.5, 400, {50, 150, 200, 350}, 0.0);
    case Arch::Simple256:
    case Arch::Simple512:
      if (mnist_like(data)) return adamw(0.0075, 512, 0.5, 150, {50, 75, 100, 125}, 0.0);
      if (c100) return adamw(0.0075, 512, 0.5, 400, {100, 200, 250, 300, 350}, 0.0);
      return adamw(0.0075, 512, 0.5, 500, {100, 200, 300, 400, 450}, 0.0);
    case Arch::Vgg8b: break;
  }
  if (data == "mnist" || data == "kmnist") return adamw(5e-4, 128, 0.25, 100, {50, 75, 89, 94}, 0.1);
  if (data == "fmnist") return adamw(5e-4, 128, 0.25, 200, {100, 150, 175, 188}, 0.1);
  if (data == "svhn") return adamw(3e-4, 128, 0.25, 100, {50, 75, 89, 94}, 0.05);
  if (data == "stl10") return adamw(5e-4, 128, 0.25, 400, {200, 300, 350, 375}, 0.1);
  return adamw(5e-4, 128, 0.25, 400, {200, 300, 350, 375}, 0.05);
}

TrainingSchedule quick_form(TrainingSchedule s, Arch arch) {
  s.epochs = arch == Arch::Fc ? 5 : 3;
  s.milestones = {s.epochs - 1};
  s.gamma = 0.5;
  s.source = "quick form of: " + s.source;
  return s;
}

TrainingSchedule preset_form(Preset preset, Arch arch, TrainingSchedule paper) {
  if (preset == Preset::None) throw std::logic_error("preset none has no schedule");
  return preset == Preset::Quick ? quick_form(std::move(paper), arch) : paper;
}

TrainingSchedule default_preset(Preset preset, Arch arch, const std::string& data) {
  return preset_form(preset, arch, paper_schedule(arch, data));
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
