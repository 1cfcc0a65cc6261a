#pragma once
// `dcl bench`: every requested method trained on synthetic data in one process, with median
// step time, throughput, peak training memory and parameters, each relative to `bp`.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dcl/experiments/step_profile.h"
#include "dcl/nn/network.h"
#include "dcl/training/run_config.h"

namespace dcl {

struct BenchOptions {
  RunConfig base;  // arch, device, dictionary options, optimiser ...
  InputShape input;
  int classes = 10;
  std::vector<std::string> methods;
  int steps = 10;
  int warmup = 2;
  bool profile = false;  // after the measured steps, one profiled step per method
};

struct BenchRow {
  std::string method;
  double median_step_seconds = 0;
  double images_per_second = 0;
  int64_t peak_bytes = 0;
  int64_t params = 0;
  int64_t auxiliary_params = 0;
  std::optional<StepProfile> profile;
};

std::vector<BenchRow> run_bench(const BenchOptions& options);
std::string format_bench_table(const std::vector<BenchRow>& rows);
nlohmann::json bench_json(const BenchOptions& options, const std::vector<BenchRow>& rows);

// The bench over several module counts K of a ResNet (`dcl bench --sweep-local-modules 2,4,8,16`):
// the literal K in a row's value stands for the sweep's K ("bp:checkpoint_segments=K").
struct ModuleSweep {
  std::vector<int> modules;
  std::vector<std::vector<BenchRow>> rows;  // one bench per K, in the same order
};
// "bp:checkpoint_segments=K" -> "bp:checkpoint_segments=4" for a network of 4 modules (cfg's
// --local-modules, or its architecture's default).
std::string with_modules(const std::string& row, const RunConfig& cfg);
ModuleSweep run_module_sweep(BenchOptions options, const std::vector<int>& modules);
// Markdown: one row per method, peak memory (MiB) and step time (ms) per K.
std::string format_module_sweep(const ModuleSweep& sweep);
// DIR/memory_vs_modules.png and DIR/time_vs_modules.png: one line per method against K.
void write_module_sweep_plots(const ModuleSweep& sweep, const std::string& arch, const std::string& dir);

// "3x32x32" -> {3, 32, 32}; throws std::invalid_argument on anything else.
InputShape parse_input_shape(const std::string& text);

}  // namespace dcl
