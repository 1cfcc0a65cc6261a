#include "dcl/experiments/bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <regex>

#include "dcl/experiments/compare.h"
#include "dcl/runtime/device.h"
#include "dcl/runtime/memory_tracker.h"
#include "dcl/training/build_model.h"
#include "dcl/training/memory_plan.h"

namespace dcl {

InputShape parse_input_shape(const std::string& text) {
  std::smatch m;
  static const std::regex re("^([0-9]+)x([0-9]+)x([0-9]+)$");
  if (!std::regex_match(text, m, re) || std::stoi(m[1]) < 1 || std::stoi(m[2]) < 1 || std::stoi(m[3]) < 1)
    throw std::invalid_argument("--input '" + text + "' is not CxHxW with positive sizes (e.g. 3x32x32)");
  return {std::stoi(m[1]), std::stoi(m[2]), std::stoi(m[3])};
}

std::vector<BenchRow> run_bench(const BenchOptions& o) {
  torch::Device device = parse_device(o.base.device);
  set_cudnn_benchmark(o.base.cudnn_benchmark);
  MemoryTracker memory(o.base.device);
  std::vector<BenchRow> rows;
  for (const auto& name : o.methods) {
    RunConfig cfg = row_settings_config(o.base, name);
    torch::manual_seed(cfg.seed);
    BenchRow row;
    row.method = name;
    {
      torch::Tensor x = torch::randn({cfg.batch_size, o.input.channels, o.input.height, o.input.width}).to(device);
      torch::Tensor y = torch::randint(o.classes, {cfg.batch_size}, torch::kInt64).to(device);
      Model model = build_model(cfg, o.input, o.classes);
      apply_memory_budget(model, cfg, o.input);
      model.to(device);
      model.set_amp(cfg.amp, device.type());
      row.params = model.network_parameters();
      row.auxiliary_params = model.auxiliary_parameters();
      memory.reset_peak();
      std::vector<double> times;
      for (int i = 0; i < o.warmup + o.steps; ++i) {
        synchronize(device);
        auto t0 = std::chrono::steady_clock::now();
        model.schedule->step(x, y);
        synchronize(device);  // CUDA kernels run asynchronously: time them to their end
        double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (i >= o.warmup) times.push_back(dt);
      }
      row.peak_bytes = memory.peak_bytes();
      if (o.profile) row.profile = profile_step(model, x, y, memory, device);
      std::sort(times.begin(), times.end());
      row.median_step_seconds = times[times.size() / 2];
      row.images_per_second = cfg.batch_size / row.median_step_seconds;
    }
    std::fprintf(stderr, "  %-10s %8.1f ms/step %9.0f img/s %8.1f MiB peak\n", name.c_str(),
                 1e3 * row.median_step_seconds, row.images_per_second, double(row.peak_bytes) / (1 << 20));
    rows.push_back(row);
  }
  return rows;
}

namespace {

const BenchRow* find_bp(const std::vector<BenchRow>& rows) {
  for (const auto& r : rows)
    if (r.method == "bp") return &r;
  return nullptr;
}

}  // namespace

std::string format_bench_table(const std::vector<BenchRow>& rows) {
  const BenchRow* bp = find_bp(rows);
  std::string out;
  char line[256];
  int width = 10;  // the longest row name ("bp:checkpoint_segments=4")
  for (const auto& r : rows) width = std::max(width, int(r.method.size()));
  std::snprintf(line, sizeof line, "%-*s %12s %10s %12s %12s %10s %10s %9s %9s\n", width, "method", "step (ms)",
                "img/s", "peak (MiB)", "params", "aux params", "time/bp", "mem/bp", "");
  out += line;
  for (const auto& r : rows) {
    std::string tr = "-", mr = "-";
    if (bp) {
      char a[32], b[32];
      std::snprintf(a, sizeof a, "%.2fx", r.median_step_seconds / bp->median_step_seconds);
      std::snprintf(b, sizeof b, "%.2fx", double(r.peak_bytes) / double(bp->peak_bytes));
      tr = a;
      mr = b;
    }
    std::snprintf(line, sizeof line, "%-*s %12.1f %10.0f %12.1f %12lld %10lld %10s %10s\n", width, r.method.c_str(),
                  1e3 * r.median_step_seconds, r.images_per_second, double(r.peak_bytes) / (1 << 20),
                  (long long)r.params, (long long)r.auxiliary_params, tr.c_str(), mr.c_str());
    out += line;
  }
  return out;
}

nlohmann::json bench_json(const BenchOptions& o, const std::vector<BenchRow>& rows) {
  const BenchRow* bp = find_bp(rows);
  nlohmann::json j = {{"arch", o.base.arch},
                      {"input", o.input.str()},
                      {"batch_size", o.base.batch_size},
                      {"device", o.base.device},
                      {"threads", torch::get_num_threads()},
                      {"steps", o.steps}};
  for (const auto& r : rows) {
    nlohmann::json m = {{"method", r.method},
                        {"median_step_seconds", r.median_step_seconds},
                        {"images_per_second", r.images_per_second},
                        {"peak_memory_bytes", r.peak_bytes},
                        {"params", r.params},
                        {"auxiliary_params", r.auxiliary_params}};
    if (bp) {
      m["time_ratio_to_bp"] = r.median_step_seconds / bp->median_step_seconds;
      m["memory_ratio_to_bp"] = double(r.peak_bytes) / double(bp->peak_bytes);
    }
    if (r.profile) m["profile"] = profile_json(*r.profile);
    j["methods"].push_back(m);
  }
  return j;
}

}  // namespace dcl
