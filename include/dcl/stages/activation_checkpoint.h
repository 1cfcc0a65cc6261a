#pragma once
// Activation checkpointing, BP's fair baseline at a local learner's memory (Chen et al. 2016,
// "Training deep nets with sublinear memory cost"; torch.utils.checkpoint's reentrant form): a
// segment's forward keeps no graph, only its input; its backward computes the segment again from
// that input with the graph, and backpropagates through it. Gradients equal the plain forward's.
//
// The second forward must be the first one again: the random generators' states are saved and
// restored around it (dropout draws the same masks), and so are the segment's buffers (BatchNorm's
// running statistics are updated once per step, not twice).
#include <functional>
#include <memory>

#include <torch/torch.h>

namespace dcl {

struct CheckpointSegment {
  std::shared_ptr<torch::nn::Module> module;  // whose buffers the recomputation restores
  std::function<torch::Tensor(const torch::Tensor&)> forward;
};

// `segment.forward(x)`, keeping only x for the backward.
torch::Tensor checkpointed(const std::shared_ptr<CheckpointSegment>& segment, const torch::Tensor& x);

}  // namespace dcl
