#include "dcl/training/run_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

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
    throw std::runtime_error(path + " is not valid JSON: " + e.what());
  }
}

RunConfig read_run_config(const std::string& path) {
  nlohmann::json j = read_json_file(path);
  if (!j.is_object()) throw std::runtime_error(path + ": expected a JSON object of settings");
  try {
    return RunConfig::from_json(j);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

const std::vector<std::string>& run_file_names() {
  static const std::vector<std::string> names = {"config.json", "metrics.jsonl", "summary.json", "checkpoint.pt"};
  return names;
}

std::vector<std::string> existing_run_files(const std::string& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& name : run_file_names())
    if (fs::exists(fs::path(dir) / name, ec)) found.push_back(name);
  return found;
}

void append_metrics_line(const std::string& dir, const nlohmann::json& line) {
  const std::string path = dir + "/metrics.jsonl";
  write_file_atomic(path, read_text_file(path) + line.dump() + "\n");
}

void truncate_metrics(const std::string& dir, int epochs) {
  const std::string path = dir + "/metrics.jsonl";
  std::istringstream in(read_text_file(path));
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    bool numbered = j.is_object() && j.contains("epoch") && j["epoch"].is_number_integer();
    if (numbered && j["epoch"].get<int>() <= epochs) kept += line + "\n";
  }
  write_file_atomic(path, kept);
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
