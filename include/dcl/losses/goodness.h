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
//   g(h)         =  (1/D) Σ_j h_j^2, the mean squared activation; G = D g is Hinton's goodness,
//                   the sum of squares. The prediction sums g, the losses' logits are on G:
//   FF:     L = mean_n [ softplus(-(G_pos,n - D θ)) + softplus(G_neg,n - D θ) ],  θ = 1 per unit:
//           Hinton's logistic((Σ h² - number of units) / temp) with temp 1 (his Matlab code,
//           mirrored by loeweX/Forward-Forward ff_model.py). A logit on the mean instead is D times
//           flatter: under the paper's SGD (lr 1e-3) nothing learned (91% test error after 2 epochs
//           of Fashion-MNIST fc against 24.7% with the sum).
//   SymBa:  L = mean_n softplus(-α (G_pos,n - G_neg,n)),  α = 4, on the same sums (18.6% against
//           22.7% test error with α on the means, 2 epochs, AdamW, batch 100).
//   Peer normalisation (FF, SymBa; Hinton's code, loeweX/Forward-Forward ff_model.py): with r_j
//           the running mean of unit j's activity on the positives (momentum 0.9, from 0.5),
//           r = 0.9 r.detach() + 0.1 mean_n h_pos,n:  L += w mean_j (mean_k r_k - r_j)^2,
//           which keeps every unit in use; w = 0.03 in both sources, 0 (off) by default.
//   PFF:    positives are driven BELOW θ and negatives above it (the reference's "minus the sum of
//           squares" goodness): L = mean over the 2N samples of softplus(g - θ) (positives),
//           softplus(θ - g) (negatives). PffSum: the same on G = Σ h², as the reference's
//           calc_goodness (ago109/predictive-forward-forward pff_rnn.py; θ = 10 in its run script).
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
torch::Tensor pff_goodness_loss(const torch::Tensor& z, int64_t positives, double threshold, bool sum = false);

enum class GoodnessRule { FF, SymBa, Pff, PffSum };

// The block loss of one of the rules above on a block output h of 2N samples (N positives first).
class GoodnessLoss : public LocalLoss {
 public:
  // `units`: values per sample of the block output (the size of the running means).
  GoodnessLoss(GoodnessRule rule, double threshold_or_alpha, double peer_weight = 0, int64_t units = 0);
  LossOutput forward(const torch::Tensor& h, const Target& target) override;

  torch::Tensor running_means;  // [units], a buffer (saved with the model) when peer_weight > 0

 private:
  GoodnessRule rule_;
  double parameter_, peer_weight_;
};

// norm(h): FF blocks see their input length-normalised.
class NormaliseLengthImpl : public torch::nn::Module {
 public:
  torch::Tensor forward(const torch::Tensor& h) { return normalise_length(h); }
};
TORCH_MODULE(NormaliseLength);

}  // namespace dcl
