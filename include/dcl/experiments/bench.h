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

// "3x32x32" -> {3, 32, 32}; throws std::invalid_argument on anything else.
InputShape parse_input_shape(const std::string& text);

}  // namespace dcl
