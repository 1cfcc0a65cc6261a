#pragma once
// The block pipeline (dcl train --schedule pipeline): a local method's stages run concurrently,
// grouped into contiguous runs of stages, one thread per group, joined by bounded queues of
// detached activations. While group g trains on batch t, group g + 1 trains on batch t - 1: no
// stage waits for the backward of the stages above it.
//
// Shared state (DCL's adaptive dictionary) is updated under one lock per model: a stage holds it
// from its loss to the end of its optimiser step (Stage::set_shared_lock), so every update sees
// and leaves a consistent dictionary, and blocks still compute concurrently. The static DCL-S
// dictionary is a buffer, so its stages share nothing and never wait for each other.
//
// With fewer groups than stages, the first batch runs through the stages one after another on the
// caller's thread, timed per stage, and the stages are then split into the contiguous runs whose
// slowest run is fastest (balanced_split); the threads start after it.
//
// synchronous = true admits a batch only after the previous one has left the last stage: the
// same updates in the same order as SequentialSchedule, bit for bit (at equal intra-op threads).
#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dcl/stages/bounded_queue.h"
#include "dcl/stages/schedule.h"

namespace dcl {

struct PipelineOptions {
  int groups = 0;            // threads; 0 = one per stage. Stages are split into contiguous runs
  int depth = 1;             // batches that may wait between two groups
  bool synchronous = false;  // one batch in flight at a time (exactness checks)
  int intra_op_threads = 1;  // LibTorch threads of each group's thread
};

// Where one group's time went since construction (or the last reset_timeline()).
struct PipelineGroupTime {
  std::vector<std::string> stages;
  double compute_seconds = 0;      // in Stage::update (forward, loss, backward, step)
  double input_wait_seconds = 0;   // waiting for the group before it
  double output_wait_seconds = 0;  // waiting for room in the queue to the group after it
  int64_t batches = 0;
};

class PipelineSchedule : public Schedule {
 public:
  PipelineSchedule(std::vector<std::shared_ptr<Stage>> stages, InputEncoder encoder, PipelineOptions options);
  ~PipelineSchedule() override;

  StepResult step(const torch::Tensor& x, const torch::Tensor& y) override;  // push, then drain
  std::vector<StepResult> push(const torch::Tensor& x, const torch::Tensor& y) override;
  std::vector<StepResult> drain() override;

  std::vector<PipelineGroupTime> timeline() const;
  void reset_timeline();
  int groups() const { return int(groups_.size()); }

 private:
  struct Item;
  struct Group;
  void start_groups(const std::vector<std::vector<size_t>>& runs);
  StepResult run_first_batch_timed(const torch::Tensor& x, const torch::Tensor& y);
  void run_group(size_t g);
  std::vector<StepResult> take_finished(bool wait_for_all);
  void fail(std::exception_ptr error);

  std::vector<std::shared_ptr<Stage>> stages_;
  InputEncoder encoder_;
  PipelineOptions options_;
  std::vector<std::unique_ptr<Group>> groups_;
  std::vector<std::unique_ptr<BoundedQueue<Item>>> queues_;  // queues_[g] feeds group g; the last one is the output
  std::vector<std::thread> threads_;
  std::shared_ptr<std::mutex> shared_lock_;
  int64_t pushed_ = 0, finished_ = 0;
  mutable std::mutex error_mutex_;
  std::exception_ptr error_;
};

// The contiguous runs of stages, `groups` of them (at most one per stage), whose largest total
// cost is smallest; ties go to the split with more stages early.
std::vector<std::vector<size_t>> balanced_split(const std::vector<double>& costs, int groups);

// Contiguous runs of stage indices, `groups` of them (0 or more than the stages: one per stage),
// as even as the count allows, the longer runs first.
std::vector<std::vector<size_t>> split_stages(size_t stages, int groups);

}  // namespace dcl
