#include "dcl/experiments/bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <regex>

#include "dcl/experiments/compare.h"
#include "dcl/report/plots.h"
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

std::string with_modules(const std::string& row, const RunConfig& cfg) {
  const int modules = cfg.local_modules > 0 ? cfg.local_modules : arch_info(cfg.arch).default_local_modules;
  return std::regex_replace(row, std::regex("=K(:|$)"), "=" + std::to_string(modules) + "$1");
}

std::vector<BenchRow> run_bench(const BenchOptions& o) {
  torch::Device device = parse_device(o.base.device);
  set_cudnn_benchmark(o.base.cudnn_benchmark);
  MemoryTracker memory(o.base.device);
  std::vector<BenchRow> rows;
  for (const auto& name : o.methods) {
    RunConfig cfg = row_settings_config(o.base, with_modules(name, o.base));
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

ModuleSweep run_module_sweep(BenchOptions o, const std::vector<int>& modules) {
  ModuleSweep sweep;
  for (int k : modules) {
    o.base.local_modules = k;
    validate(o.base);
    std::fprintf(stderr, "bench: %s in %d local modules\n", o.base.arch.c_str(), k);
    sweep.modules.push_back(k);
    sweep.rows.push_back(run_bench(o));
  }
  return sweep;
}

std::string format_module_sweep(const ModuleSweep& s) {
  std::string out = "| method |", rule = "|---|";
  for (int k : s.modules) {
    out += " K=" + std::to_string(k) + " peak MiB | K=" + std::to_string(k) + " ms |";
    rule += "---:|---:|";
  }
  out += " aux params (K=" + std::to_string(s.modules.back()) + ") |\n" + rule + "---:|\n";
  if (s.rows.empty()) return out;
  char cell[64];
  for (size_t m = 0; m < s.rows[0].size(); ++m) {
    out += "| " + s.rows[0][m].method + " |";
    for (const auto& rows : s.rows) {
      std::snprintf(cell, sizeof cell, " %.1f | %.0f |", double(rows[m].peak_bytes) / (1 << 20),
                    1e3 * rows[m].median_step_seconds);
      out += cell;
    }
    out += " " + std::to_string(s.rows.back()[m].auxiliary_params) + " |\n";
  }
  return out;
}

void write_module_sweep_plots(const ModuleSweep& s, const std::string& arch, const std::string& dir) {
  plot::LinePlot memory, time;
  memory.title = arch + ": peak training memory";
  time.title = arch + ": step time";
  memory.x_label = time.x_label = "local modules K";
  memory.y_label = "peak memory (MiB)";
  time.y_label = "step time (ms)";
  if (s.rows.empty()) return;
  for (size_t m = 0; m < s.rows[0].size(); ++m) {
    plot::Series mem{s.rows[0][m].method, {}, {}}, t{s.rows[0][m].method, {}, {}};
    for (size_t i = 0; i < s.modules.size(); ++i) {
      mem.x.push_back(s.modules[i]);
      t.x.push_back(s.modules[i]);
      mem.y.push_back(double(s.rows[i][m].peak_bytes) / (1 << 20));
      t.y.push_back(1e3 * s.rows[i][m].median_step_seconds);
    }
    memory.series.push_back(mem);
    time.series.push_back(t);
  }
  std::filesystem::create_directories(dir);
  plot::write_line_png(dir + "/memory_vs_modules.png", memory);
  plot::write_line_png(dir + "/time_vs_modules.png", time);
}

}  // namespace dcl
