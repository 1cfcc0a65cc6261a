#include "dcl/training/trainer.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
#include <thread>

#include "dcl/data/registry.h"
#include "dcl/methods/method.h"
#include "dcl/report/tensorboard_writer.h"
#include "dcl/runtime/device.h"
#include "dcl/runtime/distributed.h"
#include "dcl/runtime/gpipe_schedule.h"
#include "dcl/runtime/memory_tracker.h"
#include "dcl/runtime/process_pipeline.h"
#include "dcl/runtime/run_lock.h"
#include "dcl/stages/intra_op_threads.h"
#include "dcl/stages/pipeline_schedule.h"
#include "dcl/training/batch_loader.h"
#include "dcl/training/build_model.h"
#include "dcl/training/checkpoint.h"
#include "dcl/training/divergence.h"
#include "dcl/training/evaluator.h"
#include "dcl/training/memory_plan.h"
#include "dcl/training/progress_bar.h"
#include "dcl/training/run_files.h"
#include "dcl/training/saved_run.h"
#include "dcl/util/cpu_features.h"

namespace dcl {

std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

void install_stop_handlers() {
  auto handler = [](int sig) {
    stop_requested().store(true);
    std::signal(sig, SIG_DFL);  // a second signal ends the process at once
  };
  std::signal(SIGINT, handler);
  std::signal(SIGTERM, handler);
}

int configure_threads(int threads) {
  int n = threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
  set_intra_op_threads(n);
  return n;
}

namespace {

std::string percent(double v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * v);
  return buf;
}

}  // namespace

struct Trainer::State {
  RunConfig cfg;
  const data::DatasetInfo* info = nullptr;
  data::DatasetSplits splits;
  torch::Device device{torch::kCPU};
  Model model;
  std::unique_ptr<BatchLoader> train_loader, test_loader;
  std::unique_ptr<MemoryTracker> memory;
  TrainingProgress progress;
  std::string dir;
  std::unique_ptr<RunLock> lock;  // held for the whole run
  nlohmann::json identity;        // recorded in every checkpoint
  std::unique_ptr<TensorBoardWriter> tensorboard;
  // Data-parallel jobs: rank 0 writes every file; each rank trains on its shard of each batch.
  DistributedEnv dist;
  std::shared_ptr<ProcessGroup> group;
  std::shared_ptr<DataParallelExchange> exchange;
  // This session's steps (--stop-after-steps) and the divergence check over them.
  int64_t steps_this_session = 0;
  DivergenceCheck divergence;

  std::string checkpoint_path() const { return dir + "/checkpoint.pt"; }
  bool writes() const { return dist.rank == 0; }
  // Sums over the ranks (identity in a single process); a failure names the silent ranks.
  std::vector<double> sum_over_ranks(const std::vector<double>& v, const std::string& during) {
    if (!group) return v;
    return with_peer_diagnosis(*group, during, [&] { return group->all_reduce_sum(v); });
  }
  // The floating-point buffers of the network and of every stage (BatchNorm's running statistics,
  // auxiliary networks' included): each rank updates them from its own part of the batch, so after
  // every step they are averaged over the ranks. Every rank then evaluates, and rank 0 saves, the
  // same model, and the running mean follows the whole batch's mean as in one process.
  std::vector<torch::Tensor> rank_buffers;
};

namespace fs = std::filesystem;

namespace {

// The job's shape from the environment (torchrun's variables, or dcl train --nproc's), checked
// against the run's setting: --nproc, when given, must match WORLD_SIZE.
DistributedEnv job_shape(RunConfig& cfg, bool nproc_given) {
  DistributedEnv env = distributed_env_from_environment();
  if (!env.active()) {
    if (cfg.nproc > 1)
      throw std::invalid_argument("--nproc " + std::to_string(cfg.nproc) +
                                  ": this process was not started as one of the job's workers (dcl train starts "
                                  "them itself; WORLD_SIZE is not set)");
    return env;
  }
  if (nproc_given && cfg.nproc != env.world_size)
    throw std::invalid_argument("--nproc " + std::to_string(cfg.nproc) +
                                " but WORLD_SIZE=" + std::to_string(env.world_size) +
                                " (the batch size is per process, so the run's "
                                "results depend on the number of processes; make them agree)");
  cfg.nproc = env.world_size;
  if (cfg.threads == 0)  // the cores of this machine, divided among its workers
    cfg.threads = std::max(1, int(std::thread::hardware_concurrency()) / std::max(1, env.local_world_size));
  return env;
}

}  // namespace

