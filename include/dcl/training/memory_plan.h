#pragma once
// `--memory-budget SIZE`: how each conv block of a local method spends memory, chosen so that the
// training peak stays under SIZE. A local method holds one block's activations at a time on top
// of what every step holds (parameters, optimiser state, the batch); each block's working set is
// estimated from its shapes, and the fastest plan that fits is taken per block:
//   keep y, the whole batch at once -> keep y, chunks of 64 .. 1 -> recompute y from x, chunks of B .. 1.
// Without a budget the limit is the peak of the fixed plan (y kept, chunks of 32): the block that
// sets the peak keeps its chunks, the others run unchunked where that stays below it.
// Estimates, per block (bytes; B the batch, y the conv output, out the block output):
//   held:    parameters x (1 + optimiser slots) + buffers + the batch + x (the block's input)
//   keep:    y + out + code + the loss's gradient (~out) + chunk temporaries (2 y + x) / B x chunk
//   recompute: the same without y.
// Under --amp bf16, y is kept in bfloat16 (half the bytes; the fused block's float32 parts as above).
// Plans are made for the budget less a margin (2%, at least 8 MiB) for what the estimate leaves out.
#include <cstdint>
#include <string>
#include <vector>

#include "dcl/nn/network.h"
#include "dcl/stages/model.h"
#include "dcl/training/run_config.h"

namespace dcl {

// "300MiB", "1.5GiB", "800MB", "2G", "123456" (bytes) -> bytes; throws std::invalid_argument
// naming the text.
int64_t parse_memory_size(const std::string& text);
std::string format_mib(int64_t bytes);

struct BlockMemoryPlan {
  int block = 0;
  int64_t chunk = 32;
  bool recompute = false;
  int64_t estimated_peak = 0;  // bytes, the whole process's tensors while this block trains
};

// Chooses and applies (ConvBlock::set_memory_plan) a plan per conv block for `budget` bytes, or
// with budget < 0 under the fixed plan's peak. Throws std::invalid_argument when a budget is given
// for a method that trains the network end to end (BP: every block's activations at once; without
// a budget BP's blocks keep their fixed chunks), or when a block cannot fit even with recomputation
// and chunks of one sample, naming the block and the least it needs.
std::vector<BlockMemoryPlan> plan_memory(Model& model, const RunConfig& cfg, const InputShape& input,
                                         int64_t budget);
std::string describe(const std::vector<BlockMemoryPlan>& plans);

// What `dcl train` and `dcl bench` do with a freshly built model: plan_memory for
// cfg.memory_budget (none: the fixed plan's peak), printing the plan to stderr when a budget is set.
void apply_memory_budget(Model& model, const RunConfig& cfg, const InputShape& input);

}  // namespace dcl
