#include "dcl/training/run_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "dcl/util/json_error.h"

namespace dcl {

namespace fs = std::filesystem;

std::string read_text_file(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return "";
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  if (!f && !f.eof()) throw std::runtime_error("cannot read " + path);
  return s.str();
}

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot read " + path);
  try {
    return nlohmann::json::parse(f);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + " is not valid JSON (" + json_error_text(e) + ")");
  }
}

RunConfig read_run_config(const std::string& path) {
  nlohmann::json j = read_json_file(path);
  if (!j.is_object()) throw std::runtime_error(path + ": expected a JSON object of settings");
  // The record of a run is complete and strict: every key present, none unknown, each value of
  // its type and in its range. Keys added after runs were written get the value that reproduces
  // those runs: the one given here, or (null) the default, where the default computes what they did.
  static const std::map<std::string, nlohmann::json> kAddedLater = {
      {"tensorboard", nullptr},  {"local_modules", nullptr},        {"nesterov", nullptr},      {"activation", nullptr},
      {"cafo_ones_init", false}, {"ll_loss_before_dropout", false}, {"pff_sum_goodness", false},
      {"pipeline_ranks", nullptr}, {"micro_batches", nullptr}};
  const nlohmann::json expected = RunConfig().to_json();
  for (const auto& [key, value] : expected.items()) {
    if (j.contains(key)) continue;
    auto later = kAddedLater.find(key);
    if (later == kAddedLater.end())
      throw std::invalid_argument(path + ": key '" + key +
                                  "' is missing (config.json records every setting of its run; put back the value "
                                  "the run was started with)");
    if (!later->second.is_null()) j[key] = later->second;
  }
  for (const auto& [key, value] : j.items())
    if (!expected.contains(key)) throw std::invalid_argument(path + ": key '" + key + "' is not a setting of dcl");
  try {
    RunConfig cfg = RunConfig::from_json(j);
    validate(cfg);
    return cfg;
  } catch (const SettingError& e) {
    throw std::invalid_argument(path + ": key '" + e.key + "' " + e.problem);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

std::vector<std::string> existing_run_files(const std::string& dir) { return files_present(dir, run_file_names()); }

void append_metrics_line(const std::string& dir, const nlohmann::json& line) {
  const std::string path = dir + "/metrics.jsonl";
  write_file_atomic(path, read_text_file(path) + line.dump() + "\n");
}

std::vector<std::pair<int, std::string>> read_metrics_lines(const std::string& dir) {
  const std::string path = dir + "/metrics.jsonl";
  std::istringstream in(read_text_file(path));
  std::vector<std::pair<int, std::string>> lines;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    // Lines are written whole (write_file_atomic): a damaged one was changed by something else,
    // and is reported rather than dropped with the history it holds.
    if (!j.is_object() || !j.contains("epoch") || !j["epoch"].is_number_integer())
      throw std::runtime_error(
          path + " line " + std::to_string(number) + " is damaged (not an epoch's JSON object: " + line.substr(0, 60) +
          (line.size() > 60 ? "..." : "") + "); nothing was changed: repair or remove that line, then resume again");
    lines.emplace_back(j["epoch"].get<int>(), line);
  }
  return lines;
}

void truncate_metrics(const std::string& dir, int epochs) {
  std::string kept;
  for (const auto& [epoch, line] : read_metrics_lines(dir))
    if (epoch <= epochs) kept += line + "\n";
  write_file_atomic(dir + "/metrics.jsonl", kept);
}

nlohmann::json best_test_results(const std::string& dir) {
  std::istringstream in(read_text_file(dir + "/metrics.jsonl"));
  nlohmann::json best = nlohmann::json::object();
  double head = -1, layer = -1;
  for (std::string line; std::getline(in, line);) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("test") || !j["test"].is_object()) continue;
    const nlohmann::json& test = j["test"];
    if (test.contains("head_accuracy") && test["head_accuracy"].is_number() &&
        test["head_accuracy"].get<double>() > head) {
      head = test["head_accuracy"].get<double>();
      best["best_test_error"] = 100.0 * (1.0 - head);
      best["best_test_epoch"] = j.value("epoch", 0);
    }
    if (test.contains("layer_accuracy") && test["layer_accuracy"].is_array() && !test["layer_accuracy"].empty() &&
        test["layer_accuracy"].back().is_number() && test["layer_accuracy"].back().get<double>() > layer) {
      layer = test["layer_accuracy"].back().get<double>();
      best["best_last_layer_accuracy"] = layer;
    }
  }
  return best;
}

}  // namespace dcl