namespace {

// The model as the run's settings build it, with every check that only the built model can make
// (an orthogonal dictionary's size, the ensemble weights' count, the memory budget, the pipeline's
// groups). Nothing is read from or written to the run directory.
Model build_checked_model(const RunConfig& cfg, const data::DatasetInfo& info) {
  InputShape input{info.channels, info.height, info.width};
  Model model = build_model(cfg, input, info.classes, info.fc_patches, info.fc_width);
  apply_memory_budget(model, cfg, input);
  check_ensemble_weights(model, input, cfg.ensemble_weights);
  if (cfg.schedule == ScheduleKind::Pipeline && cfg.pipeline_ranks > 1) {
    check_process_pipeline(model, cfg.method, cfg.pipeline_ranks);  // started when the job is joined
    if (method_info(cfg.method).abilities.gpipe) {
      if (cfg.methods.get("checkpoint_segments").get<int>() != 0 || cfg.methods.get("accumulate").get<int>() != 1)
        throw std::invalid_argument("--schedule pipeline --pipeline-ranks runs " + cfg.method +
                                    " as GPipe, whose --micro-batches replace --accumulate and --checkpoint-segments");
      if (cfg.nproc > cfg.pipeline_ranks)
        throw std::invalid_argument("--nproc " + std::to_string(cfg.nproc) + ": data-parallel replicas of " +
                                    cfg.method +
                                    "'s GPipe pipeline are not supported; --nproc must equal "
                                    "--pipeline-ranks");
    }
  } else if (cfg.schedule == ScheduleKind::Pipeline) {
    if (size_t(cfg.pipeline_groups) > model.stages.size())
      throw std::invalid_argument("--pipeline-groups " + std::to_string(cfg.pipeline_groups) + ": " + cfg.method +
                                  " on " + cfg.arch + " has " + std::to_string(model.stages.size()) +
                                  " stages, so at most that many groups (0 = one per stage)");
    PipelineOptions po;
    po.groups = cfg.pipeline_groups;
    po.depth = cfg.pipeline_depth;
    po.synchronous = cfg.pipeline_sync;
    int groups = int(split_stages(model.stages.size(), cfg.pipeline_groups).size());
    po.intra_op_threads = std::max(1, torch::get_num_threads() / std::max(1, groups));
    use_pipeline(model, cfg.method, po);
  }
  return model;
}

// What the run directory allows: true when it holds a run that stopped before its first
// checkpoint (it is started again). Throws when the directory is a compare directory, holds
// another run (without --resume) or, with --resume, a run that cannot be continued.
bool check_run_directory(const std::string& dir, bool resume) {
  if (is_compare_directory(dir))
    throw std::invalid_argument("--out " + dir + " is a dcl compare directory (it holds " +
                                join_names(files_present(dir, compare_file_names())) +
                                "); a run needs a directory of its own");
  std::vector<std::string> files = existing_run_files(dir);
  auto holds = [&](const std::string& name) { return std::find(files.begin(), files.end(), name) != files.end(); };
  // A run that stopped before its first checkpoint (killed, a rank lost or a port taken in epoch
  // 1) left nothing to continue: the same command, with or without --resume, starts it again.
  if (holds("config.json") && !holds("checkpoint.pt") && !holds("summary.json")) return true;
  if (!resume && !files.empty())
    throw std::invalid_argument("run directory " + dir + " already holds a run (" + join_names(files) +
                                "); continue it with --resume " + dir + ", or choose another --out");
  if (resume && !holds("checkpoint.pt"))
    throw std::invalid_argument(
        "--resume " + dir + ": no checkpoint.pt there" +
        (files.empty() ? std::string()
                       : " (it holds " + join_names(files) + "; a run without its checkpoint cannot be continued)"));
  return false;
}

}  // namespace

