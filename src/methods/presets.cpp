#include "dcl/methods/presets.h"

#include <stdexcept>

namespace dcl {

template <>
const std::vector<std::string>& names_of<Preset>() {
  static const std::vector<std::string> names = {"none", "quick", "paper"};
  return names;
}

TrainingSchedule paper_schedule(Arch arch, const std::string& data) {
  bool mnist_like = data == "mnist" || data == "kmnist" || data == "fmnist";
  bool c100 = data == "cifar100" || data == "cifar20";
  auto adamw = [](double lr, int batch, double gamma, int epochs, std::vector<int> milestones, double dropout) {
    return TrainingSchedule{OptimizerKind::AdamW, lr, batch, gamma, epochs, std::move(milestones), dropout};
  };
  switch (arch) {
    case Arch::Fc:
      if (mnist_like) return adamw(5e-4, 512, 0.5, 150, {50, 100, 125}, 0.0);
      if (c100) return adamw(1e-4, 512, 0.5, 200, {50, 100, 150}, 0.3);
      return adamw(2e-4, 512, 0.5, 400, {50, 150, 200, 350}, 0.0);
    case Arch::Simple256:
    case Arch::Simple512:
      if (mnist_like) return adamw(0.0075, 512, 0.5, 150, {50, 75, 100, 125}, 0.0);
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

TrainingSchedule default_preset(Preset preset, Arch arch, const std::string& data) {
  if (preset == Preset::None) throw std::logic_error("preset none has no schedule");
  TrainingSchedule s = paper_schedule(arch, data);
  if (preset == Preset::Quick) {
    s.epochs = arch == Arch::Fc ? 5 : 3;
    s.milestones = {s.epochs - 1};
    s.gamma = 0.5;
  }
  return s;
}

}  // namespace dcl
