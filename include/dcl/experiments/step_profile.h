#pragma once
// One training step taken apart (`dcl bench --profile`): for every stage and phase of its update
// (forward, loss, backward, step), the wall time, the bytes held when the phase starts and the
// peak inside it (the memory timeline), and the ATen operators that took the time. An operator's
// self time is its own time minus that of the operators it called, so the times add up: a
// convolution shows as the oneDNN kernel it ends in, a fused block's BatchNorm arithmetic as the
// element-wise operators it is made of.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "dcl/stages/model.h"
#include "dcl/runtime/memory_tracker.h"

namespace dcl {

struct PhaseSample {
  std::string stage;  // "(schedule)" for the work between stages
  StagePhase phase = StagePhase::Forward;
  double seconds = 0;
  int64_t bytes_at_start = 0;
  int64_t peak_bytes = 0;
};

struct OpSample {
  std::string stage;
  StagePhase phase = StagePhase::Forward;
  std::string op;
  double self_seconds = 0;
  int64_t calls = 0;
};

struct StepProfile {
  double seconds = 0;
  int64_t bytes_before = 0;  // held before the step: parameters, optimiser state, the batch
  int64_t peak_bytes = 0;
  std::vector<PhaseSample> phases;  // in the order they ran
  std::vector<OpSample> ops;        // every (stage, phase, operator), largest self time first
};

// Runs one step of `model.schedule` on (x, y) under the profiler. Operators are timed on the
// calling thread, which on CPU is also the thread that runs backward.
StepProfile profile_step(Model& model, const torch::Tensor& x, const torch::Tensor& y, MemoryTracker& memory,
                         const torch::Device& device);

// The time and memory table per stage, then the `top_ops` operators of largest self time.
std::string format_profile(const std::string& method, const StepProfile& profile, int top_ops);
nlohmann::json profile_json(const StepProfile& profile);

}  // namespace dcl
