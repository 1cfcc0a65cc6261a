#pragma once
// AdamW whose update is one pass over each parameter (CPU, float32, contiguous), instead of
// LibTorch's seven tensor operations and two temporaries per parameter; the optimiser step is a
// visible share of an fc step. Same state (AdamWParamState) and serialisation as torch::optim::AdamW,
// so checkpoints are interchangeable; anything else (CUDA, other dtypes, amsgrad) takes the base path.
//   p <- p (1 - lr wd);  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g²
//   p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
#include <torch/torch.h>

namespace dcl {

class FusedAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  torch::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace dcl
