// `dcl compare`'s learning curves: every row's test error per epoch, read back from its runs.
#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "dcl/experiments/compare.h"
#include "dcl/training/run_files.h"

namespace dcl {

plot::LinePlot learning_curves(const CompareOptions& o) {
  plot::LinePlot p;
  p.title = o.base.data + ", " + o.base.arch + ": test error per epoch";
  p.x_label = "epoch";
  p.y_label = o.seeds > 1 ? "test error % (mean over seeds)" : "test error %";
  for (const auto& method : o.methods) {
    std::map<int, std::vector<double>> errors;  // epoch -> one per seed
    for (int k = 0; k < o.seeds; ++k) {
      std::string metrics = compare_run_dir(o, method, o.base.seed + uint64_t(k)) + "/metrics.jsonl";
      std::ifstream in(metrics);
      for (std::string line; std::getline(in, line);) {
        nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (!j.is_object() || !j.contains("test") || !j["test"].is_object() || !j.contains("epoch")) continue;
        const nlohmann::json& acc = j["test"].value("head_accuracy", nlohmann::json());
        if (acc.is_number() && j["epoch"].is_number_integer())
          errors[j["epoch"].get<int>()].push_back(100.0 * (1.0 - acc.get<double>()));
      }
    }
    plot::Series s;
    s.name = method;
    for (const auto& [epoch, values] : errors) {
      double sum = 0;
      for (double v : values) sum += v;
      s.x.push_back(epoch);
      s.y.push_back(sum / double(values.size()));
    }
    if (!s.x.empty()) p.series.push_back(s);
  }
  size_t longest = 0;
  for (const auto& s : p.series) longest = std::max(longest, s.x.size());
  p.markers = longest <= 60;  // past that the markers only blur the line
  return p;
}

}  // namespace dcl
