#include "dcl/losses/similarity_matching.h"

namespace dcl {
namespace F = torch::nn::functional;

torch::Tensor spatial_std(const torch::Tensor& h) {
  TORCH_CHECK(h.dim() == 4, "spatial_std expects [N, C, H, W], got ", h.sizes());
  return h.flatten(2).std(2);
}

torch::Tensor similarity_matrix(const torch::Tensor& x) {
  // The reference takes the std only where it is meaningful: several positions, more than RGB.
  bool use_std = x.dim() == 4 && x.size(1) > 3 && x.size(2) > 1;
  torch::Tensor v = use_std ? spatial_std(x) : x.flatten(1);
  torch::Tensor centred = v - v.mean(1, true);
  torch::Tensor unit = centred / (centred.norm(2, 1, true) + 1e-8);
  return torch::matmul(unit, unit.t()).clamp(-1, 1);
}

torch::Tensor similarity_matching_loss(const torch::Tensor& h, const torch::Tensor& y, int classes) {
  // The label side carries no parameters: its matrix is a constant target.
  torch::Tensor target = similarity_matrix(F::one_hot(y, classes).to(h.scalar_type()));
  return F::mse_loss(similarity_matrix(h), target);
}

}  // namespace dcl
