#pragma once
// conv k x k + BatchNorm + ReLU [+ 2x2 max-pool]: the conv block of every conv network (spec
// section 2), with a memory-lean training path.
//
// Autograd through the four separate modules keeps the conv output, the BN/ReLU output, the
// pool's int64 indices and, during backward, three full-size gradients alive at once: that
// working set is what dominates a local learner's peak memory (one block at a time). The fused
// path keeps only what the gradient needs and works in batch chunks:
//   saved: input x, conv output y (unless recomputed), BN batch statistics, block output p,
//          argmax as a byte per window
//   forward: y by chunks with the batch statistics in the same pass; then BN/ReLU/pool by chunks,
//            one loop each (bn_relu_pool_kernels.h), so the full-size BN/ReLU output never exists
//   backward: two passes over chunks: BN's reductions Σg, Σg·y, then per chunk the gradient at
//            the conv output and the conv's weight (and, for BP, input) gradients.
// With `recompute`, y is never kept whole: each pass computes a chunk's convolution again from x
// (three more convolutions per step, for the block whose y would set the memory peak).
// ReLU's mask is read from the output (a window's max is > 0 exactly when its argmax passed the
// ReLU). Values and gradients equal the module chain's (tests/nn/conv_block_test.cpp).
// Under autocast (--amp bf16) the same path keeps y in bfloat16 (half its memory) and runs the
// convolutions in bfloat16 where that is fast (CUDA; a CPU with AVX512-BF16 or AMX), else in
// float32; statistics, the element-wise loops, the output and gradient sums stay float32.
#include <torch/torch.h>

namespace dcl {

struct ConvBlockOptions {
  int in = 0, out = 0, kernel = 3, stride = 1;
  bool pool = false;
  // > 0: LeakyReLU with this slope below zero. It runs the module chain: the fused kernels read
  // ReLU's mask from the block output, which a leaky unit does not give.
  double negative_slope = 0;
};

class ConvBlockImpl : public torch::nn::Module {
 public:
  explicit ConvBlockImpl(const ConvBlockOptions& options);
  torch::Tensor forward(torch::Tensor x);
  // The plain module chain (for comparison and for evaluation).
  torch::Tensor forward_reference(torch::Tensor x);

  // How the training path spends memory: samples per chunk (every temporary exists for one chunk)
  // and whether y is recomputed instead of kept (memory_plan.h chooses both from a budget).
  void set_memory_plan(int64_t chunk, bool recompute);
  int64_t chunk() const { return chunk_; }
  bool recompute() const { return recompute_; }
  const ConvBlockOptions& options() const { return options_; }
  // Under --amp bf16 on the CPU: whether the convolutions run in bfloat16 (default: where the
  // processor multiplies bfloat16 natively) or in float32 on the bfloat16-stored y.
  void set_bf16_convolution(bool on) { bf16_convolution_ = on; }
  static bool bf16_convolution_default();

  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};

 private:
  ConvBlockOptions options_;
  int64_t chunk_ = 32;
  bool recompute_ = false;
  bool bf16_convolution_ = bf16_convolution_default();
};
TORCH_MODULE(ConvBlock);

}  // namespace dcl
