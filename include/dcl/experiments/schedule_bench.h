#pragma once
// `dcl bench --schedule pipeline` / `--nproc N`: the same local method, on the same global batch
// of synthetic images, run sequentially (all intra-op threads), as a block pipeline (the threads
// divided among the groups), as a process pipeline (--pipeline-ranks G processes) and data-parallel (N processes, the
// threads and the batch divided among them), with throughput, speed-up over sequential, data-parallel efficiency
// against its ideal, and where the time goes (per pipeline group: compute, waiting for input, waiting for room; per
// rank: compute and collectives).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dcl/experiments/bench.h"
#include "dcl/stages/pipeline_schedule.h"

namespace dcl {

struct ScheduleBenchOptions {
  BenchOptions bench;  // arch, input, batch (global), methods, steps, warmup
  int threads = 2;     // intra-op threads of the sequential run: the cores all variants share
  bool pipeline = false;
  int pipeline_groups = 2;
  int pipeline_depth = 1;
  int nproc = 1;
  int pipeline_ranks = 1;  // > 1: also the process pipeline, one process per group of stages
  int micro_batches = 4;   // BP's GPipe rows on the process pipeline's processes
};

struct ScheduleBenchRow {
  std::string method;
  std::string variant;  // "sequential", "pipeline", "1 rank alone", "data-parallel"
  int processes = 1;
  int threads = 1;                        // intra-op threads per process (per pipeline group for the pipeline)
  int batch = 0;                          // images per step per process
  double images_per_second = 0;           // all processes together
  double speedup = 0;                     // against the sequential row of the method
  double efficiency = 0;                  // data-parallel: against N x "1 rank alone"; else 0
  std::vector<PipelineGroupTime> groups;  // pipeline: per group, over the measured steps
  double compute_seconds = 0, communication_seconds = 0;  // data-parallel, rank 0, per step
  double bytes_per_step = 0;                              // process pipeline: sent by all ranks together, per batch
  int micro_batches = 0;                                  // GPipe: micro-batches per batch; 0 for local pipelines
};

// The rows this process measures: sequential, then the pipeline and the lone rank as asked.
std::vector<ScheduleBenchRow> run_schedule_bench(const ScheduleBenchOptions& options);
// One data-parallel row per method, measured by this process as one rank of a running job
// (WORLD_SIZE set); every rank returns its own view, rank 0's is the one reported.
std::vector<ScheduleBenchRow> run_data_parallel_bench(const ScheduleBenchOptions& options);
// One process-pipeline row per method, measured by this process as one rank of a running job
// (WORLD_SIZE = the pipeline's processes, --threads divided among them); for bp the GPipe pipeline
// on the same processes (runtime/gpipe_schedule.h). Every rank returns the rows with every rank's
// times; rank 0's are the ones reported.
std::vector<ScheduleBenchRow> run_process_pipeline_bench(const ScheduleBenchOptions& options);
// Fills speedup and efficiency from the other rows of the same method.
void relate_rows(std::vector<ScheduleBenchRow>& rows, int nproc);

std::string format_schedule_bench(const std::vector<ScheduleBenchRow>& rows);
nlohmann::json schedule_bench_json(const std::vector<ScheduleBenchRow>& rows);
std::vector<ScheduleBenchRow> schedule_bench_rows_from_json(const nlohmann::json& j);

}  // namespace dcl
