#include "dcl/stages/schedule.h"

#include <cmath>

namespace dcl {

template <>
const std::vector<std::string>& names_of<ScheduleKind>() {
  static const std::vector<std::string> names = {"sequential", "pipeline"};
  return names;
}

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

void StepAccumulator::add(const Stage& stage, const StageResult& s) {
  if (stage.kind() == StageKind::Block) {
    r_.block_losses.push_back(s.loss);
    block_loss_sum_ += s.loss;
    if (s.scores.defined()) layer_scores_.push_back(s.scores);
  } else {
    r_.train_loss = s.loss;
    head_scores_ = s.scores;
  }
}

void StepAccumulator::continue_from(const std::vector<double>& block_losses,
                                    const std::vector<torch::Tensor>& layer_scores) {
  for (double l : block_losses) {
    r_.block_losses.push_back(l);
    block_loss_sum_ += l;
  }
  layer_scores_.insert(layer_scores_.end(), layer_scores.begin(), layer_scores.end());
}

StepResult StepAccumulator::finish(const torch::Tensor& y) {
  StepResult r = std::move(r_);
  if (!head_scores_.defined()) r.train_loss = block_loss_sum_ / double(std::max<size_t>(1, r.block_losses.size()));
  torch::Tensor prediction = chain_prediction(head_scores_, layer_scores_);
  if (prediction.defined()) {
    r.has_accuracy = true;
    r.correct = prediction.argmax(1).eq(y).sum().item<int64_t>();
  }
  r.samples = y.size(0);
  return r;
}

bool SequentialSchedule::set_gradient_exchange(std::shared_ptr<GradientExchange> exchange) {
  exchange_ = std::move(exchange);
  return true;
}

StepResult SequentialSchedule::step(const torch::Tensor& x, const torch::Tensor& y) {
  StepAccumulator acc;
  Target target{y, x};
  // `h` is the only activation carried between stages; each stage detaches it on entry, and the
  // previous one is released when it is replaced.
  torch::Tensor h = encoder_ ? encoder_(x, y) : x;
  if (!exchange_) {
    for (auto& stage : stages_) {
      StageResult s = stage->update(h, target);
      acc.add(*stage, s);
      h = s.output;
    }
    return acc.finish(y);
  }
  // Data-parallel: the previous stage's gradients travel while this stage computes.
  Stage* pending = nullptr;
  auto finish_pending = [&] {
    if (!pending) return;
    exchange_->finish(*pending);
    pending->apply();
    pending = nullptr;
  };
  for (auto& stage : stages_) {
    StageResult s = stage->compute(h, target, [&] {
      if (pending && !pending->shared_state().empty()) finish_pending();
    });
    finish_pending();
    exchange_->start(*stage);
    pending = stage.get();
    acc.add(*stage, s);
    h = s.output;
  }
  finish_pending();
  return acc.finish(y);
}

}  // namespace dcl
