#pragma once
// A linear layer trained with feedback alignment (Lillicrap et al. 2016), as NE19's LL-bpf uses
// for its prediction loss (spec section 5):
//   forward  y = x W^T + b
//   backward dL/dx = (dL/dy) B     (B fixed and random, same shape as W: the error never reads W)
//            dL/dW = (dL/dy)^T x,  dL/db = sum_n (dL/dy)_n    (as for an ordinary linear layer)
#include <torch/torch.h>

namespace dcl {

// x [N, in], weight and feedback [out, in], bias [out] (or undefined).
torch::Tensor linear_feedback_alignment(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                        const torch::Tensor& feedback);

}  // namespace dcl
