#pragma once
// InfoPro's local losses (Wang et al. 2021, "Revisiting locally supervised learning"), the LL-cont
// and LL-contrec rows of spec section 5, one auxiliary network per block.
//
//   LL-cont:    L = L_SupCon(f_phi(h), y)              (supcon_loss.h, T = 0.07, 128-d output)
//   LL-contrec: L = L_SupCon(f_phi(h), y) + lambda * MSE(g_psi(h), x)   (x: the input image)
//
// f_phi, InfoPro's "1c2f" head as it is sized for its widest (64-channel) stages, which keep the
// width: conv3x3(C -> C, no bias) + BN + ReLU + global average pool + linear(C -> 128) + ReLU +
// linear(128 -> 128); fc blocks: linear(F -> 128) + ReLU + linear(128 -> 128) (its "0c2f").
// g_psi, InfoPro's decoder: bilinear upsampling (align_corners) of h to the image size, then
// conv3x3(C -> 12) + BN + ReLU + conv3x3(12 -> image channels). InfoPro ends with a sigmoid and a
// BCE against the [0, 1] image; our images are mean/std normalised, so the decoder is linear and
// the loss an MSE. fc blocks have no spatial map to upsample and get no decoder (contrast only).
// lambda defaults to 5: InfoPro's CIFAR-10 setting for two modules (ixx = 5 for the
// reconstruction against ixy = 1 for the contrast; for more modules it interpolates both
// linearly over depth, which we leave out). The image comes in Target::image.
#include <vector>

#include <torch/torch.h>

#include "dcl/losses/local_loss.h"

namespace dcl {

struct InfoProOptions {
  int feature_dim = 128;
  double temperature = 0.07;
  bool reconstruct = false;   // LL-contrec
  double recon_weight = 5.0;  // lambda
  int image_channels = 1;     // what the decoder reconstructs
};

class InfoProLoss : public LocalLoss {
 public:
  // output_size: the block's output for one sample, [C, H, W] or [F].
  InfoProLoss(const InfoProOptions& options, const std::vector<int64_t>& output_size);

  LossOutput forward(const torch::Tensor& h, const Target& target) override;
  bool reads_image() const override { return !decoder.is_empty(); }  // the decoder reconstructs it

  torch::Tensor contrast_loss(const torch::Tensor& h, const torch::Tensor& y);
  // Undefined when this block has no decoder.
  torch::Tensor reconstruction_loss(const torch::Tensor& h, const torch::Tensor& image);

  torch::nn::Sequential head{nullptr};
  torch::nn::Sequential decoder{nullptr};  // null for fc blocks and for LL-cont

 private:
  InfoProOptions options_;
};

}  // namespace dcl
