#pragma once
// The local-loss interface: a loss is a module (with whatever parameters its method needs:
// dictionary view, auxiliary head, feedback matrix, predictor) that turns one block's output and
// the batch's targets into a scalar. It sits beside its block in a Stage (stages/stage.h).
//
// Shapes, here and in every loss of this folder:
//   N  batch size              C  channels of a block output (fc: patch width)
//   H, W  spatial size         K  local vectors per sample (conv: H*W; fc: P patches)
//   Z  classes                 S  values per sample of a block output (C*H*W, or F for fc)
//   h  a block output, [N, C, H, W] (conv) or [N, F] (fc)
//   y  integer labels, [N] int64      x  the network's input image, [N, C_in, H_in, W_in]
#include <torch/torch.h>

namespace dcl {

// What a loss may compare a block output with.
struct Target {
  torch::Tensor labels;  // y
  torch::Tensor image;   // x (InfoPro's decoder reconstructs it); others ignore it
};

struct LossOutput {
  torch::Tensor loss;    // scalar
  torch::Tensor scores;  // [N, Z] layer-wise class scores computed on the way, or undefined
};

class LocalLoss : public torch::nn::Module {
 public:
  virtual LossOutput forward(const torch::Tensor& h, const Target& target) = 0;
  // Layer-wise class scores [N, Z] for evaluation, or undefined when the loss has none.
  virtual torch::Tensor scores(const torch::Tensor& /*h*/) { return {}; }
  // Whether forward reads target.image (a process pipeline sends the images only then).
  virtual bool reads_image() const { return false; }
};

// Cross-entropy of class scores: the classifier head's loss and BP's. scores(h) = h.
class CrossEntropyLoss : public LocalLoss {
 public:
  LossOutput forward(const torch::Tensor& logits, const Target& target) override;
  torch::Tensor scores(const torch::Tensor& logits) override { return logits; }
};

}  // namespace dcl
