#pragma once
// The trainer: epochs, learning-rate schedule, evaluation, metrics, checkpoints and the run
// directory (config.json, metrics.jsonl, summary.json, checkpoint.pt).
#include <atomic>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "dcl/stages/schedule.h"
#include "dcl/training/evaluator.h"
#include "dcl/training/run_config.h"

namespace dcl {

// Set by SIGINT/SIGTERM: the trainer finishes the current step, writes a checkpoint and stops.
std::atomic<bool>& stop_requested();
void install_stop_handlers();

// Sets LibTorch's intra-op threads (0 = all cores) and returns the number used.
int configure_threads(int threads);

class Trainer {
 public:
  // A new run in cfg.out, or (resume = true) the continuation of the run saved there. When the
  // environment names a data-parallel job (WORLD_SIZE > 1; training/distributed.h), this process
  // joins it as rank RANK: rank 0 owns the run directory, every rank trains on its shard of each
  // batch. `nproc_given`: --nproc was on the command line, so it must equal WORLD_SIZE.
  Trainer(RunConfig cfg, bool resume, bool nproc_given = false);
  ~Trainer();
  // The checks the constructor makes before it touches anything (settings, data, device, the
  // built model, the run directory), for a launcher that starts workers only when they would pass.
  static void preflight(const RunConfig& cfg, bool resume);
  // Trains to the end (returns the summary) or until interrupted (returns null json).
  nlohmann::json run();

 private:
  void open_data(const RunConfig& cfg);
  void load_state(const RunConfig& cfg, bool resume);
  void init_worker(RunConfig& cfg, bool resume);
  void join_job();
  EvalResult evaluate_test_set();
  // The steps of run(), in order.
  struct Epoch;
  void prepare_model();  // Model::prepare, once, before the first step of a new run
  Epoch train_epoch();
  void record_step(const StepResult& local, Epoch& epoch);
  StepResult sum_step_over_ranks(const StepResult& local, bool& stop);
  nlohmann::json stop_within_epoch(Epoch& epoch);  // checkpoint mid-epoch; null json
  void report_epoch(const Epoch& epoch, const EvalResult& eval);
  bool finish_epoch(const Epoch& epoch);  // checkpoint; false: stopped before the last epoch
  nlohmann::json write_summary(const EvalResult& eval);
  bool should_stop() const;
  struct State;
  std::unique_ptr<State> s_;
};

// Evaluates a saved run directory's checkpoint on the test split; prints and returns the result.
nlohmann::json evaluate_run(const std::string& run_dir, const std::string& data_dir, int threads);

}  // namespace dcl