void Trainer::preflight(const RunConfig& cfg, bool resume) {
  if (cfg.out.empty()) throw std::invalid_argument("a run directory (--out DIR) is required");
  validate(cfg);
  const data::DatasetInfo& info = data::dataset_info(cfg.data, data_options(cfg));
  parse_device(cfg.device);
  torch::manual_seed(cfg.seed);
  build_checked_model(cfg, info);
  check_run_directory(cfg.out, resume);
}

Trainer::Trainer(RunConfig cfg, bool resume, bool nproc_given) : s_(std::make_unique<State>()) {
  if (cfg.out.empty()) throw std::invalid_argument("a run directory (--out DIR) is required");
  // Every setting is checked before the run directory is touched, any data is read or any thread
  // is started: names, ranges, the device, and what only the built model can tell.
  s_->dist = job_shape(cfg, nproc_given);
  validate(cfg);
  s_->info = &data::dataset_info(cfg.data, data_options(cfg));
  s_->device = parse_device(cfg.device);
  // One GPU per worker on a machine: "cuda" is the worker's own, cuda:LOCAL_RANK.
  if (s_->dist.active() && s_->device.is_cuda() && !s_->device.has_index())
    s_->device = torch::Device(torch::kCUDA, c10::DeviceIndex(s_->dist.local_rank));
  // Before the model is built: its initialisation may run matrix products, whose summation order
  // (and so their last bits) depends on the thread count.
  configure_threads(cfg.threads);
  torch::manual_seed(cfg.seed);
  s_->model = build_checked_model(cfg, *s_->info);

  s_->dir = cfg.out;
  if (!s_->writes()) {
    // Other ranks only read the run directory (a resumed run's checkpoint); rank 0 owns it and
    // judges it, and may already be writing it: a worker that checked it too could see rank 0's
    // fresh metrics.jsonl as another run. Without a checkpoint there is nothing to continue
    // (rank 0 starts the run again or refuses the directory, which stops the job).
    init_worker(cfg, resume && fs::exists(s_->checkpoint_path()));
    return;
  }
  const bool restart = check_run_directory(s_->dir, resume);
  if (restart) resume = false;
  s_->lock = std::make_unique<RunLock>(s_->dir);
  if (restart)
    std::fprintf(stderr, "note: %s holds a run that stopped before its first checkpoint (%s); starting it again\n",
                 s_->dir.c_str(), join_names(existing_run_files(s_->dir)).c_str());
  if (resume) read_metrics_lines(s_->dir);  // a damaged line is named before any data is read
  // Before any file is written: an unusable --tensorboard directory is refused here.
  if (!cfg.tensorboard.empty()) s_->tensorboard = std::make_unique<TensorBoardWriter>(cfg.tensorboard);

  s_->memory = std::make_unique<MemoryTracker>(cfg.device);
  if (s_->info->folder)
    std::fprintf(stderr, "loading %s\n", s_->info->description.c_str());
  else
    std::fprintf(stderr, "loading %s from %s\n", cfg.data.c_str(),
                 data::resolve_data_dir(*s_->info, cfg.data_dir).c_str());
  open_data(cfg);
  if (s_->splits.skipped_images > 0)
    std::fprintf(stderr, "skipped %lld bad image files (--skip-bad-images; `dcl data info %s` lists them)\n",
                 (long long)s_->splits.skipped_images, cfg.data.c_str());
  if (s_->train_loader->size() < 2)
    throw std::invalid_argument("the training set has " + std::to_string(s_->train_loader->size()) +
                                " image(s); at least 2 are needed (check --limit-train and the data files)");
  load_state(cfg, resume);
  if (resume) {
    // Lines of an epoch whose checkpoint was never written (a kill in between) are dropped: that
    // epoch is trained again and logged once.
    truncate_metrics(s_->dir, s_->progress.epoch);
    if (s_->progress.epoch >= cfg.epochs)
      std::fprintf(stderr,
                   "%s has finished its %d epochs: evaluating its checkpoint again (--resume with a larger --epochs "
                   "trains on)\n",
                   s_->dir.c_str(), cfg.epochs);
    else
      std::fprintf(stderr, "resuming %s at epoch %d, batch %lld\n", s_->dir.c_str(), s_->progress.epoch + 1,
                   (long long)s_->progress.batch);
  } else {
    // A fresh metrics file: a new run never appends to another run's history.
    write_file_atomic(s_->dir + "/metrics.jsonl", "");
  }
  write_file_atomic(s_->dir + "/config.json", cfg.to_json().dump(2) + "\n");
  s_->cfg = std::move(cfg);
  join_job();
  std::fprintf(stderr,
               "%s %s on %s: %lld network + %lld auxiliary parameters, %lld train / %lld test images, device %s\n",
               s_->cfg.method.c_str(), s_->cfg.arch.c_str(), s_->cfg.data.c_str(),
               (long long)s_->model.network_parameters(), (long long)s_->model.auxiliary_parameters(),
               (long long)s_->train_loader->size(), (long long)s_->test_loader->size(), s_->cfg.device.c_str());
  if (s_->cfg.amp == Amp::Bf16 && s_->device.is_cpu() && !native_bf16(cpu_features()))
    std::fprintf(stderr,
                 "note: --amp bf16 on a processor without AVX512-BF16 or AMX: its bfloat16 matrix products are "
                 "emulated (slower than float32); conv blocks convolve in float32 and store their conv output in "
                 "bfloat16 (half its memory)\n");
  if (s_->dist.active() && s_->cfg.pipeline_ranks > 1)
    std::fprintf(stderr,
                 "process pipeline: %d processes, each training a contiguous run of stages, x %d data-parallel "
                 "replica(s) x batch %d, %d threads each\n",
                 s_->cfg.pipeline_ranks, s_->dist.world_size / s_->cfg.pipeline_ranks, s_->cfg.batch_size,
                 s_->cfg.threads);
  else if (s_->dist.active())
    std::fprintf(stderr, "data-parallel: %d processes x batch %d = %d images per step, %d threads each\n",
                 s_->dist.world_size, s_->cfg.batch_size, s_->dist.world_size * s_->cfg.batch_size, s_->cfg.threads);
}

