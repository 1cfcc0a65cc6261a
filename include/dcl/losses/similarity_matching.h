#pragma once
// Nøkland & Eidnes' (2019) similarity matching, spec section 5 (LL-sim / LL-bpf).
//
//   S(X)_{ij} = clamp(<x̃_i, x̃_j>, -1, 1),  x̃_i = (x_i - mean(x_i)) / (1e-8 + |x_i - mean(x_i)|)
//   L_sim = (1/N^2) sum_ij (S(H)_ij - S(Y)_ij)^2       (Y: one-hot labels, N: batch)
// S is the "adjusted cosine" (row-centred, row-normalised) similarity over the batch. As in the
// reference code (its default, without --no-similarity-std), a feature map [N, C, H, W] with
// C > 3 and H > 1 enters S through its per-channel standard deviation over the H*W positions
// (the std operator, unbiased); other tensors are flattened per sample.
#include <torch/torch.h>

namespace dcl {

// [N, C, H, W] -> [N, C]: unbiased standard deviation of each channel over the spatial positions.
torch::Tensor spatial_std(const torch::Tensor& h);

// S(X) above: [N, ...] -> [N, N].
torch::Tensor similarity_matrix(const torch::Tensor& x);

// L_sim above: MSE between S(h) and S(one_hot(y, classes)).
torch::Tensor similarity_matching_loss(const torch::Tensor& h, const torch::Tensor& y, int classes);

}  // namespace dcl
