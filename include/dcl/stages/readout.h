#pragma once
// A readout is a method's prediction rule: the class scores behind the reported test accuracy,
// and the layer-wise scores of every stage that has them (evaluation mode, no gradient).
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "dcl/stages/stage.h"

namespace dcl {

struct Prediction {
  torch::Tensor scores;                     // [N, Z]
  std::vector<torch::Tensor> layer_scores;  // [N, Z] per Block stage whose loss scores
};

class Readout {
 public:
  virtual ~Readout() = default;
  virtual Prediction predict(const torch::Tensor& x) = 0;
};

// The chain of Block stages on x; the scores are the Head (or Network) stage's on the last output,
// or, without one, the mean of the layer-wise distributions (chain_prediction, as in training).
class ChainReadout : public Readout {
 public:
  explicit ChainReadout(std::vector<std::shared_ptr<Stage>> stages);
  Prediction predict(const torch::Tensor& x) override;

 private:
  std::vector<std::shared_ptr<Stage>> stages_;
};

}  // namespace dcl