void Trainer::open_data(const RunConfig& cfg) {
  s_->splits = data::load_dataset(cfg.data, data_options(cfg));
  s_->train_loader =
      std::make_unique<BatchLoader>(s_->splits.train, *s_->info, cfg.batch_size, true, cfg.seed, cfg.limit_train);
  s_->test_loader = std::make_unique<BatchLoader>(s_->splits.test, *s_->info, std::max(cfg.batch_size, 256), false,
                                                  cfg.seed, cfg.limit_test);
  s_->train_loader->set_threads(cfg.loader_threads);
  s_->test_loader->set_threads(cfg.loader_threads);
}

void Trainer::load_state(const RunConfig& cfg, bool resume) {
  s_->model.to(s_->device);
  s_->model.set_amp(cfg.amp, s_->device.type());
  set_cudnn_benchmark(cfg.cudnn_benchmark);
  s_->identity = checkpoint_identity(cfg);
  if (resume) s_->progress = load_checkpoint(s_->checkpoint_path(), s_->model, s_->identity);
}

void Trainer::init_worker(RunConfig& cfg, bool resume) {
  open_data(cfg);
  s_->memory = std::make_unique<MemoryTracker>(cfg.device);
  load_state(cfg, resume);
  s_->cfg = std::move(cfg);
  join_job();
}

