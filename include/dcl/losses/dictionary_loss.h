#pragma once
// DCL's dictionary loss (spec section 1), one module per block over one shared dictionary.
//
//   D = {t_1..t_Z}, t_z in R^CD (Dictionary: [Z, CD]; a parameter for DCL, a buffer for DCL-S)
//   v_{n,k}: block output h as K local vectors of C dims (conv: K = H*W positions; fc: P patches)
//   h̄_n = (1/K) Σ_k v_{n,k};   s_{n,z} = <h̄_n, map_l(t_z)>;   L_dict = CE(s_n, y_n), batch mean
// map_l: CD -> C is 1-D adaptive average pooling (PyTorch's bins [floor(iL/C), ceil((i+1)L/C)))
// or a learned bias-free linear map (owned by block l's loss). With similarity cos (the
// reference code's order):  s_{n,z} = (1/K) Σ_k <v_{n,k}/|v_{n,k}|, map_l(t_z/|t_z|)> / T.
#include <memory>

#include <torch/torch.h>

#include "dcl/losses/dictionary_choices.h"
#include "dcl/losses/local_loss.h"
#include "dcl/nn/network.h"

namespace dcl {

struct DictionaryOptions {
  int classes = 10;
  int dim = 0;  // CD
  DictInit init = DictInit::Normal;
  double orthogonal_scale = 1;  // rows of the orthogonal matrix times this
  bool adaptive = true;         // false = DCL-S: the dictionary never changes
};

// The label embeddings D: shared by every block's loss.
class DictionaryImpl : public torch::nn::Module {
 public:
  explicit DictionaryImpl(const DictionaryOptions& options);
  torch::Tensor embeddings;  // [Z, CD]
  bool adaptive;
};
TORCH_MODULE(Dictionary);

// The formulas above on plain tensors (the class below and the PyTorch operators use these).
// map_l(t) for a block of C channels: `linear_weight` [C, CD] for the learned map, undefined for
// pooling; with cos, t is made unit-length first.
torch::Tensor map_dictionary(const torch::Tensor& t, int64_t channels, bool cos, const torch::Tensor& linear_weight);
// s [N, Z] of h ([N, C, H, W], or [N, P*C] with P = patches) against a mapped dictionary [Z, C].
torch::Tensor dictionary_scores(const torch::Tensor& h, const torch::Tensor& mapped, int64_t patches, bool cos,
                                double temperature);

struct DictionaryLossOptions {
  BlockShape shape;  // how the block's output splits into K vectors of C dims
  DictMap map = DictMap::Pool;
  Similarity similarity = Similarity::Dot;
  double temperature = 0.07;  // cos only
};

class DictionaryLoss : public LocalLoss {
 public:
  DictionaryLoss(Dictionary dictionary, const DictionaryLossOptions& options);
  LossOutput forward(const torch::Tensor& h, const Target& target) override;  // h: [N,C,H,W] or [N,P*C]
  torch::Tensor scores(const torch::Tensor& h) override;                      // s: [N, Z]
  // Each local vector's share of the scores, c: [N, Z, K] with s = mean_k c (conv: k = i*W + j
  // over positions; fc: patches): c_{n,z,k} = <v_{n,k}, map_l(t_z)> (cos: both unit-length, / T).
  // The saliency maps of spec section 6 (Figure 5).
  torch::Tensor position_scores(const torch::Tensor& h);
  // This block's view of the dictionary, map_l(t): [Z, C].
  torch::Tensor mapped_dictionary();

 private:
  Dictionary dictionary_;  // shared, not registered: the model holds it once
  DictionaryLossOptions options_;
  torch::nn::Linear map_{nullptr};  // DictMap::Linear only
};

}  // namespace dcl
