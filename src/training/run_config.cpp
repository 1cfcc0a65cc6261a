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
  VALUE(gamma, gamma) \
  VALUE(milestones, milestones) \
  ENUM(lr_schedule, lr_schedule) \
  VALUE(dropout, dropout) \
  VALUE(fc_width, fc_width) \
  VALUE(fc_patches, fc_patches) \
  VALUE(fc_head_relu, fc_head_relu) \
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
  VALUE(nproc, nproc) \
  VALUE(dist_timeout, dist_timeout) \
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
    return std::invalid_argument(flag_of(key) + ": the value " + j.at(key).dump() + " has the wrong type");
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

void validate(const RunConfig& cfg) {
  auto require = [](bool ok, const std::string& message) {
    if (!ok) throw std::invalid_argument(message);
  };
  if (!cfg.memory_budget.empty()) parse_memory_size(cfg.memory_budget);  // throws naming the text
  require(std::regex_match(cfg.device, std::regex("cpu|cuda|cuda:[0-9]{1,3}")),
          "unknown --device '" + cfg.device + "' (valid: cpu, cuda, cuda:N with N the GPU's index)");
  require(cfg.epochs >= 1, "--epochs must be at least 1");
  // Conv networks normalise with BatchNorm, which needs two samples per batch.
  const ArchInfo& arch = arch_info(cfg.arch);  // throws naming --arch and the valid names
  int min_batch = arch.min_batch;
  require(cfg.batch_size >= min_batch && cfg.batch_size <= kMaxBatchSize,
          "--batch-size must be in [" + std::to_string(min_batch) + ", " + std::to_string(kMaxBatchSize) + "]" +
              (min_batch == 2 ? " for " + cfg.arch + " (BatchNorm needs 2 samples)" : ""));
  require(std::isfinite(cfg.optimizer.lr) && cfg.optimizer.lr > 0, "--lr must be a positive number");
  require(std::isfinite(cfg.optimizer.weight_decay) && cfg.optimizer.weight_decay >= 0, "--weight-decay must be >= 0");
  require(std::isfinite(cfg.optimizer.momentum) && cfg.optimizer.momentum >= 0, "--momentum must be >= 0");
  require(cfg.dropout >= 0 && cfg.dropout < 1, "--dropout must be in [0, 1)");
  require(cfg.fc_width >= 0 && cfg.fc_width <= kMaxFcWidth,
          "--fc-width must be in [0, " + std::to_string(kMaxFcWidth) + "] (0 = the spec default)");
  require(cfg.fc_patches >= 0 && cfg.fc_patches <= kMaxFcWidth,
          "--fc-patches must be in [0, " + std::to_string(kMaxFcWidth) + "] (0 = the dataset's)");
  require(cfg.limit_train >= 0 && cfg.limit_test >= 0, "--limit-train/--limit-test must be >= 0");
  require(cfg.stop_after_steps >= 0, "--stop-after-steps must be >= 0");
  require(cfg.seed <= kMaxSeed, "--seed must be in [0, " + std::to_string(kMaxSeed) + "]");
  require(std::isfinite(cfg.gamma) && cfg.gamma > 0, "--gamma must be a positive number");
  for (int m : cfg.milestones) require(m >= 0, "--milestones must be epochs >= 0");
  for (double w : cfg.ensemble_weights)
    require(std::isfinite(w) && w >= 0, "--ensemble-weights must be finite and >= 0");
  require(cfg.threads >= 0 && cfg.threads <= 1024, "--threads must be in [0, 1024] (0 = all cores)");
  require(cfg.loader_threads >= 1 && cfg.loader_threads <= 256, "--loader-threads must be in [1, 256]");
  require(cfg.image_size == 0 || (cfg.image_size >= 8 && cfg.image_size <= 4096),
          "--image-size must be in [8, 4096] pixels (0 = the images' own size)");
  require(cfg.image_loading == "auto" || cfg.image_loading == "cache" || cfg.image_loading == "stream",
          "--image-loading must be cache, stream or auto, not '" + cfg.image_loading + "'");
  const auto& augments = data::augment_names();
  require(std::find(augments.begin(), augments.end(), cfg.augment) != augments.end(),
          "--augment must be one of auto, none, flip, crop-flip, not '" + cfg.augment + "'");
  require(cfg.nproc >= 1 && cfg.nproc <= 1024, "--nproc must be in [1, 1024]");
  require(cfg.dist_timeout >= 1 && cfg.dist_timeout <= 86400, "--dist-timeout must be in [1, 86400] seconds");
  require(cfg.pipeline_groups >= 0 && cfg.pipeline_groups <= 1024,
          "--pipeline-groups must be in [0, 1024] (0 = one thread per stage)");
  require(cfg.pipeline_depth >= 1 && cfg.pipeline_depth <= 1024, "--pipeline-depth must be in [1, 1024]");
  require(cfg.nproc == 1 || method_info(cfg.method).abilities.data_parallel,
          "--nproc " + std::to_string(cfg.nproc) + ": method '" + cfg.method + "' cannot run data-parallel");
  require(cfg.schedule == ScheduleKind::Sequential || cfg.nproc == 1,
          "--schedule pipeline runs in one process; it cannot be combined with --nproc > 1 (yet)");
  for (const Setting& s : all_settings()) s.check_range(cfg.methods.get(s.key));
}

double scheduled_lr(const RunConfig& cfg, int epoch) {
  return scheduled_lr(cfg.optimizer.lr, cfg.lr_schedule, cfg.gamma, cfg.milestones, epoch, cfg.epochs);
}

}  // namespace dcl