void Trainer::join_job() {
  State& s = *s_;
  if (!s.dist.active()) return;
  s.group = std::make_shared<ProcessGroup>(s.dist, std::chrono::seconds(s.cfg.dist_timeout), s.device.is_cuda());
  // Every rank starts from rank 0's tensors (the same seed builds the same model; this makes it
  // so whatever the ranks' thread counts).
  std::vector<torch::Tensor> tensors;
  for (auto& [name, t] : s.model.named_state()) tensors.push_back(t);
  with_peer_diagnosis(*s.group, "the broadcast of the initial weights",
                      [&] { s.group->broadcast_from_rank0(tensors); });
  std::set<const void*> seen;
  auto add_buffers = [&](torch::nn::Module& m) {
    for (auto& b : m.buffers())
      if (b.is_floating_point() && seen.insert(b.unsafeGetTensorImpl()).second) s.rank_buffers.push_back(b);
  };
  add_buffers(*s.model.net);
  for (auto& stage : s.model.stages) {
    add_buffers(stage->block());
    add_buffers(stage->loss());
  }
  // Every rank holds the whole model for evaluation (a process pipeline synchronises it first), so
  // the test set is shared among them.
  s.test_loader->set_shard(s.dist.rank, s.dist.world_size);
  if (s.cfg.pipeline_ranks > 1) {
    // Each rank of a pipeline reads every batch of its replica, in the same order: the labels it
    // receives are checked against it.
    const int ranks = s.cfg.pipeline_ranks, replicas = s.dist.world_size / ranks;
    ProcessPipelineOptions po;
    po.depth = s.cfg.pipeline_depth;
    po.synchronous = s.cfg.pipeline_sync;
    po.stage_ranks = ranks;
    if (replicas > 1) {
      // Replica d's position g is job rank d * G + g; the ranks at one position sum their
      // stages' gradients as data-parallel ranks do, each replica on its part of every batch.
      std::vector<int> same_position;
      for (int d = 0; d < replicas; ++d) same_position.push_back(d * ranks + s.dist.rank % ranks);
      po.replicas = with_peer_diagnosis(*s.group, "the replicas' process group",
                                        [&] { return s.group->subgroup(same_position); });
      s.train_loader->set_shard(s.dist.rank / ranks, replicas);
      s.exchange = std::make_shared<DataParallelExchange>(po.replicas);
      for (auto& stage : s.model.stages)
        stage->set_gradient_hook([exchange = s.exchange](Stage& st) {
          exchange->start(st);
          exchange->finish(st);
        });
    }
    if (method_info(s.cfg.method).abilities.gpipe)
      use_gpipe(s.model, s.group, s.cfg.methods.get("micro_batches").get<int>());
    else
      use_process_pipeline(s.model, s.cfg.method, s.group, po);
    s.rank_buffers.clear();  // each stage's statistics live on the ranks that train it
    return;
  }
  s.train_loader->set_shard(s.dist.rank, s.dist.world_size);
  s.exchange = std::make_shared<DataParallelExchange>(s.group);
  if (!s.model.schedule->set_gradient_exchange(s.exchange))
    for (auto& stage : s.model.stages)
      stage->set_gradient_hook([exchange = s.exchange](Stage& st) {
        exchange->start(st);
        exchange->finish(st);
      });
}

Trainer::~Trainer() = default;

namespace {

void log_step(TensorBoardWriter& tb, const StepResult& r, double lr, int64_t step) {
  tb.add_scalar("train/loss", r.train_loss, step);
  for (size_t l = 0; l < r.block_losses.size(); ++l)
    tb.add_scalar("train/block" + std::to_string(l) + "_loss", r.block_losses[l], step);
  tb.add_scalar("train/lr", lr, step);
}

void log_epoch(TensorBoardWriter& tb, const nlohmann::json& line, const EvalResult& e, int64_t step) {
  tb.add_scalar("epoch", line["epoch"].get<double>(), step);
  tb.add_scalar("test/head_accuracy", e.head_accuracy, step);
  tb.add_scalar("test/loss", e.loss, step);
  for (size_t l = 0; l < e.layer_accuracy.size(); ++l)
    tb.add_scalar("test/block" + std::to_string(l) + "_accuracy", e.layer_accuracy[l], step);
  if (!e.layer_accuracy.empty()) tb.add_scalar("test/ensemble_accuracy", e.ensemble_accuracy, step);
  if (line["train_accuracy"].is_number()) tb.add_scalar("train/accuracy", line["train_accuracy"].get<double>(), step);
  tb.add_scalar("train/epoch_loss", line["train_loss"].get<double>(), step);
  tb.add_scalar("speed/images_per_second", line["images_per_second"].get<double>(), step);
  tb.add_scalar("memory/peak_mib", line["peak_memory_bytes"].get<double>() / (1024.0 * 1024.0), step);
  tb.flush();
}

void print_evaluation(const EvalResult& e) {
  std::string layers;
  for (double a : e.layer_accuracy) {
    if (!layers.empty()) layers += ' ';
    layers += percent(a);
  }
  std::fprintf(stderr, "  test: head %s", percent(e.head_accuracy).c_str());
  if (!layers.empty())
    std::fprintf(stderr, " | layer-wise %s | ensemble %s", layers.c_str(), percent(e.ensemble_accuracy).c_str());
  std::fprintf(stderr, "\n");
}

}  // namespace

