#include "dcl/stages/stage.h"

#include <cmath>
#include <stdexcept>

namespace dcl {

namespace {

Stage::Observer& observer() {
  static Stage::Observer o;
  return o;
}

}  // namespace

void check_finite(double loss, const std::string& where) {
  if (!std::isfinite(loss))
    throw std::runtime_error("loss of " + where + " is " + std::to_string(loss) +
                             ": training diverged (try a lower --lr); the last checkpoint is kept as it was");
}

const char* name_of(StagePhase phase) {
  switch (phase) {
    case StagePhase::Forward: return "forward";
    case StagePhase::Loss: return "loss";
    case StagePhase::Backward: return "backward";
    case StagePhase::Step: return "step";
    case StagePhase::Done: return "done";
  }
  return "?";
}

static void notify(const Stage& stage, StagePhase phase) {
  if (observer()) observer()(stage, phase);
}

void Stage::set_observer(Observer o) { observer() = std::move(o); }

Stage::Stage(std::string name, StageKind kind, StageBlock block, std::shared_ptr<LocalLoss> loss, bool frozen)
    : name_(std::move(name)), kind_(kind), block_(std::move(block)), loss_(std::move(loss)), frozen_(frozen) {
  if (frozen_) block_.module->eval();
}

torch::Tensor Stage::forward(const torch::Tensor& input) {
  // A frozen block is a fixed function: no graph is recorded through it.
  torch::AutoGradMode grad(torch::GradMode::is_enabled() && !frozen_);
  if (amp_ == Amp::None) return block_.forward(input);
  torch::Tensor output;
  {
    AutocastScope autocast(amp_, amp_device_);
    output = block_.forward(input);
  }
  return output.to(torch::kFloat);  // the loss, and the next stage's input, in float32
}

StageResult Stage::update(const torch::Tensor& input, const Target& target) {
  if (shared_lock_) return update_sharing(input, target);
  StageResult r = compute(input, target);
  apply();
  return r;
}

StageResult Stage::update_sharing(const torch::Tensor& input, const Target& target) {
  // The block alone touches no shared state; the loss reads it, so it runs under the lock.
  std::unique_lock<std::mutex> shared(*shared_lock_, std::defer_lock);
  Loss l = forward_loss(input, target, [&shared] { shared.lock(); });
  // Under the lock, the backward through the loss only: the gradients of the loss's and the shared
  // tensors, and the one the block's output receives. The block's own backward (most of the work)
  // then runs outside it, concurrently with the other stages.
  std::vector<torch::Tensor> sides, inputs;
  for (auto& t : loss_->parameters())
    if (t.requires_grad()) sides.push_back(t);
  for (auto& t : shared_)
    if (t.requires_grad()) sides.push_back(t);
  bool block_learns = l.output.requires_grad();
  if (block_learns) inputs.push_back(l.output);
  inputs.insert(inputs.end(), sides.begin(), sides.end());
  std::vector<torch::Tensor> grads =
      torch::autograd::grad({l.out.loss}, inputs, {}, /*retain_graph=*/false, /*create_graph=*/false,
                            /*allow_unused=*/true);
  shared.unlock();
  if (block_learns && grads[0].defined()) l.output.backward(grads[0]);
  StageResult r = l.result();
  // The step writes the shared state: under the lock again. The shared tensors' gradient slots are
  // shared too, so this stage's gradients enter them only now, and the step releases them.
  shared.lock();
  size_t first_side = block_learns ? 1 : 0;
  for (size_t i = 0; i < sides.size(); ++i)
    if (grads[first_side + i].defined()) sides[i].mutable_grad() = grads[first_side + i].contiguous();
  apply();
  return r;
}

Stage::Loss Stage::forward_loss(const torch::Tensor& input, const Target& target,
                                const std::function<void()>& before_loss) {
  // The detached input is the stage boundary: no gradient leaves the stage, and the block
  // computes no gradient for its input.
  notify(*this, StagePhase::Forward);
  Loss l;
  l.output = forward(input.detach());
  if (before_loss) before_loss();
  notify(*this, StagePhase::Loss);
  l.out = loss_->forward(l.output, target);
  l.value = l.out.loss.item<double>();
  check_finite(l.value, "stage " + name_);
  notify(*this, StagePhase::Backward);
  optimizer_->zero_grad();
  return l;
}

StageResult Stage::Loss::result() const {
  StageResult r;
  r.loss = value;
  r.output = output.detach();
  if (out.scores.defined()) r.scores = out.scores.detach();
  return r;
}

StageResult Stage::compute(const torch::Tensor& input, const Target& target, const std::function<void()>& before_loss) {
  if (micro_batches_ > 1 && input.size(0) > 1) return compute_in_micro_batches(input, target, before_loss);
  Loss l = forward_loss(input, target, before_loss);
  l.out.loss.backward();  // frees this stage's graph
  return l.result();
}

StageResult Stage::compute_in_micro_batches(const torch::Tensor& input, const Target& target,
                                            const std::function<void()>& before_loss) {
  const int64_t n = input.size(0), parts = std::min<int64_t>(micro_batches_, n);
  std::vector<torch::Tensor> outputs, scores;
  double loss = 0;
  int64_t start = 0;
  for (int64_t i = 0; i < parts; ++i) {
    const int64_t size = n / parts + (i < n % parts ? 1 : 0);
    auto slice = [&](const torch::Tensor& t) { return t.defined() ? t.narrow(0, start, size) : t; };
    Target part{slice(target.labels), slice(target.image)};
    if (i == 0) {
      notify(*this, StagePhase::Forward);
      optimizer_->zero_grad();
    }
    torch::Tensor output = forward(slice(input).detach());
    if (i == 0 && before_loss) before_loss();
    if (i == 0) notify(*this, StagePhase::Loss);
    LossOutput out = loss_->forward(output, part);
    const double share = double(size) / double(n), value = out.loss.item<double>();
    check_finite(value, "stage " + name_);
    if (i == 0) notify(*this, StagePhase::Backward);
    (out.loss * share).backward();
    loss += value * share;
    outputs.push_back(output.detach());
    if (out.scores.defined()) scores.push_back(out.scores.detach());
    start += size;
  }
  StageResult r;
  r.loss = loss;
  r.output = torch::cat(outputs);
  if (scores.size() == size_t(parts)) r.scores = torch::cat(scores);
  return r;
}

void Stage::apply() {
  notify(*this, StagePhase::Step);
  if (gradient_hook_) gradient_hook_(*this);
  optimizer_->step();
  // The gradients are dead once the optimiser has stepped: dropping them keeps one stage's
  // gradients alive at a time (BP's one stage needs all of them at once anyway).
  for (auto& group : optimizer_->param_groups())
    for (auto& p : group.params()) p.mutable_grad().reset();
  notify(*this, StagePhase::Done);
}

std::vector<torch::Tensor> Stage::parameters() {
  std::vector<torch::Tensor> p = frozen_ ? std::vector<torch::Tensor>{} : block_.module->parameters();
  for (auto& t : loss_->parameters()) p.push_back(t);
  for (auto& t : shared_) p.push_back(t);
  return p;
}

void Stage::set_optimizer(std::shared_ptr<torch::optim::Optimizer> optimizer) { optimizer_ = std::move(optimizer); }

void Stage::add_shared(const std::string& name, const std::vector<torch::Tensor>& parameters) {
  shared_names_.push_back(name);
  for (auto& t : parameters) shared_.push_back(t);
}

void Stage::train(bool on) {
  block_.module->train(on && !frozen_);
  loss_->train(on);
}

void Stage::set_lr(double lr) {
  for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
}

}  // namespace dcl
