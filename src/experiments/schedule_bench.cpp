#include "dcl/experiments/schedule_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "dcl/methods/method.h"
#include "dcl/runtime/device.h"
#include "dcl/runtime/distributed.h"
#include "dcl/runtime/gpipe_schedule.h"
#include "dcl/runtime/process_pipeline.h"
#include "dcl/stages/intra_op_threads.h"
#include "dcl/training/build_model.h"
#include "dcl/util/clock.h"

namespace dcl {

namespace {

struct Workload {
  torch::Tensor x, y;
};

Workload synthetic(const BenchOptions& o, int batch) {
  torch::manual_seed(o.base.seed);
  return {torch::randn({batch, o.input.channels, o.input.height, o.input.width}),
          torch::randint(o.classes, {batch}, torch::kInt64)};
}

Model build_bench_model(const BenchOptions& o, const std::string& method) {
  RunConfig cfg = o.base;
  cfg.method = method;
  torch::manual_seed(cfg.seed);
  return build_model(cfg, o.input, o.classes);
}

// Seconds per step over `steps` steps after `warmup`, the batches handed over back to back (a
// pipeline keeps its stages busy across steps) and drained once at the end. `between` runs after
// each step (the data-parallel metrics all-reduce).
double seconds_per_step(Schedule& schedule, const Workload& w, int warmup, int steps,
                        const std::function<void()>& between = nullptr) {
  for (int i = 0; i < warmup; ++i) {
    schedule.push(w.x, w.y);
    if (between) between();
  }
  schedule.drain();
  auto t0 = Clock::now();
  for (int i = 0; i < steps; ++i) {
    schedule.push(w.x, w.y);
    if (between) between();
  }
  schedule.drain();
  if (steps == 0) return 0;
  return seconds_since(t0) / double(steps);
}

ScheduleBenchRow make_row(const std::string& method, const std::string& variant, int processes, int threads,
                          int batch) {
  ScheduleBenchRow r;
  r.method = method;
  r.variant = variant;
  r.processes = processes;
  r.threads = threads;
  r.batch = batch;
  return r;
}

int per_process_batch(const ScheduleBenchOptions& o) {
  if (o.bench.base.batch_size % o.nproc != 0)
    throw std::invalid_argument("--batch-size " + std::to_string(o.bench.base.batch_size) +
                                " must be a multiple of --nproc " + std::to_string(o.nproc) +
                                " (each rank takes an equal part of the global batch)");
  return o.bench.base.batch_size / o.nproc;
}

}  // namespace

std::vector<ScheduleBenchRow> run_schedule_bench(const ScheduleBenchOptions& o) {
  const BenchOptions& b = o.bench;
  std::vector<ScheduleBenchRow> rows;
  for (const auto& method : b.methods) {
    set_intra_op_threads(o.threads);
    Workload w = synthetic(b, b.base.batch_size);
    {
      Model m = build_bench_model(b, method);
      ScheduleBenchRow r = make_row(method, "sequential", 1, o.threads, b.base.batch_size);
      r.images_per_second = b.base.batch_size / seconds_per_step(*m.schedule, w, b.warmup, b.steps);
      rows.push_back(r);
    }
    if (o.pipeline && method_info(method).abilities.not_pipelined.empty()) {
      Model m = build_bench_model(b, method);
      PipelineOptions po;
      po.groups = o.pipeline_groups;
      po.depth = o.pipeline_depth;
      int groups = int(split_stages(m.stages.size(), o.pipeline_groups).size());
      po.intra_op_threads = std::max(1, o.threads / groups);
      PipelineSchedule& pipeline = use_pipeline(m, method, po);
      ScheduleBenchRow r = make_row(method, "pipeline", 1, po.intra_op_threads, b.base.batch_size);
      // The timeline covers the measured steps only.
      seconds_per_step(pipeline, w, b.warmup, 0);
      pipeline.reset_timeline();
      double seconds = seconds_per_step(pipeline, w, 0, b.steps);
      r.images_per_second = b.base.batch_size / seconds;
      r.groups = pipeline.timeline();
      rows.push_back(r);
    }
    if (o.nproc > 1) {
      // The ideal of N ranks: N times what one rank's share of the work runs at alone.
      int threads = std::max(1, o.threads / o.nproc), batch = per_process_batch(o);
      set_intra_op_threads(threads);
      Model m = build_bench_model(b, method);
      Workload part = synthetic(b, batch);
      ScheduleBenchRow r = make_row(method, "1 rank alone", 1, threads, batch);
      r.images_per_second = batch / seconds_per_step(*m.schedule, part, b.warmup, b.steps);
      rows.push_back(r);
    }
    set_intra_op_threads(o.threads);
    std::fprintf(stderr, "  %s measured\n", method.c_str());
  }
  return rows;
}

std::vector<ScheduleBenchRow> run_data_parallel_bench(const ScheduleBenchOptions& o) {
  const BenchOptions& b = o.bench;
  DistributedEnv env = distributed_env_from_environment();
  auto group = std::make_shared<ProcessGroup>(env, std::chrono::seconds(120));
  int threads = std::max(1, o.threads / env.world_size), batch = per_process_batch(o);
  set_intra_op_threads(threads);
  std::vector<ScheduleBenchRow> rows;
  for (const auto& method : b.methods) {
    Model m = build_bench_model(b, method);
    std::vector<torch::Tensor> state;
    for (auto& [name, t] : m.named_state()) state.push_back(t);
    group->broadcast_from_rank0(state);
    auto exchange = std::make_shared<DataParallelExchange>(group);
    exchange->set_batch_share(1.0 / env.world_size);
    if (!m.schedule->set_gradient_exchange(exchange))
      for (auto& stage : m.stages)
        stage->set_gradient_hook([exchange](Stage& st) {
          exchange->start(st);
          exchange->finish(st);
        });
    // Each rank's own images (a different seed per rank), as its shard of a global batch.
    BenchOptions mine = b;
    mine.base.seed = b.base.seed + uint64_t(env.rank);
    Workload w = synthetic(mine, batch);
    auto metrics = [&] { group->all_reduce_sum(std::vector<double>{1.0, 2.0, 3.0, 0.0}); };
    seconds_per_step(*m.schedule, w, b.warmup, 0, metrics);
    group->barrier();
    group->take_communication_seconds();
    double seconds = seconds_per_step(*m.schedule, w, 0, b.steps, metrics);
    ScheduleBenchRow r = make_row(method, "data-parallel", env.world_size, threads, batch);
    r.images_per_second = double(batch) * env.world_size / seconds;
    r.communication_seconds = group->take_communication_seconds() / b.steps;
    r.compute_seconds = seconds - r.communication_seconds;
    rows.push_back(r);
  }
  group->barrier();
  return rows;
}

namespace {

// One multi-process pipeline row: `pipeline` (a ProcessPipelineSchedule or GPipeSchedule) driven as
// the trainer drives it, each returned result summed over the ranks (the per-step collective), and
// every rank's times gathered into the row.
template <typename Pipeline>
ScheduleBenchRow measure_process_rows(Pipeline& pipeline, ProcessGroup& group, const Workload& w, const BenchOptions& b,
                                      ScheduleBenchRow r, int micro_batches = 0) {
  r.micro_batches = micro_batches;
  auto run = [&](int steps) {
    auto sum = [&](const std::vector<StepResult>& results) {
      for (const auto& s : results) group.all_reduce_sum(std::vector<double>{s.train_loss, double(s.samples)});
    };
    for (int i = 0; i < steps; ++i) sum(pipeline.push(w.x, w.y));
    sum(pipeline.drain());
  };
  run(std::max(1, b.warmup));  // the first batch times the stages and splits them
  pipeline.synchronize_model();
  pipeline.reset_timeline();
  auto t0 = Clock::now();
  run(b.steps);
  double seconds = seconds_since(t0) / double(b.steps);
  pipeline.synchronize_model();  // waits for the last sends
  // Every rank's times, each in its own slots of one sum.
  const int ranks = group.world_size();
  constexpr size_t kFields = 5;
  std::vector<double> times(static_cast<size_t>(ranks) * kFields, 0.0);
  ProcessPipelineTime mine = pipeline.timeline();
  double* slot = &times[size_t(group.rank()) * kFields];
  slot[0] = mine.group.compute_seconds;
  slot[1] = mine.group.input_wait_seconds + mine.fold_wait_seconds;
  slot[2] = mine.group.output_wait_seconds;
  slot[3] = double(mine.group.batches);
  slot[4] = double(mine.bytes_sent);
  times = group.all_reduce_sum(times);
  r.images_per_second = b.base.batch_size / seconds;
  std::vector<std::vector<std::string>> split = pipeline.stages_by_rank();
  for (int k = 0; k < ranks; ++k) {
    const double* t = &times[size_t(k) * kFields];
    PipelineGroupTime g;
    g.stages = split[size_t(k)];
    g.compute_seconds = t[0];
    g.input_wait_seconds = t[1];
    g.output_wait_seconds = t[2];
    g.batches = int64_t(t[3]);
    r.bytes_per_step += t[4] / double(b.steps);
    r.groups.push_back(g);
  }
  return r;
}

}  // namespace

std::vector<ScheduleBenchRow> run_process_pipeline_bench(const ScheduleBenchOptions& o) {
  const BenchOptions& b = o.bench;
  DistributedEnv env = distributed_env_from_environment();
  auto group = std::make_shared<ProcessGroup>(env, std::chrono::seconds(120));
  const int ranks = env.world_size, threads = std::max(1, o.threads / ranks);
  set_intra_op_threads(threads);
  Workload w = synthetic(b, b.base.batch_size);
  std::vector<ScheduleBenchRow> rows;
  for (const auto& method : b.methods) {
    Model m = build_bench_model(b, method);
    std::vector<torch::Tensor> state;
    for (auto& [name, t] : m.named_state()) state.push_back(t);
    group->broadcast_from_rank0(state);
    if (method == "bp") {
      // BP's pipeline on the same processes: GPipe with micro-batches.
      GPipeSchedule gpipe(m.net, m.stages.front(), group, o.micro_batches);
      rows.push_back(measure_process_rows(
          gpipe, *group, w, b,
          make_row(method, "gpipe, " + std::to_string(o.micro_batches) + " micro", ranks, threads, b.base.batch_size),
          o.micro_batches));
      continue;
    }
    if (!method_info(method).abilities.not_pipelined.empty()) continue;
    ProcessPipelineOptions po;
    po.depth = o.pipeline_depth;
    ProcessPipelineSchedule& pipeline = use_process_pipeline(m, method, group, po);
    rows.push_back(measure_process_rows(pipeline, *group, w, b,
                                        make_row(method, "process pipeline", ranks, threads, b.base.batch_size)));
  }
  group->barrier();
  return rows;
}

void relate_rows(std::vector<ScheduleBenchRow>& rows, int nproc) {
  for (auto& r : rows) {
    for (const auto& other : rows) {
      if (other.method != r.method) continue;
      if (other.variant == "sequential") r.speedup = r.images_per_second / other.images_per_second;
      if (r.variant == "data-parallel" && other.variant == "1 rank alone")
        r.efficiency = r.images_per_second / (nproc * other.images_per_second);
    }
  }
}

std::string format_schedule_bench(const std::vector<ScheduleBenchRow>& rows) {
  std::string out;
  char line[320];
  std::snprintf(line, sizeof line, "%-10s %-16s %6s %8s %6s %10s %9s %11s\n", "method", "schedule", "procs", "threads",
                "batch", "img/s", "vs seq", "efficiency");
  out += line;
  for (const auto& r : rows) {
    std::string eff = r.variant == "data-parallel" ? std::to_string(int(100 * r.efficiency + 0.5)) + "%" : "-";
    std::snprintf(line, sizeof line, "%-10s %-16s %6d %8d %6d %10.0f %8.2fx %11s\n", r.method.c_str(),
                  r.variant.c_str(), r.processes, r.threads, r.batch, r.images_per_second, r.speedup, eff.c_str());
    out += line;
  }
  // The projection to one device per group: each group computes as fast as it did here on its
  // process's (or thread's) share of the cores, and its sends overlap its compute. A forward-
  // unlocked pipeline then takes one batch per period of its slowest group; GPipe's backward waits
  // for every micro-batch's forward, so a step takes (M + G - 1) micro-batch periods of its
  // slowest group (its fill and drain bubble). The measured rate also pays for filling and
  // draining the pipeline once over the measured steps, and, here, for sharing the machine.
  for (const auto& r : rows) {
    double period = 0;
    for (const auto& g : r.groups)
      period = std::max(period, g.compute_seconds / double(std::max<int64_t>(1, g.batches)));
    if (period <= 0) continue;
    const double groups = double(r.groups.size()), m = double(r.micro_batches);
    if (r.micro_batches > 0) period *= (m + groups - 1) / m;
    std::snprintf(line, sizeof line,
                  "%-10s %-16s one device per group (projected from each group's compute): %.0f img/s\n",
                  r.method.c_str(), r.variant.c_str(), r.batch / period);
    out += line;
  }
  out += "\nwhere the time goes (per step):\n";
  for (const auto& r : rows) {
    for (const auto& g : r.groups) {
      std::string stages;
      for (const auto& s : g.stages) stages += (stages.empty() ? "" : "+") + s;
      double n = double(std::max<int64_t>(1, g.batches));
      std::snprintf(line, sizeof line,
                    "  %-10s %-16s %-28s compute %7.1f ms  wait input %7.1f ms  wait room %7.1f ms\n", r.method.c_str(),
                    r.variant.c_str(), stages.c_str(), 1e3 * g.compute_seconds / n, 1e3 * g.input_wait_seconds / n,
                    1e3 * g.output_wait_seconds / n);
      out += line;
    }
    if (r.bytes_per_step > 0) {
      std::snprintf(line, sizeof line, "  %-10s %-16s sent per step, all ranks: %.2f MiB\n", r.method.c_str(),
                    r.variant.c_str(), r.bytes_per_step / (1024.0 * 1024.0));
      out += line;
    }
    if (r.variant == "data-parallel") {
      std::snprintf(line, sizeof line,
                    "  %-10s data-parallel rank 0: compute %7.1f ms  collectives (incl. waiting) %7.1f ms\n",
                    r.method.c_str(), 1e3 * r.compute_seconds, 1e3 * r.communication_seconds);
      out += line;
    }
  }
  return out;
}

nlohmann::json schedule_bench_json(const std::vector<ScheduleBenchRow>& rows) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json row = {{"method", r.method},
                          {"schedule", r.variant},
                          {"processes", r.processes},
                          {"threads", r.threads},
                          {"batch", r.batch},
                          {"images_per_second", r.images_per_second},
                          {"speedup", r.speedup},
                          {"efficiency", r.efficiency},
                          {"compute_seconds", r.compute_seconds},
                          {"communication_seconds", r.communication_seconds},
                          {"bytes_per_step", r.bytes_per_step},
                          {"micro_batches", r.micro_batches}};
    for (const auto& g : r.groups)
      row["groups"].push_back({{"stages", g.stages},
                               {"batches", g.batches},
                               {"compute_seconds", g.compute_seconds},
                               {"input_wait_seconds", g.input_wait_seconds},
                               {"output_wait_seconds", g.output_wait_seconds}});
    j.push_back(row);
  }
  return j;
}

std::vector<ScheduleBenchRow> schedule_bench_rows_from_json(const nlohmann::json& j) {
  std::vector<ScheduleBenchRow> rows;
  for (const auto& row : j) {
    ScheduleBenchRow r;
    r.method = row.at("method");
    r.variant = row.at("schedule");
    r.processes = row.at("processes");
    r.threads = row.at("threads");
    r.batch = row.at("batch");
    r.images_per_second = row.at("images_per_second");
    r.compute_seconds = row.at("compute_seconds");
    r.communication_seconds = row.at("communication_seconds");
    r.bytes_per_step = row.value("bytes_per_step", 0.0);
    r.micro_batches = row.value("micro_batches", 0);
    for (const auto& g : row.value("groups", nlohmann::json::array())) {
      PipelineGroupTime t;
      t.stages = g.at("stages").get<std::vector<std::string>>();
      t.batches = g.at("batches");
      t.compute_seconds = g.at("compute_seconds");
      t.input_wait_seconds = g.at("input_wait_seconds");
      t.output_wait_seconds = g.at("output_wait_seconds");
      r.groups.push_back(t);
    }
    rows.push_back(r);
  }
  return rows;
}

}  // namespace dcl
