#pragma once
// The method registry. A method is a function that builds stages (stages/stage.h) over a network,
// with the schedule that drives them and the readout that predicts; presets live with it.
// Adding a method: one new file in src/methods/ that defines `MethodInfo method_<name>()`, and
// one line in registry.cpp's list.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dcl/methods/method_options.h"
#include "dcl/methods/presets.h"
#include "dcl/nn/network.h"
#include "dcl/stages/model.h"
#include "dcl/stages/optimizer.h"

namespace dcl {

// What a method builds from: the network (already built), its settings and its optimisers.
struct BuildContext {
  Network net;
  int classes = 10;
  const MethodSettings& settings;
  OptimizerFactory optimizer;

  // A stage over `block` and `loss`, its optimiser over the block (unless frozen), the loss and the
  // named entries of model.shared; appended to model.stages.
  std::shared_ptr<Stage> add_stage(Model& model, const std::string& name, StageKind kind, StageBlock block,
                                   std::shared_ptr<LocalLoss> loss, bool frozen = false,
                                   const std::vector<std::string>& shared = {}) const;
  // One Block stage per network block with `loss_for(l)`, then the head's cross-entropy stage.
  void add_block_stages(Model& model, const std::function<std::shared_ptr<LocalLoss>(size_t)>& loss_for,
                        bool with_head = true, const std::vector<std::string>& shared = {}) const;
  // The local learner: model.stages one after another (SequentialSchedule), read out as a chain.
  void run_sequentially(Model& model, InputEncoder encoder = nullptr) const;
};

struct MethodInfo {
  using Build = std::function<void(Model&, const BuildContext&)>;
  using PresetRule = std::function<TrainingSchedule(Preset, Arch, const std::string& data)>;
  MethodInfo(std::string name, std::string description, std::vector<std::string> settings, Build build,
             PresetRule preset = nullptr)
      : name(std::move(name)),
        description(std::move(description)),
        settings(std::move(settings)),
        build(std::move(build)),
        preset(std::move(preset)) {}

  std::string name;
  std::string description;
  // The config.json keys of the method's own settings (each also a flag: --key-with-dashes).
  std::vector<std::string> settings;
  // Fills model.stages, model.schedule and model.readout (model.net is set). Throws
  // std::invalid_argument when the method cannot train this network.
  Build build;
  // The schedule of `--preset quick|paper` for an arch and dataset; empty: default_preset (the
  // paper's schedule, spec section 4).
  PresetRule preset;
};

const std::vector<MethodInfo>& methods();
std::vector<std::string> method_names();
// Throws std::invalid_argument listing valid methods.
const MethodInfo& method_info(const std::string& name);

// The schedule `preset` means for this method on `arch` and `data`.
TrainingSchedule method_preset(const MethodInfo& method, Preset preset, Arch arch, const std::string& data);

}  // namespace dcl
