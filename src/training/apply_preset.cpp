// `--preset quick|paper`: the method's settings for the run's arch and data, under the flags given.
#include <algorithm>
#include <stdexcept>

#include "dcl/methods/method.h"
#include "dcl/training/run_config.h"

namespace dcl {

nlohmann::json preset_values(const TrainingSchedule& s) {
  nlohmann::json v = s.settings;
  v["optimizer"] = name_of(s.optimizer);
  v["lr"] = s.lr;
  v["weight_decay"] = s.weight_decay;
  v["momentum"] = s.momentum;
  v["nesterov"] = s.nesterov;
  v["batch_size"] = s.batch;
  v["lr_schedule"] = name_of(s.lr_schedule);
  v["gamma"] = s.gamma;
  v["epochs"] = s.epochs;
  v["milestones"] = s.milestones;
  v["dropout"] = s.dropout;
  v["fc_width"] = s.fc_width;
  v["activation"] = s.activation;
  return v;
}

void apply_preset(RunConfig& cfg, const std::vector<std::string>& given) {
  if (cfg.preset == Preset::None) return;
  TrainingSchedule s =
      method_preset(method_info(cfg.method), cfg.preset, cfg.arch, data::dataset_info(cfg.data, data_options(cfg)));
  nlohmann::json j = cfg.to_json();
  const nlohmann::json values = preset_values(s);
  for (const auto& [key, value] : values.items()) {
    if (!j.contains(key)) throw std::logic_error("preset of " + cfg.method + ": '" + key + "' is not a setting");
    if (std::find(given.begin(), given.end(), key) == given.end()) j[key] = value;
  }
  RunConfig applied = RunConfig::from_json(j);
  applied.stop_after_steps = cfg.stop_after_steps;  // not a config.json setting
  cfg = applied;
}

}  // namespace dcl
