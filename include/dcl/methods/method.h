#pragma once
// The method registry. A method is a function that builds stages (stages/stage.h) over a network,
// with the schedule that drives them and the readout that predicts; presets live with it.
// Adding a method: one new file in src/methods/ that defines `MethodInfo method_<name>()` (its
// build function, its settings, its abilities and its preset), and one line in registry.cpp's list.
// Nothing outside the method's file names the method: the CLI, config.json, `dcl methods`, the
// checkpoint identity, the analyses and the registry-driven tests read these declarations.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dcl/methods/presets.h"
#include "dcl/methods/setting.h"
#include "dcl/nn/network.h"
#include "dcl/optim/optimizer.h"
#include "dcl/stages/model.h"
#include "dcl/stages/pipeline_schedule.h"

namespace dcl {

// What a method builds from: the network (already built), its settings and its optimisers.
struct BuildContext {
  Network net;
  int classes = 10;
  const SettingValues& settings;
  OptimizerFactory optimizer;

  // A stage over `block` and `loss`, its optimiser over the block (unless frozen), the loss and the
  // named entries of model.shared; appended to model.stages.
  std::shared_ptr<Stage> add_stage(Model& model, const std::string& name, StageKind kind, StageBlock block,
                                   std::shared_ptr<LocalLoss> loss, bool frozen = false,
                                   const std::vector<std::string>& shared = {}) const;
  // One Block stage per network block with `loss_for(l)`, then the head's cross-entropy stage.
  void add_block_stages(Model& model, const std::function<std::shared_ptr<LocalLoss>(size_t)>& loss_for,
                        bool with_head = true, const std::vector<std::string>& shared = {}) const;
  // As add_block_stages, with each block's trailing dropout moved to the start of the next stage
  // (the head's included): the same network, its local losses on the output before dropout, as
  // anokland/local-loss's blocks compute them.
  void add_block_stages_loss_before_dropout(Model& model,
                                            const std::function<std::shared_ptr<LocalLoss>(size_t)>& loss_for) const;
  // As the auxiliary-network methods train (DGL, InfoPro's and AugLocal's code): a Block stage per
  // block but the last with `loss_for(l)`; the last block and the head form one stage trained end
  // to end by the cross-entropy (a Head stage named "block<L>+head").
  void add_stages_ending_in_classifier(Model& model,
                                       const std::function<std::shared_ptr<LocalLoss>(size_t)>& loss_for) const;
  // The local learner: model.stages one after another (SequentialSchedule), read out as a chain.
  void run_sequentially(Model& model, InputEncoder encoder = nullptr) const;
};

// What a method can do, read by generic code instead of its name.
struct MethodAbilities {
  bool fc_networks = true;    // trains the fc network
  bool conv_networks = true;  // trains conv networks (fc only: false)
  // Builds from the network's residual units (ResNets, NetworkImpl::units): AugLocal.
  bool residual_networks_only = false;
  // Has a dictionary of label embeddings (the analyses of Figures 5-7 need one).
  bool label_embeddings = false;
  // Why its stages cannot run as a pipeline (`--schedule pipeline` runs them concurrently, which
  // needs stages that train one after another without talking to each other); empty: they can.
  std::string not_pipelined;
  // `--schedule pipeline --pipeline-ranks G` runs its one stage as GPipe over G processes
  // (runtime/gpipe_schedule.h): BP's own pipeline, its blocks split over the processes.
  bool gpipe = false;
  bool data_parallel = true;  // `--nproc N`: gradients of every stage all-reduced
};

struct MethodInfo {
  using Build = std::function<void(Model&, const BuildContext&)>;
  using PresetRule = std::function<TrainingSchedule(Preset, const ArchInfo& arch, const data::DatasetInfo& data)>;
  MethodInfo(std::string name, std::string description, std::vector<Setting> settings, Build build,
             PresetRule preset = nullptr, MethodAbilities abilities = {})
      : name(std::move(name)),
        description(std::move(description)),
        settings(std::move(settings)),
        build(std::move(build)),
        preset(std::move(preset)),
        abilities(abilities) {}

  std::string name;
  std::string description;
  // The method's own settings (each a config.json key and a flag: --key-with-dashes). A setting
  // shared by several methods is declared by one function that each of them lists.
  std::vector<Setting> settings;
  // Fills model.stages, model.schedule and model.readout (model.net is set). Throws
  // std::invalid_argument when the method cannot train this network.
  Build build;
  // The schedule of `--preset quick|paper` for an arch and dataset; empty: default_preset (the
  // paper's schedule, spec section 4).
  PresetRule preset;
  MethodAbilities abilities;
};

const std::vector<MethodInfo>& methods();
std::vector<std::string> method_names();
// Throws std::invalid_argument listing valid methods.
const MethodInfo& method_info(const std::string& name);

// The names of the methods that declare setting `key` ("dcl, dcl-s").
std::string methods_reading(const std::string& key);
// The names of the methods whose declarations pass `keep`, joined ("dcl, dcl-s").
std::string method_names_where(const std::function<bool(const MethodInfo&)>& keep);
// Throws std::invalid_argument naming a method setting among `keys` (config keys; others are
// ignored) that none of `methods` reads: a flag that would change nothing is refused by name.
void require_settings_read(const std::vector<std::string>& methods, const std::vector<std::string>& keys);
// Whether the method's abilities allow the architecture.
bool can_train(const MethodInfo& method, const ArchInfo& arch);
// Throws std::invalid_argument naming the method and the architecture it cannot train.
void require_network(const MethodInfo& method, const ArchInfo& arch);

// Replaces a model's sequential schedule by a pipeline over the same stages; throws
// std::invalid_argument naming `method` when its abilities say it cannot run as one.
PipelineSchedule& use_pipeline(Model& model, const std::string& method, PipelineOptions options);
// The sequential schedule whose stages a pipeline runs; throws std::invalid_argument when `method`
// cannot run as one (its declared reason).
SequentialSchedule& pipelined_schedule(Model& model, const std::string& method);

// The schedule `preset` means for this method on `arch` and `data`.
TrainingSchedule method_preset(const MethodInfo& method, Preset preset, const std::string& arch,
                               const data::DatasetInfo& data);

}  // namespace dcl
