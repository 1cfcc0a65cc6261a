#pragma once
// SymBa (Lee & Song 2023, spec section 5): Forward-Forward with a symmetric, balanced loss on the
// goodness gap between a positive and its negative, instead of two one-sided thresholds:
//
//   L_l = mean_n softplus(-α (g_pos,n - g_neg,n)),  α = 4,
//
// with g_l, the label overlay, the input normalisation, the local updates and the goodness
// prediction all as in ff.h. The positive and negative of a pair are the same image with its
// true and with a wrong random label, so the gap measures only what the label changes.
// (SymBa's Intrinsic Class Pattern overlay is not used: the label is written as in FF.)
#include <torch/torch.h>

#include "dcl/core/ff.h"

namespace dcl {

// L_l above, batch mean.
torch::Tensor symba_loss(const torch::Tensor& g_pos, const torch::Tensor& g_neg, double alpha);

class SymBaLearner : public FFLearner {
 public:
  SymBaLearner(Network net, const RunConfig& cfg, const FFOptions& options, double alpha = 4.0);

 protected:
  torch::Tensor pair_loss(const torch::Tensor& g_pos, const torch::Tensor& g_neg) override;

 private:
  double alpha_;
};

}  // namespace dcl
