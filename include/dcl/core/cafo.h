#pragma once
// Cascaded Forward (CaFo, Zhao et al. 2023), spec section 5.
//
// The blocks keep their random initial weights and are never updated. Each block l has its own
// linear predictor on its flattened output, trained with cross-entropy (the paper's CE variant):
//   s_l = W_l flatten(h_l) + b_l,   W_l in R^{Z x S_l},   L_l = CE(s_l, y), batch mean
// Prediction: the sum of the predictors' outputs (their softmax distributions),
//   ŷ = argmax_z Σ_l softmax(s_l)_z;
// predict() returns log((1/L) Σ_l softmax(s_l)), whose argmax is that sum's and whose
// cross-entropy is the averaged distribution's (so the reported test loss means something).
// The network's classifier head is not part of CaFo: it stays untrained and unused.
//
// BatchNorm in the frozen blocks: they always run in evaluation mode (running statistics, still
// at their initial mean 0 / variance 1; dropout off). The blocks are then fixed functions: train
// and test features are identical, and nothing about a block (parameters or buffers) ever changes.
// With batch statistics the features would depend on the batch and the predictors would be
// trained on features they never see at test time.
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "dcl/core/learner.h"
#include "dcl/core/objective.h"

namespace dcl {

class CafoObjective : public LocalObjective {
 public:
  CafoObjective(int classes, const std::vector<int64_t>& output_sizes);

  torch::Tensor loss(int block, const torch::Tensor& h, const torch::Tensor& y) override;
  torch::Tensor scores(int block, const torch::Tensor& h) override;  // s_l
  std::vector<torch::Tensor> block_parameters(int block) override;

  std::vector<torch::nn::Linear> predictors;
};

class CafoLearner : public Learner {
 public:
  CafoLearner(Network net, std::shared_ptr<CafoObjective> objective, const RunConfig& cfg);
  StepResult train_step(const torch::Tensor& x, const torch::Tensor& y) override;
  torch::Tensor predict(const torch::Tensor& x, const std::vector<torch::Tensor>& block_outputs) override;

 private:
  std::shared_ptr<CafoObjective> objective_;
};

}  // namespace dcl
