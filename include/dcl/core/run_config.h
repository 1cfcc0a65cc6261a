#pragma once
// One configuration struct per run: filled from CLI flags and presets, written to config.json,
// and enough on its own to repeat the run (seed included).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dcl {

struct RunConfig {
  // what to train
  std::string data = "fmnist";
  std::string data_dir;          // "" = the dataset's default directory
  std::string arch = "fc";       // fc | simple256 | simple512 | vgg8b
  std::string method = "dcl";    // a name from methods() in method.cpp
  std::string preset = "none";   // none | quick | paper
  // schedule and optimiser
  int epochs = 5;
  int batch_size = 512;
  double lr = 5e-4;
  std::string optimizer = "adamw";  // adamw | adam | sgd
  double weight_decay = 0.01;
  double momentum = 0.9;            // sgd only
  double gamma = 0.5;               // MultiStep decay factor
  std::vector<int> milestones;      // epochs (0-based count of finished epochs) where lr *= gamma
  double dropout = 0.0;
  // network details
  int fc_width = 0;    // 0 = spec default for the input (1024 for 28x28, 3072 for colour)
  int fc_patches = 0;  // 0 = spec default P (8 MNIST-like, 48 CIFAR-10-like, 12 CIFAR-100-like)
  // dictionary objective (spec section 1)
  std::string dict_init = "normal";  // normal | orthogonal
  std::string dict_map = "pool";     // pool | linear
  std::string similarity = "dot";    // dot | cos
  double temperature = 0.07;         // cos only
  std::vector<double> ensemble_weights;  // per dictionary block; empty = equal
  // local-learning comparison methods (spec section 5)
  double ll_beta = 0.99;          // ll-predsim / ll-bpf: (1 - beta) L_pred + beta L_sim
  double ll_recon_weight = 5.0;   // ll-contrec: L_contrast + weight * L_recon
  // run mechanics
  uint64_t seed = 1;
  int threads = 0;            // 0 = all cores
  int64_t limit_train = 0;    // 0 = all samples
  int64_t limit_test = 0;
  std::string device = "cpu";
  std::string out;            // run directory
  int64_t stop_after_steps = 0;  // testing/debugging: behave as if interrupted after N steps

  nlohmann::json to_json() const;
  static RunConfig from_json(const nlohmann::json& j);
};

// Applies `cfg.preset` (quick | paper) for cfg.arch x cfg.data (spec section 4).
// Only fields the user did not set explicitly are changed: `explicit_fields` names them.
void apply_preset(RunConfig& cfg, const std::vector<std::string>& explicit_fields);

// Throws std::invalid_argument naming the bad value and the valid ones.
void validate(const RunConfig& cfg);

const std::vector<std::string>& method_names();
const std::vector<std::string>& arch_names();

// Learning rate at the start of `epoch` (0-based) under the MultiStep schedule.
double scheduled_lr(const RunConfig& cfg, int epoch);

}  // namespace dcl
