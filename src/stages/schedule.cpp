#include "dcl/stages/schedule.h"

#include <cmath>

namespace dcl {

torch::Tensor mean_distribution(const std::vector<torch::Tensor>& layer_scores) {
  std::vector<torch::Tensor> log_probs;
  for (const auto& s : layer_scores) log_probs.push_back(torch::log_softmax(s, 1));
  return torch::logsumexp(torch::stack(log_probs), 0) - std::log(double(log_probs.size()));
}

torch::Tensor chain_prediction(const torch::Tensor& head_scores, const std::vector<torch::Tensor>& layer_scores) {
  if (head_scores.defined() || layer_scores.empty()) return head_scores;
  return mean_distribution(layer_scores);
}

SequentialSchedule::SequentialSchedule(std::vector<std::shared_ptr<Stage>> stages, InputEncoder encoder)
    : stages_(std::move(stages)), encoder_(std::move(encoder)) {}

StepResult SequentialSchedule::step(const torch::Tensor& x, const torch::Tensor& y) {
  StepResult r;
  Target target{y, x};
  // `h` is the only activation carried between stages; each stage detaches it on entry, and the
  // previous one is released when it is replaced.
  torch::Tensor h = encoder_ ? encoder_(x, y) : x;
  torch::Tensor head_scores;
  std::vector<torch::Tensor> layer_scores;
  double block_loss_sum = 0;
  for (auto& stage : stages_) {
    StageResult s = stage->update(h, target);
    if (stage->kind() == StageKind::Block) {
      r.block_losses.push_back(s.loss);
      block_loss_sum += s.loss;
      if (s.scores.defined()) layer_scores.push_back(s.scores);
    } else {
      r.train_loss = s.loss;
      head_scores = s.scores;
    }
    h = s.output;
  }
  if (!head_scores.defined()) r.train_loss = block_loss_sum / double(std::max<size_t>(1, r.block_losses.size()));
  torch::Tensor prediction = chain_prediction(head_scores, layer_scores);
  if (prediction.defined()) {
    r.has_accuracy = true;
    r.correct = prediction.argmax(1).eq(y).sum().item<int64_t>();
  }
  return r;
}

}  // namespace dcl
