#pragma once
// Forward-Forward (Hinton 2022, spec section 5): every block learns to give high goodness to a
// positive input (the image with its true label written in) and low goodness to a negative one
// (the same image with a wrong random label), from its own detached input.
//
//   overlay(x, z):  flatten x per sample and replace its first Z values by onehot(z); the shape
//                   is kept, so the same rule serves fc and conv inputs (for conv nets the label
//                   lands in the top-left pixels of channel 0, where only the receptive fields
//                   that cover them can see it: a known weakness of FF on conv nets).
//   norm(h)      =  h / (||h||_2 / sqrt(D) + eps), per sample over its D values: every block input
//                   has the same length sqrt(D) (unit RMS, as Hinton's reference code), so a block
//                   cannot read the previous block's goodness, only the direction of its activity.
//   g_l(h)       =  (1/D_l) sum_j h_j^2, the mean squared activation of block l's output (Hinton's
//                   sum of squares divided by the unit count, so one threshold fits every width).
//   L_l          =  mean_n [ softplus(-(g_pos,n - θ)) + softplus(g_neg,n - θ) ],  θ = 1:
//                   the goodness of unit-RMS activity, i.e. Hinton's sum of squares against
//                   θ = the number of units. (θ = 2, common in PyTorch ports, learned slower here:
//                   0.47 vs 0.50 test accuracy after one epoch on 4096 Fashion-MNIST images.)
//   prediction   =  argmax_z sum_{l >= first} g_l(overlay(x, z)), all Z labels in one batched
//                   forward (chunked by label when Z * N is large). Hinton sums from the second
//                   hidden layer on; the fc net has only two hidden blocks, so every block counts
//                   by default (FFOptions::first_scoring_block).
//
// Each block has its own optimiser and is updated once per batch from one forward of the
// positive and the negative inputs (concatenated: one pass of 2N samples). The classifier head is
// neither trained nor used.
#include <memory>

#include <torch/torch.h>

#include "dcl/core/learner.h"
#include "dcl/core/run_config.h"

namespace dcl {

struct FFOptions {
  int classes = 10;
  double threshold = 1.0;      // θ on the mean squared activation
  int first_scoring_block = 0; // blocks before it do not vote in the prediction
};

// One-hot of `labels` over the first `classes` values of each flattened sample of `x`.
torch::Tensor overlay_label(const torch::Tensor& x, const torch::Tensor& labels, int classes);
// Per-sample length normalisation to unit RMS (see norm above).
torch::Tensor normalise_length(const torch::Tensor& h);
// Mean squared activation per sample: [N].
torch::Tensor goodness(const torch::Tensor& h);
// Hinton's loss, batch mean (L_l above).
torch::Tensor ff_loss(const torch::Tensor& g_pos, const torch::Tensor& g_neg, double threshold);
// Labels drawn uniformly among the Z - 1 wrong ones.
torch::Tensor wrong_labels(const torch::Tensor& y, int classes);

class FFLearner : public Learner {
 public:
  FFLearner(Network net, const RunConfig& cfg, const FFOptions& options);
  StepResult train_step(const torch::Tensor& x, const torch::Tensor& y) override;
  // Summed goodness [N, Z] of every label written into x (the scores behind the test accuracy).
  torch::Tensor predict(const torch::Tensor& x, const std::vector<torch::Tensor>& block_outputs) override;
  // Summed goodness [N] of x with `labels` written in (one label per sample).
  torch::Tensor label_goodness(const torch::Tensor& x, const torch::Tensor& labels);

 protected:
  // Block loss from the goodness of the positive and negative halves; SymBa overrides it.
  virtual torch::Tensor pair_loss(const torch::Tensor& g_pos, const torch::Tensor& g_neg);
  FFOptions options_;
};

}  // namespace dcl
