#pragma once
// The element-wise half of the fused conv block (conv_block.cpp) as single passes over memory:
// BatchNorm's batch statistics, normalise + ReLU [+ 2x2 max-pool with a byte per window], and the
// two backward passes. Written as ATen operators they took a third of a VGG8B step on CPU (each
// operator is one more pass over a full-size tensor: `dcl bench --profile`); here each is one
// loop, parallel over channels or planes.
//
// Every function takes float32 NCHW tensors; `supported` says whether the loops apply (CPU,
// float32, contiguous y); otherwise conv_block.cpp uses its ATen-operator path.
#include <utility>

#include <torch/torch.h>

namespace dcl::bn_relu_pool {

bool supported(const torch::Tensor& y);

// Per-channel sums of y and y² over (N, H, W), in double, shifted by each channel's first value
// so that the variance does not cancel: {Σ (y - s), Σ (y - s)², s}, added into `acc` [3, C] (double).
void accumulate_moments(const torch::Tensor& y, torch::Tensor& acc);
// {mean, biased variance} [C] (float) from `acc` over `count` values per channel.
std::pair<torch::Tensor, torch::Tensor> moments(const torch::Tensor& acc, int64_t count);

// z = relu(y * scale + shift) per channel; pooled: out = 2x2/2 max of z, code = the window
// position (0..3, row-major) of the first maximum, as max_pool2d picks it. out/code are the
// chunk's slices (written, not allocated).
void normalize_relu(const torch::Tensor& y, const torch::Tensor& scale, const torch::Tensor& shift,
                    torch::Tensor out);
void normalize_relu_pool(const torch::Tensor& y, const torch::Tensor& scale, const torch::Tensor& shift,
                         torch::Tensor out, torch::Tensor code);

// The gradient reaching the BN output is g = g_out where out > 0 (routed to the window's argmax
// when pooled), zero elsewhere. Adds {Σ g, Σ g y} per channel into `sums` [2, C] (double).
void accumulate_grad_sums(const torch::Tensor& g_out, const torch::Tensor& out, const torch::Tensor& code,
                          const torch::Tensor& y, bool pool, torch::Tensor& sums);
// The gradient at the conv output of a chunk: dy = k (g - c y - offset) per channel, into a new
// contiguous tensor shaped like y.
torch::Tensor grad_at_conv(const torch::Tensor& g_out, const torch::Tensor& out, const torch::Tensor& code,
                           const torch::Tensor& y, bool pool, const torch::Tensor& k, const torch::Tensor& c,
                           const torch::Tensor& offset);

}  // namespace dcl::bn_relu_pool