EvalResult Trainer::evaluate_test_set() {
  State& s = *s_;
  if (!s.group) return evaluate(s.model, *s.test_loader, s.device, s.cfg.ensemble_weights);
  return evaluate(s.model, *s.test_loader, s.device, s.cfg.ensemble_weights,
                  [&s](const std::vector<double>& v) { return s.sum_over_ranks(v, "the evaluation"); });
}

// One epoch while its batches train: its learning rate, progress bar and clock, and whether every
// rank agreed to stop.
struct Trainer::Epoch {
  double lr = 0;
  std::optional<ProgressBar> bar;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  double seconds_before = 0;  // of this epoch, trained before a resume
  bool stop = false;

  std::string status(const TrainingProgress& p) const {
    double secs = p.epoch_seconds;
    char buf[160];
    std::snprintf(buf, sizeof buf, "loss %.4f acc %s %.0f img/s", p.seen ? p.loss_sum / double(p.seen) : 0.0,
                  p.has_accuracy ? percent(p.seen ? double(p.correct) / double(p.seen) : 0).c_str() : "-",
                  secs > 0 ? double(p.seen) / secs : 0.0);
    return buf;
  }
};

bool Trainer::should_stop() const {
  return stop_requested().load() ||
         (s_->cfg.stop_after_steps > 0 && s_->steps_this_session >= s_->cfg.stop_after_steps);
}

nlohmann::json Trainer::run() {
  State& s = *s_;
  EvalResult last_eval;
  if (s.model.prepare && s.progress.step == 0) prepare_model();
  while (s.progress.epoch < s.cfg.epochs) {
    Epoch epoch = train_epoch();
    if (epoch.stop && s.progress.batch < s.train_loader->batches_per_epoch()) return stop_within_epoch(epoch);
    if (epoch.bar) epoch.bar->finish(epoch.status(s.progress));
    last_eval = evaluate_test_set();
    DivergenceCheck::check_evaluation(last_eval.loss, s.progress.epoch);
    report_epoch(epoch, last_eval);
    if (!finish_epoch(epoch)) return nullptr;
  }
  // Resumed with every epoch already done: evaluate the checkpoint as it is.
  if (last_eval.samples == 0) last_eval = evaluate_test_set();
  return write_summary(last_eval);
}

void Trainer::prepare_model() {
  State& s = *s_;
  s.train_loader->start_epoch(0);
  Batch batch;
  const std::string done = s.model.prepare(
      s.model, [&] { return s.train_loader->next(batch) ? to_device(batch.images, s.device) : torch::Tensor(); });
  if (!done.empty() && s.writes()) std::fprintf(stderr, "%s\n", done.c_str());
  // Each rank prepared on its own share of the images: from here on they hold the same state.
  if (s.group && !s.rank_buffers.empty())
    with_peer_diagnosis(*s.group, "the average of the prepared statistics", [&] { s.group->average(s.rank_buffers); });
}

Trainer::Epoch Trainer::train_epoch() {
  State& s = *s_;
  TrainingProgress& p = s.progress;
  Epoch epoch;
  epoch.lr = scheduled_lr(s.cfg, p.epoch);
  epoch.seconds_before = p.epoch_seconds;
  s.model.set_lr(epoch.lr);
  s.model.train(true);
  s.train_loader->start_epoch(p.epoch, p.batch);
  if (s.writes())
    epoch.bar.emplace("epoch " + std::to_string(p.epoch + 1) + "/" + std::to_string(s.cfg.epochs),
                      s.train_loader->batches_per_epoch());
  s.memory->reset_peak();
  Batch batch;
  while (!epoch.stop && s.train_loader->next(batch)) {
    torch::Tensor x = to_device(batch.images, s.device), y = to_device(batch.labels, s.device);
    if (s.exchange) s.exchange->set_batch_share(double(y.size(0)) / double(batch.global_size));
    for (const StepResult& r : s.model.schedule->push(x, y)) record_step(r, epoch);
  }
  // A pipeline still holds batches: they are finished before the checkpoint or the evaluation.
  for (const StepResult& r : s.model.schedule->drain()) record_step(r, epoch);
  s.model.schedule->synchronize_model();
  p.peak_bytes = std::max(p.peak_bytes, s.memory->peak_bytes());
  p.train_seconds += p.epoch_seconds - epoch.seconds_before;
  return epoch;
}

