#pragma once
// Nøkland & Eidnes (2019), "Training neural networks with local error signals": the LL-pred,
// LL-sim, LL-predsim and LL-bpf losses of spec section 5, one module (auxiliary head) per block.
//
//   L_pred = CE(W pool(h) + b, y)       pool: average pooling with kernel = stride = (kh, kw),
//            doubled alternately (kh first) until C * ceil(H/kh) * ceil(W/kw) <= 2048, as the
//            reference sizes its decoder input (--dim-in-decoder 2048 in its VGG8B runs);
//            fc blocks are not pooled; W is zero-initialised as in the reference.
//   L_sim  = |S(conv3x3(h)) - S(Y)|^2 / N^2   (similarity_matching.h; conv C -> C, no bias;
//            fc blocks: a bias-free linear F -> F)
//   predsim: L = (1 - beta) L_pred + beta L_sim, beta = 0.99 (the reference's --beta)
//   bpf (the reference's --bio predsim, backprop-free apart from the block itself):
//            L_sim on the pooled output itself (no conv; S then takes its per-channel spatial
//            std), and W trained by feedback alignment (nn/feedback_alignment.h): the error
//            reaches the block through a fixed random B, a registered buffer so checkpoints keep
//            it. Unlike --bio we keep one-hot targets and cross-entropy (no random label
//            projection) so the classifier's logits remain layer-wise class scores.
// scores() returns the classifier's logits wherever there is a pred loss.
// The reference applies the auxiliary heads before the block's dropout; so do ours by default
// (--ll-loss-before-dropout: the block's dropout moves to the start of the next stage).
#include <vector>

#include <torch/torch.h>

#include "dcl/losses/local_loss.h"

namespace dcl {

struct LocalErrorOptions {
  int classes = 10;
  bool pred = true;
  bool sim = true;
  double beta = 0.99;          // weight of L_sim when both are on
  bool backprop_free = false;  // LL-bpf
  int64_t max_pred_features = 2048;
};

class LocalErrorLoss : public LocalLoss {
 public:
  // output_size: the block's output for one sample, [C, H, W] or [F].
  LocalErrorLoss(const LocalErrorOptions& options, const std::vector<int64_t>& output_size);

  LossOutput forward(const torch::Tensor& h, const Target& target) override;
  torch::Tensor scores(const torch::Tensor& h) override;  // the classifier's logits [N, Z] (pred only)

  torch::Tensor pred_loss(const torch::Tensor& h, const torch::Tensor& y);
  torch::Tensor sim_loss(const torch::Tensor& h, const torch::Tensor& y);
  // The pred pooling: {kh, kw}, {1, 1} for none.
  std::vector<int64_t> pool_kernel() const { return pool_; }

  torch::nn::Linear classifier{nullptr};   // pred only
  torch::Tensor feedback;                  // bpf only: B
  torch::nn::Sequential sim_map{nullptr};  // sim without bpf: conv3x3 or linear

 private:
  torch::Tensor pooled(const torch::Tensor& h) const;
  LocalErrorOptions options_;
  std::vector<int64_t> pool_;
};

// Pooling kernel {kh, kw} so that C * ceil(H/kh) * ceil(W/kw) <= max_features (see above).
std::vector<int64_t> pred_pool_kernel(int64_t c, int64_t h, int64_t w, int64_t max_features);

}  // namespace dcl
