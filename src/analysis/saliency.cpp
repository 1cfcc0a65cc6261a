#include "dcl/analysis/saliency.h"

namespace dcl::analysis {
namespace F = torch::nn::functional;

Saliency dictionary_saliency(DictionaryLoss& loss, const torch::Tensor& h) {
  torch::NoGradGuard no_grad;
  torch::Tensor c = loss.position_scores(h);  // [N, Z, K]
  torch::Tensor s = c.mean(2);                // [N, Z]: the block's scores
  auto [top_scores, top_labels] = s.topk(2, 1);
  Saliency r;
  r.labels = top_labels;
  r.scores = top_scores;
  r.probabilities = s.softmax(1).gather(1, top_labels);
  torch::Tensor maps = c.gather(1, top_labels.unsqueeze(2).expand({-1, -1, c.size(2)}));  // [N, 2, K]
  r.maps = h.dim() == 4 ? maps.view({h.size(0), 2, h.size(2), h.size(3)}) : maps;
  return r;
}

torch::Tensor display_maps(const torch::Tensor& maps, int height, int width) {
  torch::Tensor up = F::interpolate(maps, F::InterpolateFuncOptions()
                                              .size(std::vector<int64_t>{height, width})
                                              .mode(torch::kBilinear)
                                              .align_corners(false));
  torch::Tensor flat = up.flatten(2);
  torch::Tensor lo = std::get<0>(flat.min(2, true)), hi = std::get<0>(flat.max(2, true));
  torch::Tensor range = hi - lo;
  return ((flat - lo) / range.clamp_min(1e-12) * (range > 0)).view_as(up);
}

}  // namespace dcl::analysis
