#pragma once
// DCL's dictionary objective (spec section 1).
//
//   D = {t_1..t_Z}, t_z in R^CD;  h̄_n = (1/K) sum_k h_{n,k};  s_{n,z} = <h̄_n, map_l(t_z)>
//   L_dict = CE(s_n, y_n), batch mean,
// where map_l is 1-D adaptive average pooling CD -> C_l (PyTorch's bins: [floor(iL/C),
// ceil((i+1)L/C))) or a learned linear map. With similarity "cos" (the reference code's order):
//   s_{n,z} = (1/K) sum_k <h_{n,k}/|h_{n,k}|, map_l(t_z/|t_z|)> / T.
#include <string>
#include <vector>

#include <torch/torch.h>

#include "dcl/core/objective.h"

namespace dcl {

struct DictionaryOptions {
  int classes = 10;
  int dim = 0;                      // CD
  std::string init = "normal";      // normal | orthogonal
  double orthogonal_scale = 1.0;    // rows of the orthogonal matrix times this
  std::string map = "pool";         // pool | linear
  std::string similarity = "dot";   // dot | cos
  double temperature = 0.07;
  bool adaptive = true;             // false = DCL-S: the dictionary never changes
};

class DictionaryObjective : public LocalObjective {
 public:
  DictionaryObjective(const DictionaryOptions& options, const std::vector<BlockShape>& shapes);

  torch::Tensor loss(int block, const torch::Tensor& h, const torch::Tensor& y) override;
  torch::Tensor scores(int block, const torch::Tensor& h) override;
  std::vector<torch::Tensor> shared_parameters() override;
  std::vector<torch::Tensor> block_parameters(int block) override;

  // Block `block`'s view of the dictionary: [Z, C_l].
  torch::Tensor mapped_dictionary(int block);
  torch::Tensor dictionary;  // [Z, CD]

 private:
  DictionaryOptions options_;
  std::vector<BlockShape> shapes_;
  std::vector<torch::nn::Linear> maps_;  // dict_map == linear only
};

// Spec section 1's orthogonal scale for an arch: sqrt(16.52) (256-wide conv), sqrt(23.12)
// (512-wide nets), sqrt(CD) for fc.
double reference_orthogonal_scale(const std::string& arch, int dict_dim);

}  // namespace dcl
