#pragma once
// Data-parallel training on LibTorch's c10d: the job's shape from torchrun-compatible environment
// variables, a Gloo process group over a TCPStore rendezvous, and the gradient exchange the
// schedules use. c10d's headers stay inside distributed.cpp.
//
// What the processes agree on: rank 0 hosts the store at MASTER_ADDR:MASTER_PORT (under torchrun,
// whose agent serves MASTER_PORT itself, at MASTER_PORT + 1); every rank
// builds the same model from the seed and then takes rank 0's tensors (broadcast), so they start
// identical; each stage's gradients are summed with weights n_rank / n_batch (the share of the
// global batch each rank holds), which is the gradient of the global batch's mean loss.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "dcl/stages/schedule.h"

namespace dcl {

struct DistributedEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;
  std::string master_addr;
  int master_port = 0;
  std::string socket_interface;  // GLOO_SOCKET_IFNAME: the network interface Gloo binds to
  bool active() const { return world_size > 1; }
};

// Reads RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT,
// GLOO_SOCKET_IFNAME and TORCHELASTIC_USE_AGENT_STORE. Without WORLD_SIZE (or with 1) the run is a single process.
// Throws std::invalid_argument naming the variable that is missing or malformed.
DistributedEnv distributed_env_from_environment();

class ProcessGroup {
 public:
  // Joins the job: rank 0 starts the store, every rank connects within `timeout`. Collectives
  // that wait longer than `timeout` for a peer fail (a hung rank ends the job). `cuda`: the job
  // trains on CUDA, so CUDA tensors are reduced by NCCL where LibTorch has it (Gloo otherwise).
  ProcessGroup(const DistributedEnv& env, std::chrono::milliseconds timeout, bool cuda = false);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const;
  int world_size() const;
  // This process's rank in the whole job (rank() for the job's group; a subgroup numbers its own).
  int job_rank() const;

  // A group of some of the job's ranks (`ranks` in the job's numbering, this rank among them), for
  // collectives among them only; every one of them must call it with the same list. Its failures
  // are diagnosed by the job's heartbeats; the job's group must outlive it.
  std::shared_ptr<ProcessGroup> subgroup(const std::vector<int>& ranks);

  // In-place sum over the ranks, blocking.
  void all_reduce_sum(torch::Tensor& t);
  std::vector<double> all_reduce_sum(const std::vector<double>& values);
  // Every rank's tensors become rank 0's.
  void broadcast_from_rank0(std::vector<torch::Tensor>& tensors);
  // Every rank's tensors become rank `root`'s (their shapes and dtypes agreed beforehand).
  void broadcast(std::vector<torch::Tensor>& tensors, int root);
  // Every rank's tensors become the mean over the ranks (in place; one sum of them all, blocking).
  void average(std::vector<torch::Tensor>& tensors);
  void barrier();

  // A started in-place sum; wait() blocks until it is done (and throws what the peers caused).
  class Pending {
   public:
    virtual ~Pending() = default;
    virtual void wait() = 0;
  };
  std::unique_ptr<Pending> all_reduce_sum_async(torch::Tensor& t);

  // Point to point (a pipeline's activations between processes): `t` to rank `peer`, or into `t`
  // (its shape and dtype agreed beforehand) from rank `peer`. Messages between two ranks are
  // matched by `tag`, not by order. A started send keeps `t` alive until waited for.
  std::unique_ptr<Pending> send_async(const torch::Tensor& t, int peer, int tag);
  void recv(torch::Tensor& t, int peer, int tag);

  // After a collective failed: which ranks stopped answering (their heartbeats in the store no
  // longer advance), as a sentence for the error message.
  std::string diagnose_failure();

  // Seconds spent waiting in collectives since the last call (communication + waiting for peers).
  double take_communication_seconds();

 private:
  ProcessGroup();  // an empty group, filled by subgroup()
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Fault injection for the tests of a failing job: DCL_FAULT="kill:R:S" makes rank R kill itself
// (SIGKILL) when it finishes step S, "hang:R:S" stops it (SIGSTOP). Does nothing otherwise.
void inject_fault(int rank, int64_t step);

// The first line of a message (c10d's errors carry a backtrace after it).
std::string first_line(const std::string& message);

// Runs `body` and turns a failed collective into an error that names the unresponsive ranks.
template <typename F>
auto with_peer_diagnosis(ProcessGroup& group, const std::string& during, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(group.job_rank()) + ": " + during +
                             " failed: " + group.diagnose_failure() + " (" + first_line(e.what()) + ")");
  }
}

// The data-parallel gradient exchange: a stage's gradients flattened into buckets of at most
// `bucket_elements` values, each scaled by this rank's share of the batch and summed across ranks
// asynchronously; finish() waits and copies them back.
class DataParallelExchange : public GradientExchange {
 public:
  DataParallelExchange(std::shared_ptr<ProcessGroup> group, int64_t bucket_elements = int64_t(1) << 22);
  ~DataParallelExchange() override;
  // This rank's share of the current global batch: n_rank / n_batch.
  void set_batch_share(double share) { share_ = share; }
  void start(Stage& stage) override;
  void finish(Stage& stage) override;

 private:
  struct Flight;
  std::shared_ptr<ProcessGroup> group_;
  int64_t bucket_elements_;
  double share_ = 1.0;
  std::vector<std::unique_ptr<Flight>> flights_;
};

}  // namespace dcl
