#include "dcl/core/run_config.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "dcl/core/method.h"
#include "dcl/data/registry.h"

namespace dcl {

// One list of fields drives both directions of the JSON conversion.
#define DCL_CONFIG_FIELDS(X)                                                                      \
  X(data) X(data_dir) X(arch) X(method) X(preset) X(epochs) X(batch_size) X(lr) X(optimizer)     \
  X(weight_decay) X(momentum) X(gamma) X(milestones) X(dropout) X(fc_width) X(fc_patches)        \
  X(dict_init) X(dict_map) X(similarity) X(temperature) X(ensemble_weights) X(ll_beta)           \
  X(ll_recon_weight) X(seed) X(threads) X(limit_train) X(limit_test) X(device) X(out)

nlohmann::json RunConfig::to_json() const {
  nlohmann::json j;
#define DCL_TO_JSON(f) j[#f] = f;
  DCL_CONFIG_FIELDS(DCL_TO_JSON)
#undef DCL_TO_JSON
  return j;
}

RunConfig RunConfig::from_json(const nlohmann::json& j) {
  RunConfig c;
#define DCL_FROM_JSON(f) \
  if (j.contains(#f)) j.at(#f).get_to(c.f);
  DCL_CONFIG_FIELDS(DCL_FROM_JSON)
#undef DCL_FROM_JSON
  return c;
}

const std::vector<std::string>& arch_names() {
  static const std::vector<std::string> names = {"fc", "simple256", "simple512", "vgg8b"};
  return names;
}

const std::vector<std::string>& method_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& m : methods()) n.push_back(m.name);
    return n;
  }();
  return names;
}

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

void require_one_of(const std::string& flag, const std::string& value, const std::vector<std::string>& valid) {
  if (std::find(valid.begin(), valid.end(), value) == valid.end())
    throw std::invalid_argument("unknown " + flag + " '" + value + "' (valid: " + join(valid) + ")");
}

struct Schedule {
  double lr;
  int batch;
  double gamma;
  int epochs;
  std::vector<int> milestones;
  double dropout;
};

// Spec section 4. K-MNIST and F-MNIST use the MNIST values for fc and simple*, SVHN the CIFAR-10
// values, CIFAR-20 the CIFAR-100 values.
Schedule paper_schedule(const std::string& arch, const std::string& data) {
  bool mnist_like = data == "mnist" || data == "kmnist" || data == "fmnist";
  bool c100 = data == "cifar100" || data == "cifar20";
  if (arch == "fc") {
    if (mnist_like) return {5e-4, 512, 0.5, 150, {50, 100, 125}, 0.0};
    if (c100) return {1e-4, 512, 0.5, 200, {50, 100, 150}, 0.3};
    return {2e-4, 512, 0.5, 400, {50, 150, 200, 350}, 0.0};
  }
  if (arch == "simple256" || arch == "simple512") {
    if (mnist_like) return {0.0075, 512, 0.5, 150, {50, 75, 100, 125}, 0.0};
    if (c100) return {0.0075, 512, 0.5, 400, {100, 200, 250, 300, 350}, 0.0};
    return {0.0075, 512, 0.5, 500, {100, 200, 300, 400, 450}, 0.0};
  }
  // vgg8b
  if (data == "mnist" || data == "kmnist") return {5e-4, 128, 0.25, 100, {50, 75, 89, 94}, 0.1};
  if (data == "fmnist") return {5e-4, 128, 0.25, 200, {100, 150, 175, 188}, 0.1};
  if (data == "svhn") return {3e-4, 128, 0.25, 100, {50, 75, 89, 94}, 0.05};
  if (data == "stl10") return {5e-4, 128, 0.25, 400, {200, 300, 350, 375}, 0.1};
  return {5e-4, 128, 0.25, 400, {200, 300, 350, 375}, 0.05};
}

}  // namespace

void apply_preset(RunConfig& cfg, const std::vector<std::string>& explicit_fields) {
  if (cfg.preset == "none") return;
  require_one_of("--preset", cfg.preset, {"none", "quick", "paper"});
  require_one_of("--arch", cfg.arch, arch_names());
  Schedule s = paper_schedule(cfg.arch, cfg.data);
  if (cfg.preset == "quick") {
    // A few epochs with the paper's optimiser settings, halving the lr for the last one.
    s.epochs = cfg.arch == "fc" ? 5 : 3;
    s.milestones = {s.epochs - 1};
    s.gamma = 0.5;
  }
  auto set = [&](const char* name, auto& field, auto value) {
    if (std::find(explicit_fields.begin(), explicit_fields.end(), name) == explicit_fields.end()) field = value;
  };
  set("lr", cfg.lr, s.lr);
  set("batch_size", cfg.batch_size, s.batch);
  set("gamma", cfg.gamma, s.gamma);
  set("epochs", cfg.epochs, s.epochs);
  set("milestones", cfg.milestones, s.milestones);
  set("dropout", cfg.dropout, s.dropout);
  set("optimizer", cfg.optimizer, std::string("adamw"));
}

void validate(const RunConfig& cfg) {
  data::dataset_info(cfg.data);  // throws with the valid names
  require_one_of("--arch", cfg.arch, arch_names());
  method_info(cfg.method);
  require_one_of("--preset", cfg.preset, {"none", "quick", "paper"});
  require_one_of("--optimizer", cfg.optimizer, {"adamw", "adam", "sgd"});
  require_one_of("--dict-init", cfg.dict_init, {"normal", "orthogonal"});
  require_one_of("--dict-map", cfg.dict_map, {"pool", "linear"});
  require_one_of("--similarity", cfg.similarity, {"dot", "cos"});
  if (cfg.device != "cpu" && cfg.device.rfind("cuda", 0) != 0)
    throw std::invalid_argument("unknown --device '" + cfg.device + "' (valid: cpu, cuda, cuda:N)");
  if (cfg.epochs < 1) throw std::invalid_argument("--epochs must be at least 1");
  if (cfg.batch_size < 1) throw std::invalid_argument("--batch-size must be at least 1");
  if (!(cfg.lr > 0) || !std::isfinite(cfg.lr)) throw std::invalid_argument("--lr must be a positive number");
  if (cfg.dropout < 0 || cfg.dropout >= 1) throw std::invalid_argument("--dropout must be in [0, 1)");
  if (!(cfg.temperature > 0)) throw std::invalid_argument("--temperature must be positive");
  if (!(cfg.ll_beta >= 0 && cfg.ll_beta <= 1)) throw std::invalid_argument("--ll-beta must be in [0, 1]");
  if (!(cfg.ll_recon_weight >= 0)) throw std::invalid_argument("--ll-recon-weight must be >= 0");
  if (cfg.limit_train < 0 || cfg.limit_test < 0) throw std::invalid_argument("--limit-train/--limit-test must be >= 0");
}

double scheduled_lr(const RunConfig& cfg, int epoch) {
  int passed = 0;
  for (int m : cfg.milestones) passed += epoch >= m ? 1 : 0;
  return cfg.lr * std::pow(cfg.gamma, passed);
}

}  // namespace dcl
