// dcl analyze mi: spec section 6, Figure 3.
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <ATen/CPUGeneratorImpl.h>

#include "dcl/analysis/analyses.h"
#include "dcl/analysis/analysis_output.h"
#include "dcl/analysis/features.h"
#include "dcl/report/plots.h"
#include "dcl/training/saved_run.h"

namespace dcl::analysis {

namespace {

// The probe's data for one split: nuisance indices r (uniform, from their own seed, so independent
// of the labels), the labels y, and every depth's features on the images with their nuisance added.
struct ProbeSet {
  torch::Tensor y, r;
  std::vector<torch::Tensor> features;  // depth 0: the input itself, then each block
  std::vector<std::string> depth_names;
};

ProbeSet probe_set(SavedRun& run, const data::ImageSet& set, int64_t count, const torch::Tensor& patterns,
                   uint64_t seed) {
  count = std::min(count, set.count);
  ProbeSet p;
  at::Generator gen = at::detail::createCPUGenerator(seed);
  p.r = torch::randint(patterns.size(0), {count}, gen, torch::kLong);
  p.y = torch::from_blob(const_cast<int32_t*>(set.labels.data()), {count}, torch::kInt).to(torch::kLong);
  std::vector<std::vector<torch::Tensor>> chunks;
  const int64_t batch = 500;
  for (int64_t start = 0; start < count; start += batch) {
    std::vector<int64_t> idx;
    for (int64_t i = start; i < std::min(count, start + batch); ++i) idx.push_back(i);
    torch::Tensor x = network_images(set, *run.info, idx) +
                      patterns.index_select(0, p.r.slice(0, start, start + int64_t(idx.size())));
    std::vector<BlockOutput> blocks = block_outputs(run.model, x.to(run.device));
    if (chunks.empty()) {
      chunks.resize(blocks.size() + 1);
      p.depth_names.push_back("input");
      for (const auto& b : blocks) p.depth_names.push_back(b.name);
    }
    chunks[0].push_back(probe_features(x));
    for (size_t l = 0; l < blocks.size(); ++l) chunks[l + 1].push_back(probe_features(blocks[l].h).cpu());
  }
  for (auto& c : chunks) p.features.push_back(torch::cat(c));
  return p;
}

}  // namespace

nlohmann::json analyze_mutual_information(const MutualInformationOptions& o) {
  if (o.runs.empty()) throw std::invalid_argument("dcl analyze mi needs at least one run (--runs DIR...)");
  if (o.nuisances < 2) throw std::invalid_argument("--nuisances must be at least 2");
  std::vector<std::string> methods;
  std::string data;
  nlohmann::json per_run = nlohmann::json::array();
  plot::LinePlot lp;
  std::vector<std::string> depth_axis;
  for (const std::string& dir : o.runs) {
    SavedRun run = load_saved_run(dir, o.data_dir, o.threads);
    if (data.empty()) data = run.cfg.data;
    if (run.cfg.data != data)
      throw std::invalid_argument("run " + dir + " was trained on " + run.cfg.data + ", the first run on " + data +
                                  ": compare runs on one dataset");
    methods.push_back(run.cfg.method);
    // The same patterns, nuisance draws and images for every run: the estimates differ only by the
    // features.
    torch::Tensor patterns = nuisance_patterns(run.input(), o.nuisances, o.amplitude, 1234);
    ProbeSet train = probe_set(run, run.splits.train, o.probe_train, patterns, 1);
    ProbeSet test = probe_set(run, run.splits.test, o.probe_test, patterns, 2);
    nlohmann::json depths = nlohmann::json::array();
    plot::Series sy, sr;
    for (size_t d = 0; d < train.features.size(); ++d) {
      std::fprintf(stderr, "mi: %s, %s (%lld features)\n", dir.c_str(), train.depth_names[d].c_str(),
                   (long long)train.features[d].size(1));
      InformationEstimate iy =
          probe_information(train.features[d], train.y, test.features[d], test.y, run.info->classes, o.probe);
      InformationEstimate ir =
          probe_information(train.features[d], train.r, test.features[d], test.r, o.nuisances, o.probe);
      depths.push_back({{"depth", d},
                        {"name", train.depth_names[d]},
                        {"features", train.features[d].size(1)},
                        {"I_h_y", iy.bound},
                        {"H_y", iy.entropy},
                        {"probe_accuracy_y", iy.accuracy},
                        {"I_h_r", ir.bound},
                        {"H_r", ir.entropy},
                        {"probe_accuracy_r", ir.accuracy}});
      sy.x.push_back(double(d)), sy.y.push_back(iy.bound);
      sr.x.push_back(double(d)), sr.y.push_back(ir.bound);
    }
    if (train.depth_names.size() > depth_axis.size()) depth_axis = train.depth_names;
    per_run.push_back({{"run", dir}, {"method", run.cfg.method}, {"arch", run.cfg.arch}, {"depths", depths}});
    lp.series.push_back(std::move(sy));
    lp.series.push_back(std::move(sr));
  }
  // Legends name each run by its method (and directory, when two runs share a method).
  for (size_t k = 0; k < per_run.size(); ++k) {
    std::string label = per_run[k]["method"].get<std::string>();
    if (std::count(methods.begin(), methods.end(), label) > 1)
      label += " (" + std::filesystem::path(o.runs[k]).filename().string() + ")";
    lp.series[2 * k].name = label + ": I(h; y)";
    lp.series[2 * k + 1].name = label + ": I(h; r)";
  }
  lp.title = "Information in each block's features (" + data + ", probe lower bounds)";
  lp.x_label = "depth";
  lp.y_label = "mutual information estimate (nats)";
  lp.x_tick_names = depth_axis;
  AnalysisOutput out(o.out, o.runs.front());
  plot::write_line_png(out.path("mi.png"), lp);
  nlohmann::json result = {
      {"caption", "Mutual information per block with the label y and with a task-irrelevant nuisance r (" +
                      std::to_string(o.nuisances) + " additive patterns, independent of y): H(v) minus a " +
                      (o.probe.hidden > 0 ? "one-hidden-layer" : "linear") +
                      " probe's held-out cross-entropy, in nats"},
      {"runs", per_run},
      {"nuisances", o.nuisances},
      {"amplitude", o.amplitude},
      {"probe_train", o.probe_train},
      {"probe_test", o.probe_test},
      {"probe",
       {{"hidden", o.probe.hidden},
        {"epochs", o.probe.epochs},
        {"batch_size", o.probe.batch_size},
        {"lr", o.probe.lr},
        {"weight_decay", o.probe.weight_decay},
        {"seed", o.probe.seed}}}};
  out.write_json("mi.json", result);
  return result;
}

}  // namespace dcl::analysis
