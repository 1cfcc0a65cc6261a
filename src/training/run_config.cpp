#include "dcl/training/run_config.h"

#include "dcl/methods/method.h"
#include "dcl/training/memory_plan.h"

#include <algorithm>
#include <cmath>
#include <regex>
#include <stdexcept>

namespace dcl {

// One list of (key, field) drives both directions of the JSON conversion; keys are the flags'
// names. ENUM fields are written by name. The methods' own settings follow their declarations
// (all_settings()).
// clang-format off
#define DCL_CONFIG_FIELDS(VALUE, ENUM) \
  VALUE(data, data) \
  VALUE(data_dir, data_dir) \
  VALUE(image_size, image_size) \
  VALUE(augment, augment) \
  VALUE(image_loading, image_loading) \
  VALUE(skip_bad_images, skip_bad_images) \
  VALUE(mean, mean) \
  VALUE(std, std) \
  VALUE(loader_threads, loader_threads) \
  VALUE(arch, arch) \
  VALUE(method, method) \
  ENUM(preset, preset) \
  VALUE(epochs, epochs) \
  VALUE(batch_size, batch_size) \
  VALUE(lr, optimizer.lr) \
  ENUM(optimizer, optimizer.kind) \
  VALUE(weight_decay, optimizer.weight_decay) \
  VALUE(momentum, optimizer.momentum) \
  VALUE(nesterov, optimizer.nesterov) \
  VALUE(gamma, gamma) \
  VALUE(milestones, milestones) \
  ENUM(lr_schedule, lr_schedule) \
  VALUE(dropout, dropout) \
  VALUE(local_modules, local_modules) \
  VALUE(fc_width, fc_width) \
  VALUE(fc_patches, fc_patches) \
  VALUE(fc_head_relu, fc_head_relu) \
  VALUE(activation, activation) \
  VALUE(ensemble_weights, ensemble_weights) \
  VALUE(seed, seed) \
  VALUE(threads, threads) \
  VALUE(limit_train, limit_train) \
  VALUE(limit_test, limit_test) \
  VALUE(device, device) \
  ENUM(amp, amp) \
  VALUE(cudnn_benchmark, cudnn_benchmark) \
  VALUE(memory_budget, memory_budget) \
  ENUM(schedule, schedule) \
  VALUE(pipeline_groups, pipeline_groups) \
  VALUE(pipeline_depth, pipeline_depth) \
  VALUE(pipeline_sync, pipeline_sync) \
  VALUE(pipeline_ranks, pipeline_ranks) \
  VALUE(nproc, nproc) \
  VALUE(dist_timeout, dist_timeout) \
  VALUE(tensorboard, tensorboard) \
  VALUE(out, out)
// clang-format on

nlohmann::json RunConfig::to_json() const {
  nlohmann::json j;
#define DCL_VALUE(key, field) j[#key] = field;
#define DCL_ENUM(key, field) j[#key] = name_of(field);
  DCL_CONFIG_FIELDS(DCL_VALUE, DCL_ENUM)
#undef DCL_VALUE
#undef DCL_ENUM
  for (const Setting& s : all_settings()) j[s.key] = methods.get(s.key);
  return j;
}

RunConfig RunConfig::from_json(const nlohmann::json& j) {
  RunConfig c;
  auto wrong_type = [&](const std::string& key) {
    return SettingError(key, "has a value of the wrong type: " + j.at(key).dump());
  };
  auto value = [&](const std::string& key, auto& field) {
    if (!j.contains(key)) return;
    try {
      j.at(key).get_to(field);
    } catch (const nlohmann::json::exception&) {
      throw wrong_type(key);
    }
  };
  auto enumeration = [&](const std::string& key, auto& field) {
    if (!j.contains(key)) return;
    if (!j.at(key).is_string()) throw wrong_type(key);
    field = parse_enum<std::decay_t<decltype(field)>>(j.at(key).get<std::string>(), flag_of(key));
  };
#define DCL_VALUE(key, field) value(#key, c.field);
#define DCL_ENUM(key, field) enumeration(#key, c.field);
  DCL_CONFIG_FIELDS(DCL_VALUE, DCL_ENUM)
#undef DCL_VALUE
#undef DCL_ENUM
  for (const Setting& s : all_settings())
    if (j.contains(s.key)) c.methods.set(s.key, j.at(s.key));
  arch_info(c.arch);  // a registry name: throws naming --arch and the valid names
  return c;
}

data::DataOptions data_options(const RunConfig& cfg) {
  data::DataOptions o;
  o.data_dir = cfg.data_dir;
  o.image_size = cfg.image_size;
  o.augment = cfg.augment;
  o.loading = cfg.image_loading;
  o.skip_bad_images = cfg.skip_bad_images;
  o.mean.assign(cfg.mean.begin(), cfg.mean.end());
  o.std.assign(cfg.std.begin(), cfg.std.end());
  o.threads = cfg.threads;
  return o;
}

SettingError::SettingError(const std::string& key, const std::string& problem)
    : std::invalid_argument(flag_of(key) + " " + problem), key(key), problem(problem) {}

void validate(const RunConfig& cfg) {
  // Each check names the setting's key; the message reads "--flag PROBLEM" on the command line and
  // "FILE: key 'key' PROBLEM" for a config.json (read_run_config).
  auto require = [](bool ok, const std::string& key, const std::string& problem) {
    if (!ok) throw SettingError(key, problem);
  };
  auto in = [](auto v, auto lo, auto hi) { return v >= lo && v <= hi; };
  auto range = [](auto lo, auto hi) { return "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]"; };
  if (!cfg.memory_budget.empty()) {
    try {
      parse_memory_size(cfg.memory_budget);
    } catch (const std::invalid_argument& e) {
      throw SettingError("memory_budget", std::string(e.what()).substr(std::string("--memory-budget ").size()));
    }
  }
  require(std::regex_match(cfg.device, std::regex("cpu|cuda|cuda:[0-9]{1,3}")), "device",
          "'" + cfg.device + "' is not a device (valid: cpu, cuda, cuda:N with N the GPU's index)");
  require(in(cfg.epochs, 1, 1000000), "epochs", range(1, 1000000));
  // Conv networks normalise with BatchNorm, which needs two samples per batch.
  const ArchInfo& arch = arch_info(cfg.arch);  // throws naming --arch and the valid names
  require(in(cfg.batch_size, arch.min_batch, kMaxBatchSize), "batch_size",
          range(arch.min_batch, kMaxBatchSize) +
              (arch.min_batch == 2 ? " for " + cfg.arch + " (BatchNorm needs 2 samples)" : ""));
  require(std::isfinite(cfg.optimizer.lr) && cfg.optimizer.lr > 0, "lr", "must be a positive number");
  require(std::isfinite(cfg.optimizer.weight_decay) && cfg.optimizer.weight_decay >= 0, "weight_decay", "must be >= 0");
  // A momentum of 1 or more never forgets a gradient: the step grows without bound.
  require(cfg.optimizer.momentum >= 0 && cfg.optimizer.momentum < 1, "momentum", "must be in [0, 1)");
  require(!cfg.optimizer.nesterov || cfg.optimizer.kind != OptimizerKind::Sgd || cfg.optimizer.momentum > 0, "nesterov",
          "needs --momentum > 0 (Nesterov's step looks ahead along the momentum)");
  require(cfg.dropout >= 0 && cfg.dropout < 1, "dropout", "must be in [0, 1)");
  if (arch.max_local_modules > 0)
    require(in(cfg.local_modules, 0, arch.max_local_modules), "local_modules",
            range(0, arch.max_local_modules) + " for " + cfg.arch +
                " (one module per unit at most; 0 = " + std::to_string(arch.default_local_modules) + ")");
  else
    require(cfg.local_modules == 0, "local_modules",
            "applies to networks of residual units (" + cfg.arch + " has fixed blocks)");
  require(cfg.activation == "relu" || cfg.activation == "tanh" || cfg.activation == "leaky_relu", "activation",
          "must be relu, tanh or leaky_relu, not '" + cfg.activation + "'");
  require(cfg.activation != "tanh" || arch.family == ArchFamily::Fc, "activation",
          "tanh applies to --arch fc (the conv networks' blocks are conv + BatchNorm + ReLU)");
  require(cfg.activation != "leaky_relu" || arch.max_local_modules == 0, "activation",
          "leaky_relu applies to fc, simple* and vgg8b (the residual units of " + cfg.arch + " use ReLU)");
  require(in(cfg.fc_width, 0, kMaxFcWidth), "fc_width", range(0, kMaxFcWidth) + " (0 = the spec default)");
  require(in(cfg.fc_patches, 0, kMaxFcWidth), "fc_patches", range(0, kMaxFcWidth) + " (0 = the dataset's)");
  require(cfg.limit_train >= 0, "limit_train", "must be >= 0 (0 = all)");
  require(cfg.limit_test >= 0, "limit_test", "must be >= 0 (0 = all)");
  require(cfg.stop_after_steps >= 0, "stop_after_steps", "must be >= 0");
  require(cfg.seed <= kMaxSeed, "seed", "must be in [0, " + std::to_string(kMaxSeed) + "]");
  require(std::isfinite(cfg.gamma) && cfg.gamma > 0, "gamma", "must be a positive number");
  for (int m : cfg.milestones) require(m >= 0, "milestones", "must be epochs >= 0");
  double weight_sum = 0;
  for (double w : cfg.ensemble_weights) {
    require(std::isfinite(w) && w >= 0, "ensemble_weights", "must be finite and >= 0");
    weight_sum += w;
  }
  require(cfg.ensemble_weights.empty() || weight_sum > 0, "ensemble_weights",
          "must not all be 0 (the ensemble would weigh nothing)");
  require(in(cfg.threads, 0, 1024), "threads", range(0, 1024) + " (0 = all cores)");
  require(in(cfg.loader_threads, 1, 256), "loader_threads", range(1, 256));
  require(cfg.image_size == 0 || in(cfg.image_size, 8, 4096), "image_size",
          "must be in [8, 4096] pixels (0 = the images' own size)");
  require(cfg.image_loading == "auto" || cfg.image_loading == "cache" || cfg.image_loading == "stream", "image_loading",
          "must be cache, stream or auto, not '" + cfg.image_loading + "'");
  const auto& augments = data::augment_names();
  require(std::find(augments.begin(), augments.end(), cfg.augment) != augments.end(), "augment",
          "must be one of auto, none, flip, crop-flip, not '" + cfg.augment + "'");
  require(in(cfg.nproc, 1, 1024), "nproc", range(1, 1024));
  require(in(cfg.dist_timeout, 1, 86400), "dist_timeout", range(1, 86400) + " seconds");
  require(in(cfg.pipeline_groups, 0, 1024), "pipeline_groups", range(0, 1024) + " (0 = one thread per stage)");
  require(in(cfg.pipeline_depth, 1, 1024), "pipeline_depth", range(1, 1024));
  // The pipeline's shape means nothing to the sequential schedule: refused rather than ignored.
  const bool pipeline = cfg.schedule == ScheduleKind::Pipeline;
  require(pipeline || cfg.pipeline_groups == 0, "pipeline_groups", "applies to --schedule pipeline only");
  require(pipeline || cfg.pipeline_depth == 1, "pipeline_depth", "applies to --schedule pipeline only");
  require(pipeline || !cfg.pipeline_sync, "pipeline_sync", "applies to --schedule pipeline only");
  require(in(cfg.pipeline_ranks, 1, 1024), "pipeline_ranks",
          range(1, 1024) + " (1 = the pipeline's groups are threads of one process)");
  require(pipeline || cfg.pipeline_ranks == 1, "pipeline_ranks", "applies to --schedule pipeline only");
  require(cfg.pipeline_ranks == 1 || cfg.pipeline_groups == 0, "pipeline_groups",
          "sets the threads of a one-process pipeline; with --pipeline-ranks each process runs its stages one after "
          "another");
  // Processes beyond the pipeline's are data-parallel replicas.
  require(cfg.nproc <= cfg.pipeline_ranks || method_info(cfg.method).abilities.data_parallel, "nproc",
          std::to_string(cfg.nproc) + ": method '" + cfg.method + "' cannot run data-parallel");
  require(!pipeline || cfg.nproc == 1 || (cfg.pipeline_ranks > 1 && cfg.nproc % cfg.pipeline_ranks == 0), "nproc",
          std::to_string(cfg.nproc) +
              " with --schedule pipeline: one process per group of stages, so --nproc must "
              "be a multiple of --pipeline-ranks (" +
              std::to_string(cfg.pipeline_ranks) + ": G x D, D data-parallel replicas of the pipeline)");
  for (const Setting& s : all_settings()) {
    try {
      s.check_range(cfg.methods.get(s.key));
    } catch (const std::invalid_argument& e) {
      // check_range says "--flag must ..."; the key's form is kept for config.json.
      std::string text = e.what(), flag = flag_of(s.key) + " ";
      throw SettingError(s.key, text.rfind(flag, 0) == 0 ? text.substr(flag.size()) : text);
    }
  }
}

void require_given_settings_apply(const RunConfig& cfg, const std::vector<std::string>& given) {
  auto was_given = [&](const std::string& key) { return std::find(given.begin(), given.end(), key) != given.end(); };
  auto refuse_if = [&](bool idle, const std::string& key, const std::string& why) {
    if (idle && was_given(key)) throw SettingError(key, "applies to " + why + ", so it would change nothing here");
  };
  for (const char* key : {"momentum", "nesterov"})
    refuse_if(cfg.optimizer.kind != OptimizerKind::Sgd, key,
              "--optimizer sgd (this run uses " + name_of(cfg.optimizer.kind) + ")");
  for (const char* key : {"gamma", "milestones"})
    refuse_if(cfg.lr_schedule != LrSchedule::Step, key,
              "--lr-schedule step (this run uses " + name_of(cfg.lr_schedule) + ")");
  const bool fc = arch_info(cfg.arch).family == ArchFamily::Fc;
  for (const char* key : {"fc_width", "fc_patches", "fc_head_relu"})
    refuse_if(!fc, key, "--arch fc (this run trains " + cfg.arch + ")");
  refuse_if(cfg.device == "cpu", "cudnn_benchmark", "--device cuda");
  const bool folder = data::dataset_info(cfg.data, data_options(cfg)).folder != nullptr;
  for (const char* key : {"image_size", "image_loading", "skip_bad_images"})
    refuse_if(!folder, key, "folder: and list: datasets (" + cfg.data + " is built in)");
}

double scheduled_lr(const RunConfig& cfg, int epoch) {
  return scheduled_lr(cfg.optimizer.lr, cfg.lr_schedule, cfg.gamma, cfg.milestones, epoch, cfg.epochs);
}

}  // namespace dcl
