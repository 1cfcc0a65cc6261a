#pragma once
// Whole-set BatchNorm statistics for blocks that are never trained (CaFo's frozen blocks).
//
// CaFo's authors (Graph-ZKY/CaFo train.py, block.py) run their untrained blocks in training mode
// on the whole training set as one batch, so every BatchNorm normalises with the statistics of the
// full set. Here the set passes once through the chain of stages in batches, every BatchNorm in
// training mode with momentum n_b / n_seen (the running estimate is the sample-weighted mean of
// the batches' statistics, "precise BN"); afterwards the blocks run in evaluation mode on those
// statistics, for training and test images alike. (Theirs normalise the test set with its own
// statistics, which uses the test set as a whole to predict each image; we do not.)
#include <functional>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "dcl/stages/stage.h"

namespace dcl {

// The BatchNorm modules inside `module`, in order.
std::vector<std::shared_ptr<torch::nn::Module>> batch_norm_modules(torch::nn::Module& module);

// Estimates the statistics of every BatchNorm in `stages` (run one after another, each on the
// previous one's output) from the batches `next_images` yields until it returns an undefined
// tensor; the stages are left in evaluation mode. Returns the number of images seen: 0 when the
// stages hold no BatchNorm, and then no batch is read.
int64_t calibrate_batch_norm(const std::vector<std::shared_ptr<Stage>>& stages,
                             const std::function<torch::Tensor()>& next_images);

}  // namespace dcl
