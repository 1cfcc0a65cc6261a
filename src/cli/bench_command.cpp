// `dcl bench`: methods side by side on synthetic data.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "commands.h"
#include "dcl/experiments/bench.h"
#include "dcl/experiments/compare.h"
#include "dcl/experiments/schedule_bench.h"
#include "dcl/methods/method.h"
#include "dcl/nn/conv_block.h"
#include "dcl/runtime/blas_kernel.h"
#include "dcl/runtime/device.h"
#include "dcl/runtime/distributed.h"
#include "dcl/runtime/launcher.h"
#include "dcl/training/run_files.h"
#include "dcl/training/trainer.h"

namespace dcl::cli {

namespace {

// The schedule comparison of `dcl bench --schedule pipeline` / `--nproc N`. With --nproc, this
// process measures the single-process rows, then starts N workers of this same command line; they
// measure the data-parallel row and rank 0 hands its rows back through a file.
int schedule_bench(const RunConfig& c, const std::string& input, const std::string& methods, int steps, int warmup,
                   int classes, bool json, bool pipeline, int nproc, int groups, int depth, int ranks, int micro) {
  ScheduleBenchOptions o;
  o.bench.base = c;
  o.bench.input = parse_input_shape(input);
  o.bench.classes = classes;
  o.bench.steps = steps;
  o.bench.warmup = warmup;
  std::stringstream ss(methods);
  for (std::string m; std::getline(ss, m, ',');)
    if (!m.empty()) o.bench.methods.push_back(method_info(m).name);
  o.threads = c.threads > 0 ? c.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  o.pipeline = pipeline;
  o.pipeline_groups = groups;
  o.pipeline_depth = depth;
  o.nproc = nproc;
  o.pipeline_ranks = ranks;
  o.micro_batches = micro;
  if (distributed_env_from_environment().active()) {
    // A worker of this command: DCL_BENCH_JOB says which of the two jobs it belongs to.
    const char* job = std::getenv("DCL_BENCH_JOB");
    auto rows =
        job && std::string(job) == "process-pipeline" ? run_process_pipeline_bench(o) : run_data_parallel_bench(o);
    const char* result = std::getenv("DCL_BENCH_RESULT");
    if (distributed_env_from_environment().rank == 0 && result)
      write_file_atomic(result, schedule_bench_json(rows).dump() + "\n");
    return 0;
  }
  std::fprintf(stderr, "bench: %s, input %s, global batch %d, %d threads in all\n", c.arch.c_str(), input.c_str(),
               c.batch_size, o.threads);
  auto rows = run_schedule_bench(o);
  // The multi-process rows: `count` workers of this same command line; rank 0 hands its rows back
  // through a file, and each method's rows stay together (sequential, pipeline, process pipeline,
  // 1 rank alone, data-parallel).
  auto add_job_rows = [&](int count, const std::string& job, const std::string& what) {
    std::string result =
        std::filesystem::temp_directory_path() / ("dcl_bench_" + std::to_string(::getpid()) + "_" + job + ".json");
    int code =
        launch_local_workers(count, own_command_line(), 10, {"DCL_BENCH_RESULT=" + result, "DCL_BENCH_JOB=" + job});
    if (code != 0) throw std::runtime_error("the " + what + " workers failed (exit " + std::to_string(code) + ")");
    std::ifstream in(result);
    auto measured = schedule_bench_rows_from_json(nlohmann::json::parse(in));
    std::filesystem::remove(result);
    for (const auto& r : measured) {
      auto at = rows.end();
      for (auto it = rows.begin(); it != rows.end(); ++it)
        if (it->method == r.method && (job == "data-parallel" || it->variant != "1 rank alone")) at = it + 1;
      rows.insert(at, r);
    }
  };
  if (pipeline && ranks > 1) add_job_rows(ranks, "process-pipeline", "process-pipeline");
  if (nproc > 1) add_job_rows(nproc, "data-parallel", "data-parallel");
  relate_rows(rows, nproc);
  if (json)
    std::printf("%s\n", schedule_bench_json(rows).dump(2).c_str());
  else
    std::printf("%s", format_schedule_bench(rows).c_str());
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions) {
  // Fresh flags for every parse: the Python package runs several commands in one process.
  struct BenchFlags {
    RunConfig c;
    OptionFields fields;
    std::string input = "3x32x32", methods = "bp,dcl,dcl-s";
    int steps = 10, warmup = 2, classes = 10;
    bool json = false, profile = false;
    int top_ops = 25;
    std::vector<int> sweep;
    std::string plot_dir, schedule = "sequential";
    int nproc = 1, groups = 2, depth = 1, ranks = 1;
  };
  auto flags = std::make_shared<BenchFlags>();
  auto& [c, fields, input, methods, steps, warmup, classes, json, profile, top_ops, sweep, plot_dir, schedule, nproc,
         groups, depth, ranks] = *flags;
  c.arch = "vgg8b";
  c.batch_size = 128;
  auto* bench =
      app.add_subcommand("bench", "Step time, throughput, peak memory and parameters per method (synthetic data)");
  add_model_options(bench, c, fields);
  bench->add_option("--input", input, "Input shape CxHxW")->capture_default_str();
  bench->add_option("--batch-size", c.batch_size, "Batch size")->capture_default_str()->check(CLI::PositiveNumber);
  bench
      ->add_option("--methods", methods,
                   "Comma-separated rows, each METHOD[:KEY=VALUE...] with KEY a setting of config.json "
                   "(e.g. bp:checkpoint_segments=4, bp:accumulate=4); ratios are relative to bp")
      ->capture_default_str();
  bench->add_option("--steps", steps, "Measured steps per method (median reported)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  bench->add_option("--warmup", warmup, "Unmeasured steps first")->capture_default_str()->check(integer_in(0, 100000));
  bench->add_option("--classes", classes, "Number of classes")->capture_default_str()->check(integer_in(2, 100000));
  bench->add_flag("--json", json, "Print JSON instead of a table");
  bench
      ->add_option("--sweep-local-modules", sweep,
                   "ResNets: one bench per module count K (e.g. 2,4,8,16) and a table of memory and time per K; "
                   "in --methods, =K stands for each K (bp:checkpoint_segments=K)")
      ->delimiter(',')
      ->check(integer_in(1, 1000));
  bench->add_option("--plot", plot_dir,
                    "With --sweep-local-modules: write DIR/memory_vs_modules.png and DIR/time_vs_modules.png");
  bench->add_flag("--profile", profile,
                  "After the measured steps, profile one more step per method: time per stage and phase (forward, "
                  "loss, backward, optimiser step), the memory timeline (MiB held at each stage's start, peak in each "
                  "phase) and the operators of largest self time; with --json, every operator per stage and phase");
  bench->add_option("--profile-ops", top_ops, "Operators listed per method by --profile")
      ->capture_default_str()
      ->check(integer_in(1, 10000));
  bench
      ->add_option("--schedule", schedule,
                   "sequential | pipeline (or sequential,pipeline): pipeline measures each method sequentially (all "
                   "--threads) and as a block pipeline (--pipeline-groups threads, --threads divided among them), "
                   "with --pipeline-ranks also as a process pipeline, with the speed-up and each group's time "
                   "(compute, waiting for input, waiting for room) and the bytes sent per step")
      ->capture_default_str()
      ->check(CLI::IsMember({"sequential", "pipeline", "sequential,pipeline"}));
  bench
      ->add_option("--nproc", nproc,
                   "Also measure N data-parallel processes (c10d, Gloo, loopback), each with --threads/N threads and "
                   "--batch-size/N images per step, against N x one such process alone (the ideal): efficiency, "
                   "and rank 0's time in compute and in collectives")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  bench->add_option("--pipeline-groups", groups, "Pipeline threads (0 = one per stage)")
      ->capture_default_str()
      ->check(integer_in(0, 1024, "0 = one per stage"));
  bench
      ->add_option("--pipeline-ranks", ranks,
                   "With --schedule pipeline: also measure the process pipeline of G processes (c10d, Gloo, "
                   "loopback), one contiguous run of stages each, --threads divided among them")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  bench->add_option("--pipeline-depth", depth, "Batches that may wait between two pipeline threads")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  actions.emplace_back(bench, [flags] {
    auto& [c, fields, input, methods, steps, warmup, classes, json, profile, top_ops, sweep, plot_dir, schedule, nproc,
           groups, depth, ranks] = *flags;
    const bool pipeline = schedule != "sequential";
    if (ranks > 1 && !pipeline) throw std::invalid_argument("--pipeline-ranks applies to --schedule pipeline only");
    if (pipeline || nproc > 1) {
      warn_if_reference_blas();
      validate(c);
      std::fprintf(stderr, "bench: %s\n", loaded_blas().describe().c_str());
      return schedule_bench(c, input, methods, steps, warmup, classes, json, pipeline, nproc, groups, depth, ranks,
                            c.methods.get("micro_batches").get<int>());
    }
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
    bool bf16_rows = false;
    for (std::string m; std::getline(ss, m, ',');)
      if (!m.empty()) {
        RunConfig check = c;
        check.local_modules = sweep.empty() ? c.local_modules : sweep.front();
        bf16_rows |=
            row_settings_config(check, with_modules(m, check)).amp == Amp::Bf16;  // every row before the first runs
        o.methods.push_back(m);
      }
    if (!plot_dir.empty() && sweep.empty()) throw std::invalid_argument("--plot applies to --sweep-local-modules only");
    int threads = configure_threads(c.threads);
    std::fprintf(stderr, "bench: %s, input %s, batch %d, %d threads, device %s; %s\n", c.arch.c_str(), input.c_str(),
                 c.batch_size, threads, c.device.c_str(), loaded_blas().describe().c_str());
    if (bf16_rows && parse_device(c.device).is_cpu())
      std::fprintf(stderr, "bench: --amp bf16 conv blocks: %s\n",
                   ConvBlockImpl::bf16_convolution_default()
                       ? "convolutions in bfloat16 (this processor multiplies it natively: AVX512-BF16 or AMX)"
                       : "convolutions in float32 on activations stored in bfloat16 (this processor has neither "
                         "AVX512-BF16 nor AMX: bfloat16 products would be emulated, slower than float32)");
    if (!sweep.empty()) {
      ModuleSweep s = run_module_sweep(o, sweep);
      std::printf("%s", format_module_sweep(s).c_str());
      if (!plot_dir.empty()) write_module_sweep_plots(s, c.arch, plot_dir);
      return 0;
    }
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