void Trainer::record_step(const StepResult& local, Epoch& epoch) {
  State& s = *s_;
  TrainingProgress& p = s.progress;
  ++s.steps_this_session;
  bool stop = should_stop();
  StepResult r = sum_step_over_ranks(local, stop);
  if (s.group && !s.rank_buffers.empty())
    with_peer_diagnosis(*s.group, "the average of the running statistics (step " + std::to_string(p.step + 1) + ")",
                        [&] { s.group->average(s.rank_buffers); });
  s.divergence.observe_step(r.train_loss, r.block_losses, p.epoch, p.step + 1);
  const int64_t n = r.samples;
  p.loss_sum += r.train_loss * double(n);
  p.correct += r.correct;
  p.has_accuracy = r.has_accuracy;
  p.seen += n;
  p.block_loss_sums.resize(r.block_losses.size(), 0.0);
  for (size_t l = 0; l < r.block_losses.size(); ++l) p.block_loss_sums[l] += r.block_losses[l] * double(n);
  ++p.batch;
  ++p.step;
  p.epoch_seconds =
      epoch.seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch.start).count();
  if (s.tensorboard) log_step(*s.tensorboard, r, epoch.lr, p.step);
  if (epoch.bar) epoch.bar->update(p.batch, epoch.status(p));
  if (stop) epoch.stop = true;
  if (s.group) inject_fault(s.dist.rank, p.step);
}

// The whole batch's loss and accuracy, as one process with the whole batch would report them, and
// the agreement to stop, which every rank must reach at the same step.
StepResult Trainer::sum_step_over_ranks(const StepResult& local, bool& stop) {
  State& s = *s_;
  if (!s.group) return local;
  StepResult r = local;
  std::vector<double> sums = {local.train_loss * double(local.samples), double(local.correct), double(local.samples),
                              stop ? 1.0 : 0.0, local.has_accuracy ? 1.0 : 0.0};
  for (double l : local.block_losses) sums.push_back(l * double(local.samples));
  sums = s.sum_over_ranks(sums, "the step's metrics (step " + std::to_string(s.progress.step + 1) + ")");
  r.samples = int64_t(sums[2]);
  r.train_loss = sums[0] / double(r.samples);
  r.correct = int64_t(sums[1]);
  for (size_t l = 0; l < r.block_losses.size(); ++l) r.block_losses[l] = sums[5 + l] / double(r.samples);
  stop = sums[3] > 0;
  r.has_accuracy = sums[4] > 0;
  return r;
}

nlohmann::json Trainer::stop_within_epoch(Epoch& epoch) {
  State& s = *s_;
  if (epoch.bar) epoch.bar->finish(epoch.status(s.progress) + " (interrupted)");
  if (s.writes()) {
    save_checkpoint(s.checkpoint_path(), s.model, s.progress, s.identity);
    std::fprintf(stderr, "stopped: checkpoint written to %s; continue with: dcl train --resume %s\n",
                 s.checkpoint_path().c_str(), s.dir.c_str());
  }
  return nullptr;
}

