#include "dcl/losses/supcon_loss.h"

namespace dcl {
namespace F = torch::nn::functional;

torch::Tensor supcon_loss(const torch::Tensor& features, const torch::Tensor& labels, double temperature) {
  TORCH_CHECK(features.dim() == 2 && labels.dim() == 1 && features.size(0) == labels.size(0),
              "supcon_loss expects features [N, D] and labels [N], got ", features.sizes(), " and ", labels.sizes());
  int64_t n = features.size(0);
  torch::Tensor z = F::normalize(features, F::NormalizeFuncOptions().dim(1));
  torch::Tensor s = torch::matmul(z, z.t()) / temperature;
  torch::Tensor self = torch::eye(n, torch::TensorOptions().dtype(torch::kBool).device(s.device()));
  // Denominator over A(i): every other sample, never the anchor itself.
  torch::Tensor log_prob = s - torch::logsumexp(s.masked_fill(self, -INFINITY), 1, true);
  torch::Tensor positive =
      labels.unsqueeze(0).eq(labels.unsqueeze(1)).logical_and(self.logical_not()).to(s.scalar_type());
  torch::Tensor count = positive.sum(1).clamp_min(1);
  return (-(positive * log_prob).sum(1) / count).mean();
}

}  // namespace dcl
