#pragma once
// One configuration struct per run: filled from CLI flags and presets (strings become enums once,
// at the command line), written to config.json, and enough on its own to repeat the run.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dcl/data/registry.h"
#include "dcl/methods/presets.h"
#include "dcl/methods/setting.h"
#include "dcl/nn/network.h"
#include "dcl/optim/optimizer.h"
#include "dcl/stages/mixed_precision.h"
#include "dcl/stages/schedule.h"

namespace dcl {

struct RunConfig {
  // what to train
  std::string data = "fmnist";  // a dataset registry name
  std::string data_dir;         // "" = the dataset's default directory
  // folder datasets (and --augment for every dataset): data/registry.h's DataOptions
  int image_size = 0;                  // 0 = the images' own size
  std::string augment = "auto";        // auto | none | flip | crop-flip
  std::string image_loading = "auto";  // cache | stream | auto
  bool skip_bad_images = false;
  std::vector<double> mean, std;  // normalisation per channel (empty = the dataset's)
  int loader_threads = 1;         // threads decoding and augmenting each batch (results do not depend on it)
  std::string arch = "fc";        // an architecture registry name (nn/arch.h)
  std::string method = "dcl";     // a name from methods()
  Preset preset = Preset::None;
  // schedule and optimiser
  int epochs = 5;
  int batch_size = 512;
  OptimizerOptions optimizer;
  LrSchedule lr_schedule = LrSchedule::Step;
  double gamma = 0.5;           // MultiStep decay factor
  std::vector<int> milestones;  // epochs (0-based count of finished epochs) where lr *= gamma
  double dropout = 0.0;
  // network details
  // Networks of residual units: the number of local modules (0 = the architecture's default).
  int local_modules = 0;
  int fc_width = 0;    // 0 = spec default for the input (1024 for 28x28, 3072 for colour)
  int fc_patches = 0;  // 0 = the dataset's P (8 MNIST-like, 48 CIFAR-10-like, 12 CIFAR-100-like)
  bool fc_head_relu = false;
  std::string activation = "relu";  // the blocks' non-linearity: relu, tanh (fc), leaky_relu (not ResNets)
  // every method's own settings (methods/setting.h), by config key
  SettingValues methods;
  std::vector<double> ensemble_weights;  // per scoring block; empty = equal
  // run mechanics
  uint64_t seed = 1;
  int threads = 0;          // 0 = all cores
  int64_t limit_train = 0;  // 0 = all samples
  int64_t limit_test = 0;
  std::string device = "cpu";
  Amp amp = Amp::None;           // mixed precision of the blocks (losses stay float32)
  bool cudnn_benchmark = false;  // cuDNN's autotuner (CUDA)
  std::string memory_budget;     // "" = none; else a size for training/memory_plan.h
  std::string out;               // run directory
  int64_t stop_after_steps = 0;  // testing/debugging: behave as if interrupted after N steps
  // how the stages run: the schedule, the pipeline's shape, the data-parallel processes
  ScheduleKind schedule = ScheduleKind::Sequential;
  int pipeline_groups = 0;     // threads of the pipeline, each a contiguous run of stages; 0 = one per stage
  int pipeline_depth = 1;      // batches that may wait between two pipeline threads
  bool pipeline_sync = false;  // one batch in flight (bit-identical to sequential; for checks)
  int pipeline_ranks = 1;      // processes of the pipeline, each a contiguous run of stages (1 = threads)
  int nproc = 1;               // data-parallel processes (WORLD_SIZE); batch_size is per process
  int dist_timeout = 120;      // seconds a collective may wait for a peer before the job ends
  std::string tensorboard;     // "" = none; else the directory of TensorBoard's event files

  // Flat keys, one per flag.
  nlohmann::json to_json() const;
  // The keys `j` holds over the defaults (what a preset or a compare row sets). Throws SettingError
  // for a value of the wrong type, std::invalid_argument for an unknown name. A run's config.json
  // is read strictly by read_run_config (training/run_files.h).
  static RunConfig from_json(const nlohmann::json& j);
};

// Upper bounds of validate(): far beyond any real run, low enough that a typo is not an allocation
// of terabytes or a seed that reads as 2^64 - 1 (what "-1" becomes as an unsigned number).
constexpr int kMaxBatchSize = 1 << 20;
constexpr int kMaxFcWidth = 1 << 16;
constexpr uint64_t kMaxSeed = (uint64_t(1) << 63) - 1;

// The run's data options (dataset registry), from its config.
data::DataOptions data_options(const RunConfig& cfg);

// A setting out of its range: what() reads "--flag PROBLEM"; `key` and `problem` let a reader of
// config.json name the file and key instead.
struct SettingError : std::invalid_argument {
  SettingError(const std::string& key, const std::string& problem);
  std::string key, problem;
};

// Every range check of a run's settings, in one place (flags and config.json alike): throws
// SettingError. Method and dataset names are checked by their registries.
void validate(const RunConfig& cfg);

// Throws SettingError naming a setting in `given` (config keys given on the command line) that
// does nothing under the run's other settings: --momentum without SGD, --gamma and --milestones
// off the step schedule, the fc network's options on a conv network, --cudnn-benchmark on CPU,
// the folder datasets' options on a built-in dataset.
void require_given_settings_apply(const RunConfig& cfg, const std::vector<std::string>& given);

// Applies cfg.preset (quick | paper), as cfg.method defines it, to every setting it names that the
// user did not give (`given` names the config keys given on the command line).
void apply_preset(RunConfig& cfg, const std::vector<std::string>& given);
// A preset as config.json keys and values: its schedule, optimiser and method settings.
nlohmann::json preset_values(const TrainingSchedule& schedule);

// Learning rate at the start of `epoch` (0-based) under the run's lr schedule.
double scheduled_lr(const RunConfig& cfg, int epoch);

}  // namespace dcl
