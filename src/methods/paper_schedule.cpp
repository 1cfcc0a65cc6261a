#include "dcl/methods/paper_schedule.h"

#include <algorithm>

#include "dcl/training/run_config.h"

namespace dcl {

PaperSchedule paper_schedule(Arch arch, const std::string& data) {
  bool mnist_like = data == "mnist" || data == "kmnist" || data == "fmnist";
  bool c100 = data == "cifar100" || data == "cifar20";
  switch (arch) {
    case Arch::Fc:
      if (mnist_like) return {5e-4, 512, 0.5, 150, {50, 100, 125}, 0.0};
      if (c100) return {1e-4, 512, 0.5, 200, {50, 100, 150}, 0.3};
      return {2e-4, 512, 0.5, 400, {50, 150, 200, 350}, 0.0};
    case Arch::Simple256:
    case Arch::Simple512:
      if (mnist_like) return {0.0075, 512, 0.5, 150, {50, 75, 100, 125}, 0.0};
      if (c100) return {0.0075, 512, 0.5, 400, {100, 200, 250, 300, 350}, 0.0};
      return {0.0075, 512, 0.5, 500, {100, 200, 300, 400, 450}, 0.0};
    case Arch::Vgg8b: break;
  }
  if (data == "mnist" || data == "kmnist") return {5e-4, 128, 0.25, 100, {50, 75, 89, 94}, 0.1};
  if (data == "fmnist") return {5e-4, 128, 0.25, 200, {100, 150, 175, 188}, 0.1};
  if (data == "svhn") return {3e-4, 128, 0.25, 100, {50, 75, 89, 94}, 0.05};
  if (data == "stl10") return {5e-4, 128, 0.25, 400, {200, 300, 350, 375}, 0.1};
  return {5e-4, 128, 0.25, 400, {200, 300, 350, 375}, 0.05};
}

void apply_paper_preset(RunConfig& cfg, const std::vector<std::string>& given) {
  if (cfg.preset == Preset::None) return;
  PaperSchedule s = paper_schedule(cfg.arch, cfg.data);
  if (cfg.preset == Preset::Quick) {
    s.epochs = cfg.arch == Arch::Fc ? 5 : 3;
    s.milestones = {s.epochs - 1};
    s.gamma = 0.5;
  }
  auto set = [&](const char* name, auto& field, auto value) {
    if (std::find(given.begin(), given.end(), name) == given.end()) field = value;
  };
  set("lr", cfg.optimizer.lr, s.lr);
  set("batch_size", cfg.batch_size, s.batch);
  set("gamma", cfg.gamma, s.gamma);
  set("epochs", cfg.epochs, s.epochs);
  set("milestones", cfg.milestones, s.milestones);
  set("dropout", cfg.dropout, s.dropout);
  set("optimizer", cfg.optimizer.kind, OptimizerKind::AdamW);
}

}  // namespace dcl
