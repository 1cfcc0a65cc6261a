// `--preset quick|paper`: the method's schedule for the run's arch and data, under the flags given.
#include <algorithm>

#include "dcl/methods/method.h"
#include "dcl/training/run_config.h"

namespace dcl {

void apply_preset(RunConfig& cfg, const std::vector<std::string>& given) {
  if (cfg.preset == Preset::None) return;
  TrainingSchedule s = method_preset(method_info(cfg.method), cfg.preset, cfg.arch, cfg.data);
  auto set = [&](const char* name, auto& field, auto value) {
    if (std::find(given.begin(), given.end(), name) == given.end()) field = value;
  };
  set("optimizer", cfg.optimizer.kind, s.optimizer);
  set("lr", cfg.optimizer.lr, s.lr);
  set("batch_size", cfg.batch_size, s.batch);
  set("gamma", cfg.gamma, s.gamma);
  set("epochs", cfg.epochs, s.epochs);
  set("milestones", cfg.milestones, s.milestones);
  set("dropout", cfg.dropout, s.dropout);
}

}  // namespace dcl
