#pragma once
// The process pipeline (dcl train --schedule pipeline --pipeline-ranks G): the thread pipeline's
// contiguous groups of stages, each on a process of its own (and, with CUDA, its own GPU), joined
// by c10d point-to-point messages. Every rank holds the whole model; rank g trains only its group.
//
// The first batch runs through every stage on every rank, timed; rank 0's times split the stages
// into the G contiguous runs whose slowest run is fastest (balanced_split), the same on every rank.
// From then on rank g receives batch t (activation, labels, the block losses and layer scores so
// far, and the images when a later rank's loss reads them) from rank g - 1, updates its stages on it and sends the
// result to rank g + 1; the last rank completes the step's result. Rank g runs s = --pipeline-depth batches behind rank
// g - 1 (s = 0 with --pipeline-sync): push(t) returns this rank's share of batch t - s(G - 1 - g), which the trainer
// sums over the ranks. That sum is the only collective per step, so the ranks advance together, one batch apart per
// group, and at most s + 1 sends wait between two neighbours.
//
// The shared dictionary (DCL's adaptive one, the only state several stages update) across
// processes: rank 0 owns it. Each batch carries the current dictionary down the pipeline: rank g
// loads it, its stages update it in stage order (as sequential does) and pass it on; the last
// rank returns it to rank 0, which folds it in before batch t + 1 + W, W = s(G - 1):
//   D_0 <- D_returned(t) + (D_0 - D_sent(t)),
// i.e. the downstream updates of batch t are applied on top of rank 0's own later ones, in batch
// order. Every update is kept; rank 0 reads a dictionary that lacks the downstream updates of at
// most W batches (bounded staleness). With --pipeline-sync (W = 0) D_0 = D_sent(t), so the fold
// is D_returned exactly: the sequential schedule's updates, bit for bit.
//
// Evaluation and checkpoints: after drain(), synchronize_model() broadcasts each stage's tensors
// and optimiser state from the rank that trains it, and the dictionary from rank 0, so every rank
// holds the pipeline's model (the test set is then shared among the ranks).
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "dcl/runtime/distributed.h"
#include "dcl/stages/model.h"
#include "dcl/stages/pipeline_schedule.h"
#include "dcl/stages/schedule.h"

namespace dcl {

struct ProcessPipelineOptions {
  int depth = 1;             // s: batches between two neighbouring ranks
  bool synchronous = false;  // one batch in flight (s = 0): sequential's updates, bit for bit
  // Data-parallel replicas of the pipeline: G processes per pipeline (0 = the whole job is one
  // pipeline); job rank r is position r % G of replica r / G. `replicas`: the group of the ranks at
  // this rank's position in every replica (their gradients are summed by the stages' gradient
  // hooks, set by the caller; their BatchNorm statistics are averaged by synchronize_model()).
  int stage_ranks = 0;
  std::shared_ptr<ProcessGroup> replicas;
};

// What one rank's pipeline moved and waited for since construction (or reset_timeline()).
struct ProcessPipelineTime {
  PipelineGroupTime group;       // compute, waiting for the previous rank (input) and for sends (output)
  double fold_wait_seconds = 0;  // rank 0: waiting for returned dictionaries
  int64_t bytes_sent = 0;        // to the next rank and back to rank 0
};

class ProcessPipelineSchedule : public Schedule {
 public:
  ProcessPipelineSchedule(std::vector<std::shared_ptr<Stage>> stages, InputEncoder encoder,
                          std::vector<torch::Tensor> shared, std::shared_ptr<ProcessGroup> group,
                          ProcessPipelineOptions options);
  ~ProcessPipelineSchedule() override;

  StepResult step(const torch::Tensor& x, const torch::Tensor& y) override;  // push, then drain
  std::vector<StepResult> push(const torch::Tensor& x, const torch::Tensor& y) override;
  std::vector<StepResult> drain() override;
  void synchronize_model() override;

  ProcessPipelineTime timeline() const { return time_; }
  void reset_timeline();
  // This rank's stages (empty before the first batch has split them).
  std::vector<std::string> own_stages() const;
  // Every rank's stages, by rank (empty before the first batch).
  std::vector<std::vector<std::string>> stages_by_rank() const;

 private:
  struct Batch;
  StepResult run_first_batch_timed(const torch::Tensor& x, const torch::Tensor& y);
  void process(Batch& batch);
  bool receive(Batch& batch);  // false: the previous rank has drained
  void send_on(const Batch& batch);
  void send_end();
  void fold_returns_through(int64_t t);
  void wait_sends(size_t keep);
  void finish_flight();
  StepResult share_of(const StepResult& full) const;
  std::vector<StepResult> release(size_t keep);
  torch::Tensor flat_shared() const;
  void load_shared(const torch::Tensor& flat);

  std::vector<std::shared_ptr<Stage>> stages_;
  InputEncoder encoder_;
  std::vector<torch::Tensor> shared_;
  std::shared_ptr<ProcessGroup> group_;
  ProcessPipelineOptions options_;
  int rank_;      // in the job
  int ranks_;     // G: processes of one pipeline
  int position_;  // this rank's place in its pipeline, 0..G-1
  int head_;      // the job rank of its pipeline's first process
  int tail() const { return head_ + ranks_ - 1; }
  size_t lag_ = 0;           // s(G - 1 - rank): results this rank holds back
  int64_t window_ = 0;       // W = s(G - 1)
  std::vector<size_t> own_;  // this rank's stage indices
  std::vector<int> owner_;   // rank of each stage
  size_t blocks_ = 0;        // Block stages of the chain
  torch::Device device_{torch::kCPU};
  int64_t next_ = 0;  // index of the next batch this rank processes
  bool draining_ = false;
  bool send_images_ = false;  // a later rank's loss reads the images (InfoPro's decoder)
  int64_t folded_ = 1;        // rank 0: the next batch whose dictionary returns
  std::deque<std::pair<int64_t, torch::Tensor>> sent_dictionaries_;  // rank 0
  std::deque<StepResult> results_;
  std::deque<std::vector<std::unique_ptr<ProcessGroup::Pending>>> sends_;
  ProcessPipelineTime time_;
};

// Checks that `method`'s model can run as a pipeline of `ranks` processes (a local method with at
// least that many stages, or BP's GPipe with at least that many blocks); throws
// std::invalid_argument naming what is wrong.
void check_process_pipeline(Model& model, const std::string& method, int ranks);
// Replaces the model's sequential schedule by the process pipeline over `group`'s ranks (a local
// method's; BP's GPipe is use_gpipe, runtime/gpipe_schedule.h).
ProcessPipelineSchedule& use_process_pipeline(Model& model, const std::string& method,
                                              std::shared_ptr<ProcessGroup> group, ProcessPipelineOptions options);

}  // namespace dcl
