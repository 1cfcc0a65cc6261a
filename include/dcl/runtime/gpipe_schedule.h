#pragma once
// BP as a GPipe pipeline over processes: the strongest alternative a BP user has on the process
// layout of the local pipeline (runtime/process_pipeline.h), against which its forward unlocking is
// measured. The network's blocks (and the head, with the last) are split over the ranks into
// contiguous parts, balanced by the first batch's measured block times; each batch is cut into M
// micro-batches, which flow forward through the parts (activations sent to the next rank), and
// only after the forward of every micro-batch does the backward start (gradients sent to the
// previous rank): the backward of part g waits for the forward of every part after it, which is
// what local learning is free of. Each rank steps its own part's parameters once per batch.
// BatchNorm normalises each micro-batch by its own statistics (as GPipe does).
#include <memory>
#include <string>
#include <vector>

#include "dcl/nn/network.h"
#include "dcl/runtime/distributed.h"
#include "dcl/runtime/process_pipeline.h"
#include "dcl/stages/model.h"
#include "dcl/stages/schedule.h"

namespace dcl {

class GPipeSchedule : public Schedule {
 public:
  // `stage`: BP's one stage over `net` (its optimiser and loss).
  GPipeSchedule(Network net, std::shared_ptr<Stage> stage, std::shared_ptr<ProcessGroup> group, int micro_batches);

  StepResult step(const torch::Tensor& x, const torch::Tensor& y) override;
  // This rank's share of the step's result: the whole result on the last rank, nothing elsewhere.
  std::vector<StepResult> push(const torch::Tensor& x, const torch::Tensor& y) override;

  ProcessPipelineTime timeline() const { return time_; }
  void reset_timeline();
  std::vector<std::vector<std::string>> stages_by_rank() const;
  // Waits for this rank's last sends; then each part's tensors and optimiser state go from the rank
  // that trains it to every rank (for evaluation and checkpoints). Collective.
  void synchronize_model() override;

 private:
  StepResult split_by_first_batch(const torch::Tensor& x, const torch::Tensor& y);
  torch::Tensor forward_part(torch::Tensor h);

  Network net_;
  std::shared_ptr<Stage> stage_;
  std::shared_ptr<ProcessGroup> group_;
  int micro_batches_;
  int rank_, ranks_;
  std::vector<std::vector<size_t>> parts_;             // block indices by rank
  std::vector<std::vector<int64_t>> boundary_shapes_;  // per-sample shape of each block's output
  int64_t step_ = 0;
  std::vector<std::unique_ptr<ProcessGroup::Pending>> sends_;
  ProcessPipelineTime time_;
};

// Replaces BP's one-stage schedule by GPipe over `group`'s ranks.
GPipeSchedule& use_gpipe(Model& model, std::shared_ptr<ProcessGroup> group, int micro_batches);

}  // namespace dcl
