#include "dcl/stages/readout.h"

#include "dcl/stages/schedule.h"

namespace dcl {

ChainReadout::ChainReadout(std::vector<std::shared_ptr<Stage>> stages) : stages_(std::move(stages)) {}

Prediction ChainReadout::predict(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  Prediction p;
  torch::Tensor h = x;
  for (auto& stage : stages_) {
    h = stage->forward(h);
    if (stage->kind() != StageKind::Block) {
      p.scores = h;
      break;
    }
    torch::Tensor s = stage->loss().scores(h);
    if (s.defined()) p.layer_scores.push_back(s);
  }
  p.scores = chain_prediction(p.scores, p.layer_scores);
  return p;
}

}  // namespace dcl
