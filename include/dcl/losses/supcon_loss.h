#pragma once
// Supervised contrastive loss (Khosla et al. 2020; SupCon with one view, as InfoPro uses it),
// spec section 5 (L_contrast, LL-cont).
//
//   z_i = f_i / |f_i|,  s_ij = <z_i, z_j> / T,  A(i) = {k != i},  P(i) = {p in A(i): y_p = y_i}
//   l_i = -(1/|P(i)|) sum_{p in P(i)} [ s_ip - log sum_{k in A(i)} exp(s_ik) ]   (l_i = 0 if P(i) = {})
//   L = (1/N) sum_i l_i
// An anchor without positives contributes 0 but still counts in the mean, exactly as the reference
// SupConLoss (it divides by max(|P(i)|, 1)); with T equal to its base temperature its factor
// T / T_base is 1.
#include <torch/torch.h>

namespace dcl {

// features [N, D] (normalised here), labels [N] int64.
torch::Tensor supcon_loss(const torch::Tensor& features, const torch::Tensor& labels, double temperature = 0.07);

}  // namespace dcl
