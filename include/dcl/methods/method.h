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
#include "dcl/nn/network.h"
#include "dcl/stages/model.h"
#include "dcl/stages/optimizer.h"

namespace dcl {

struct RunConfig;

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
  using Preset = std::function<void(RunConfig& cfg, const std::vector<std::string>& given)>;
  MethodInfo(std::string name, std::string description, std::vector<std::string> settings, Build build,
             Preset preset = nullptr)
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
  // `--preset quick|paper` for this method: sets every field of cfg the user did not give
  // (`given` names those fields). Empty: the paper's schedule (methods/paper_schedule.h).
  Preset preset;
};

const std::vector<MethodInfo>& methods();
std::vector<std::string> method_names();
// Throws std::invalid_argument listing valid methods.
const MethodInfo& method_info(const std::string& name);

// Network + stages + schedule + readout for cfg, on inputs of `input` shape with `classes` classes
// and the dataset's default fc patch count. Throws std::invalid_argument when something does not fit.
Model build_model(const RunConfig& cfg, const InputShape& input, int classes, int default_fc_patches = 0);

// Applies cfg.preset (quick | paper) through the method's preset; `given` as above.
void apply_preset(RunConfig& cfg, const std::vector<std::string>& given);

}  // namespace dcl