void Trainer::report_epoch(const Epoch& epoch, const EvalResult& eval) {
  State& s = *s_;
  const TrainingProgress& p = s.progress;
  nlohmann::json line = {
      {"epoch", p.epoch + 1},
      {"lr", epoch.lr},
      {"train_loss", p.seen ? p.loss_sum / double(p.seen) : 0.0},
      {"train_accuracy",
       p.has_accuracy && p.seen ? nlohmann::json(double(p.correct) / double(p.seen)) : nlohmann::json(nullptr)},
      {"epoch_seconds", p.epoch_seconds},
      {"images_per_second", p.epoch_seconds > 0 ? double(p.seen) / p.epoch_seconds : 0.0},
      {"peak_memory_bytes", p.peak_bytes},
      {"test", eval.to_json()}};
  if (!p.block_loss_sums.empty()) {
    std::vector<double> block_losses;
    for (double v : p.block_loss_sums) block_losses.push_back(v / double(std::max<int64_t>(1, p.seen)));
    line["train_block_losses"] = block_losses;
  }
  if (!s.writes()) return;
  append_metrics_line(s.dir, line);
  if (s.tensorboard) log_epoch(*s.tensorboard, line, eval, p.step);
  print_evaluation(eval);
}

bool Trainer::finish_epoch(const Epoch& epoch) {
  State& s = *s_;
  TrainingProgress& p = s.progress;
  // The next epoch starts clean; the checkpoint marks this epoch as done.
  TrainingProgress next = p;
  next.epoch = p.epoch + 1;
  next.batch = 0;
  next.loss_sum = 0;
  next.correct = next.seen = 0;
  next.epoch_seconds = 0;
  next.block_loss_sums.clear();
  if (s.writes()) save_checkpoint(s.checkpoint_path(), s.model, next, s.identity);
  bool stop = epoch.stop || s.sum_over_ranks({should_stop() ? 1.0 : 0.0}, "the end of the epoch")[0] > 0;
  p = next;
  if (!stop || p.epoch >= s.cfg.epochs) return true;
  if (s.writes())
    std::fprintf(stderr, "stopped after epoch %d; continue with: dcl train --resume %s\n", p.epoch, s.dir.c_str());
  return false;
}

nlohmann::json Trainer::write_summary(const EvalResult& eval) {
  State& s = *s_;
  const RunConfig& cfg = s.cfg;
  const TrainingProgress& p = s.progress;
  if (!s.writes()) return nlohmann::json::object();  // rank 0 reports
  nlohmann::json summary = {{"data", cfg.data},
                            {"arch", cfg.arch},
                            {"method", cfg.method},
                            {"epochs", cfg.epochs},
                            {"test_accuracy", eval.head_accuracy},
                            {"test_error", 100.0 * (1.0 - eval.head_accuracy)},
                            {"test_loss", eval.loss},
                            {"params", s.model.network_parameters()},
                            {"auxiliary_params", s.model.auxiliary_parameters()},
                            {"peak_memory_bytes", p.peak_bytes},
                            {"train_seconds", p.train_seconds},
                            {"steps", p.step}};
  if (s.info->folder) summary["skipped_images"] = s.splits.skipped_images;  // --skip-bad-images
  if (!eval.layer_accuracy.empty()) {
    summary["layer_accuracy"] = eval.layer_accuracy;
    summary["last_layer_accuracy"] = eval.layer_accuracy.back();
    summary["ensemble_accuracy"] = eval.ensemble_accuracy;
  }
  summary.update(best_test_results(s.dir));
  write_file_atomic(s.dir + "/summary.json", summary.dump(2) + "\n");
  std::fprintf(stderr, "done: test error %.2f%% after %d epochs (%s); results in %s\n",
               summary.value("test_error", 0.0), cfg.epochs, format_duration(p.train_seconds).c_str(), s.dir.c_str());
  return summary;
}

nlohmann::json evaluate_run(const std::string& run_dir, const std::string& data_dir, int threads) {
  SavedRun run = load_saved_run(run_dir, data_dir, threads);
  const RunConfig& cfg = run.cfg;
  BatchLoader loader(run.splits.test, *run.info, std::max(cfg.batch_size, 256), false, cfg.seed, cfg.limit_test);
  EvalResult r = evaluate(run.model, loader, run.device, cfg.ensemble_weights);
  nlohmann::json j = r.to_json();
  j["epochs_trained"] = run.progress.epoch;
  j["test_error"] = 100.0 * (1.0 - r.head_accuracy);
  return j;
}

}  // namespace dcl
