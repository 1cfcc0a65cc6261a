// `dcl bench`: methods side by side on synthetic data.
#include <cstdio>
#include <sstream>

#include "commands.h"
#include "dcl/experiments/bench.h"
#include "dcl/methods/method.h"
#include "dcl/training/trainer.h"

namespace dcl::cli {

void add_bench_command(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions) {
  static RunConfig c;
  static OptionFields fields;
  static std::string input = "3x32x32", methods = "bp,dcl,dcl-s";
  static int steps = 10, warmup = 2, classes = 10;
  static bool json = false, profile = false;
  static int top_ops = 25;
  c.arch = Arch::Vgg8b;
  c.batch_size = 128;
  auto* bench =
      app.add_subcommand("bench", "Step time, throughput, peak memory and parameters per method (synthetic data)");
  add_model_options(bench, c, fields);
  bench->add_option("--input", input, "Input shape CxHxW")->capture_default_str();
  bench->add_option("--batch-size", c.batch_size, "Batch size")->capture_default_str()->check(CLI::PositiveNumber);
  bench->add_option("--methods", methods, "Comma-separated methods; ratios are relative to bp")->capture_default_str();
  bench->add_option("--steps", steps, "Measured steps per method (median reported)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  bench->add_option("--warmup", warmup, "Unmeasured steps first")->capture_default_str();
  bench->add_option("--classes", classes, "Number of classes")->capture_default_str();
  bench->add_flag("--json", json, "Print JSON instead of a table");
  bench->add_flag("--profile", profile,
                  "After the measured steps, profile one more step per method: time per stage and phase (forward, "
                  "loss, backward, optimiser step), the memory timeline (MiB held at each stage's start, peak in each "
                  "phase) and the operators of largest self time; with --json, every operator per stage and phase");
  bench->add_option("--profile-ops", top_ops, "Operators listed per method by --profile")->capture_default_str();
  actions.emplace_back(bench, [] {
    warn_if_reference_blas();
    validate(c);
    BenchOptions o;
    o.base = c;
    o.input = parse_input_shape(input);
    o.classes = classes;
    o.steps = steps;
    o.warmup = warmup;
    o.profile = profile;
    std::stringstream ss(methods);
    for (std::string m; std::getline(ss, m, ',');)
      if (!m.empty()) o.methods.push_back(method_info(m).name);  // every name checked before the first
    int threads = configure_threads(c.threads);
    std::fprintf(stderr, "bench: %s, input %s, batch %d, %d threads, device %s\n", name_of(c.arch).c_str(),
                 input.c_str(), c.batch_size, threads, c.device.c_str());
    auto rows = run_bench(o);
    if (json)
      std::printf("%s\n", bench_json(o, rows).dump(2).c_str());
    else
      std::printf("%s", format_bench_table(rows).c_str());
    if (!json)
      for (const auto& r : rows)
        if (r.profile) std::printf("%s", format_profile(r.method, *r.profile, top_ops).c_str());
    return 0;
  });
}

}  // namespace dcl::cli
