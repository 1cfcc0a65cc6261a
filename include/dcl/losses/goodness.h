#pragma once
// The Forward-Forward family's pieces (spec section 5): label overlay, length normalisation,
// goodness, and the block losses of FF (Hinton 2022), SymBa (Lee & Song 2023) and PFF (Ororbia &
// Mali 2023). Positives and negatives travel in one batch: the first half positives.
//
//   overlay(x, z):  flatten x per sample and replace its first Z values by onehot(z); the shape
//                   is kept, so the same rule serves fc and conv inputs (for conv nets the label
//                   lands in the top-left pixels of channel 0, where only the receptive fields
//                   that cover them can see it: a known weakness of FF on conv nets).
//   norm(h)      =  h / (||h||_2 / sqrt(D) + eps), per sample over its D values: every block input
//                   has the same length sqrt(D) (unit RMS, as Hinton's reference code), so a block
//                   cannot read the previous block's goodness, only the direction of its activity.
//   g(h)         =  (1/D) Σ_j h_j^2, the mean squared activation (Hinton's sum of squares divided
//                   by the unit count, so one threshold fits every width).
//   FF:     L = mean_n [ softplus(-(g_pos,n - θ)) + softplus(g_neg,n - θ) ],  θ = 1: the goodness
//           of unit-RMS activity, i.e. Hinton's sum of squares against θ = the number of units.
//           (θ = 2, common in PyTorch ports, learned slower here: 0.47 vs 0.50 test accuracy
//           after one epoch on 4096 Fashion-MNIST images.)
//   SymBa:  L = mean_n softplus(-α (g_pos,n - g_neg,n)),  α = 4.
//   PFF:    positives are driven BELOW θ and negatives above it (the reference's "minus the sum of
//           squares" goodness): L = mean over the 2N samples of softplus(g - θ) (positives),
//           softplus(θ - g) (negatives).
#include <torch/torch.h>

#include "dcl/losses/local_loss.h"

namespace dcl {

// x [N, ...] with the one-hot of labels [N] over its first `classes` values per sample.
torch::Tensor overlay_label(const torch::Tensor& x, const torch::Tensor& labels, int classes);
// Per-sample length normalisation to unit RMS (norm above); any shape [N, ...].
torch::Tensor normalise_length(const torch::Tensor& h);
// Mean squared activation per sample: [N, ...] -> [N].
torch::Tensor goodness(const torch::Tensor& h);
// Labels drawn uniformly among the Z - 1 wrong ones: [N].
torch::Tensor wrong_labels(const torch::Tensor& y, int classes);

torch::Tensor ff_loss(const torch::Tensor& g_pos, const torch::Tensor& g_neg, double threshold);
torch::Tensor symba_loss(const torch::Tensor& g_pos, const torch::Tensor& g_neg, double alpha);
// z [2N, ...]: positives (first `positives` rows), then negatives.
torch::Tensor pff_goodness_loss(const torch::Tensor& z, int64_t positives, double threshold);

enum class GoodnessRule { FF, SymBa, Pff };

// The block loss of one of the rules above on a block output h of 2N samples (N positives first).
class GoodnessLoss : public LocalLoss {
 public:
  GoodnessLoss(GoodnessRule rule, double threshold_or_alpha);
  LossOutput forward(const torch::Tensor& h, const Target& target) override;

 private:
  GoodnessRule rule_;
  double parameter_;
};

// norm(h): FF blocks see their input length-normalised.
class NormaliseLengthImpl : public torch::nn::Module {
 public:
  torch::Tensor forward(const torch::Tensor& h) { return normalise_length(h); }
};
TORCH_MODULE(NormaliseLength);

}  // namespace dcl
