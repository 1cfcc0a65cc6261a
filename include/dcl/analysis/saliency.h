#pragma once
// Saliency of a dictionary method (spec section 6, Figure 5): for block l, the map
//   k -> <h_k, pool_l(t_z)>   over positions k (fc: patches)
// for the top-1 and top-2 labels z of the block's own scores s = mean_k of the map
// (DictionaryLoss::position_scores; with cos similarity both vectors are unit-length and / T).
#include <torch/torch.h>

#include "dcl/losses/dictionary_loss.h"

namespace dcl::analysis {

struct Saliency {
  torch::Tensor maps;           // [N, 2, H, W] (conv) or [N, 2, P] (fc): top-1 and top-2 label's maps
  torch::Tensor labels;         // [N, 2] int64: the top-1 and top-2 labels by s
  torch::Tensor scores;         // [N, 2]: their s_{n,z}
  torch::Tensor probabilities;  // [N, 2]: their softmax(s_n)
};

// h: the block's output [N, C, H, W] or [N, P*C].
Saliency dictionary_saliency(DictionaryLoss& loss, const torch::Tensor& h);

// Conv maps [N, 2, H, W] resized bilinearly to the input's height x width, then each map scaled
// to [0, 1] (its minimum to 0, its maximum to 1; a constant map to 0) for display.
torch::Tensor display_maps(const torch::Tensor& maps, int height, int width);

}  // namespace dcl::analysis
