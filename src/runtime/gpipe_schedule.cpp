#include "dcl/runtime/gpipe_schedule.h"

#include <sstream>
#include <stdexcept>
#include <type_traits>

#include "dcl/stages/pipeline_schedule.h"
#include "dcl/util/clock.h"

namespace dcl {

namespace {

// Micro-batch m of step t, forward (activation) or backward (gradient).
int micro_batch_tag(int64_t step, int m, bool backward) {
  return int((((step % (int64_t(1) << 16)) * 1024 + m) * 2) + (backward ? 1 : 0));
}

std::vector<int64_t> with_batch(int64_t n, const std::vector<int64_t>& sample) {
  std::vector<int64_t> sizes{n};
  sizes.insert(sizes.end(), sample.begin(), sample.end());
  return sizes;
}

}  // namespace

GPipeSchedule::GPipeSchedule(Network net, std::shared_ptr<Stage> stage, std::shared_ptr<ProcessGroup> group,
                             int micro_batches)
    : net_(std::move(net)),
      stage_(std::move(stage)),
      group_(std::move(group)),
      micro_batches_(micro_batches),
      rank_(group_->rank()),
      ranks_(group_->world_size()) {
  if (micro_batches_ < 1 || micro_batches_ > 1024)
    throw std::invalid_argument("--micro-batches must be in [1, 1024], not " + std::to_string(micro_batches_));
  if (size_t(ranks_) > net_->blocks.size())
    throw std::invalid_argument("a GPipe pipeline of " + std::to_string(ranks_) + " processes needs at least as " +
                                "many blocks; this network has " + std::to_string(net_->blocks.size()));
}

void GPipeSchedule::reset_timeline() {
  time_ = ProcessPipelineTime{};
  if (!parts_.empty()) time_.group.stages = stages_by_rank()[size_t(rank_)];
}

std::vector<std::vector<std::string>> GPipeSchedule::stages_by_rank() const {
  std::vector<std::vector<std::string>> out;
  for (size_t g = 0; g < parts_.size(); ++g) {
    std::vector<std::string> names;
    for (size_t i : parts_[g]) names.push_back("block" + std::to_string(i));
    if (g + 1 == parts_.size()) names.push_back("head");
    out.push_back(names);
  }
  return out;
}

StepResult GPipeSchedule::split_by_first_batch(const torch::Tensor& x, const torch::Tensor& y) {
  // The first batch: one ordinary BP step on every rank alike, then each block's forward timed.
  StageResult r = stage_->update(x, Target{y, x});
  std::vector<double> costs;
  {
    torch::NoGradGuard no_grad;
    torch::Tensor h = x;
    for (size_t i = 0; i < net_->blocks.size(); ++i) {
      auto t0 = Clock::now();
      h = net_->blocks[i]->forward(h);
      if (i + 1 == net_->blocks.size()) net_->head->forward(h);
      costs.push_back(seconds_since(t0));
      boundary_shapes_.push_back(h.sizes().slice(1).vec());
    }
  }
  if (rank_ != 0) costs.assign(costs.size(), 0.0);
  costs = with_peer_diagnosis(*group_, "GPipe's split", [&] { return group_->all_reduce_sum(costs); });
  parts_ = balanced_split(costs, ranks_);
  time_.group.stages = stages_by_rank()[size_t(rank_)];
  StepResult out;
  out.train_loss = r.loss;
  if (r.scores.defined()) {
    out.has_accuracy = true;
    out.correct = r.scores.argmax(1).eq(y).sum().item<int64_t>();
  }
  out.samples = y.size(0);
  return out;
}

torch::Tensor GPipeSchedule::forward_part(torch::Tensor h) {
  for (size_t i : parts_[size_t(rank_)]) h = net_->blocks[i]->forward(h);
  if (rank_ + 1 == ranks_) h = net_->head->forward(h);
  return h;
}

StepResult GPipeSchedule::step(const torch::Tensor& x, const torch::Tensor& y) {
  if (parts_.empty()) return split_by_first_batch(x, y);
  const bool first = rank_ == 0, last = rank_ + 1 == ranks_;
  const int64_t t = step_++;
  const int64_t n = y.size(0);
  std::vector<torch::Tensor> xs = x.tensor_split(micro_batches_), ys = y.tensor_split(micro_batches_);
  const std::vector<int64_t> in_shape =
      first ? std::vector<int64_t>{} : boundary_shapes_[parts_[size_t(rank_)].front() - 1];
  std::vector<torch::Tensor> ins, outs, losses, scores;
  stage_->optimizer().zero_grad();
  auto t0 = Clock::now();
  double waited = 0;
  auto receive = [&](torch::Tensor& into, int from, int tag, const std::string& what) {
    auto w0 = Clock::now();
    with_peer_diagnosis(*group_, "GPipe: receiving " + what + " from rank " + std::to_string(from),
                        [&] { group_->recv(into, from, tag); });
    waited += seconds_since(w0);
  };
  auto send = [&](const torch::Tensor& what, int to, int tag) {
    sends_.push_back(group_->send_async(what, to, tag));
    time_.bytes_sent += what.numel() * int64_t(what.element_size());
  };
  // Every micro-batch's forward, then every micro-batch's backward.
  for (int m = 0; m < micro_batches_; ++m) {
    torch::Tensor in = xs[size_t(m)];
    if (!first) {
      in = torch::empty(with_batch(xs[size_t(m)].size(0), in_shape), x.options());
      receive(in, rank_ - 1, micro_batch_tag(t, m, false), "an activation");
      in.requires_grad_(true);
    }
    torch::Tensor out = forward_part(in);
    if (last) {
      LossOutput lo = stage_->loss().forward(out, Target{ys[size_t(m)], xs[size_t(m)]});
      losses.push_back(lo.loss * (double(ys[size_t(m)].size(0)) / double(n)));
      scores.push_back(lo.scores.defined() ? lo.scores.detach() : out.detach());
    } else {
      send(out.detach(), rank_ + 1, micro_batch_tag(t, m, false));
    }
    ins.push_back(in);
    outs.push_back(out);
  }
  for (int m = 0; m < micro_batches_; ++m) {
    if (last) {
      losses[size_t(m)].backward();
    } else {
      torch::Tensor grad = torch::empty_like(outs[size_t(m)]);
      receive(grad, rank_ + 1, micro_batch_tag(t, m, true), "a gradient");
      outs[size_t(m)].backward(grad);
    }
    if (!first) send(ins[size_t(m)].grad(), rank_ - 1, micro_batch_tag(t, m, true));
  }
  stage_->optimizer().step();
  auto s0 = Clock::now();
  for (auto& pending : sends_) with_peer_diagnosis(*group_, "GPipe: a send", [&] { pending->wait(); });
  sends_.clear();
  const double send_wait = seconds_since(s0);
  time_.group.output_wait_seconds += send_wait;
  time_.group.input_wait_seconds += waited;
  time_.group.compute_seconds += seconds_since(t0) - waited - send_wait;
  ++time_.group.batches;
  StepResult r;
  if (!last) return r;  // summed over the ranks: only the last rank's result counts
  double loss = 0;
  for (auto& l : losses) loss += l.item<double>();
  r.train_loss = loss;
  r.has_accuracy = true;
  r.correct = torch::cat(scores).argmax(1).eq(y).sum().item<int64_t>();
  r.samples = n;
  return r;
}

std::vector<StepResult> GPipeSchedule::push(const torch::Tensor& x, const torch::Tensor& y) {
  const bool counted = !parts_.empty();
  StepResult r = step(x, y);
  if (!counted && rank_ + 1 != ranks_) r = StepResult{};  // the first batch ran on every rank alike
  return {r};
}

namespace {

// A parameter's key in the optimiser's state map: a string of its address in LibTorch 1.x, the
// address itself in 2.x.
template <typename Map>
typename Map::key_type state_key(const Map&, const torch::Tensor& p) {
  if constexpr (std::is_same_v<typename Map::key_type, std::string>) {
    std::ostringstream out;
    out << static_cast<const void*>(p.unsafeGetTensorImpl());
    return out.str();
  } else {
    return static_cast<typename Map::key_type>(p.unsafeGetTensorImpl());
  }
}

}  // namespace

void GPipeSchedule::synchronize_model() {
  for (auto& pending : sends_) pending->wait();
  sends_.clear();
  if (parts_.empty()) return;  // no batch yet: every rank holds the same model
  torch::NoGradGuard no_grad;
  torch::optim::Optimizer& optimizer = stage_->optimizer();
  // Every rank's optimiser holds the current state of its own part only: the state is merged part
  // by part, each from the rank that trains it.
  std::remove_reference_t<decltype(optimizer.state())> merged;
  // This rank's own state, serialised before any other rank's is loaded over it.
  std::string mine;
  {
    torch::serialize::OutputArchive archive;
    optimizer.save(archive);
    std::ostringstream out;
    archive.save_to(out);
    mine = out.str();
  }
  for (int g = 0; g < ranks_; ++g) {
    std::vector<torch::Tensor> tensors, parameters;
    std::vector<torch::nn::Module*> modules;
    for (size_t i : parts_[size_t(g)]) modules.push_back(net_->blocks[i].get());
    if (g + 1 == ranks_) modules.push_back(net_->head.get());
    for (torch::nn::Module* m : modules) {
      for (auto& t : m->parameters()) parameters.push_back(t);
      for (auto& t : m->buffers()) tensors.push_back(t);
    }
    tensors.insert(tensors.end(), parameters.begin(), parameters.end());
    std::string bytes = rank_ == g ? mine : std::string();
    std::vector<torch::Tensor> size{torch::tensor({int64_t(bytes.size())}, torch::kInt64)};
    const std::string during = "GPipe: the model's synchronisation (part " + std::to_string(g) + ")";
    with_peer_diagnosis(*group_, during, [&] {
      group_->broadcast(tensors, g);
      group_->broadcast(size, g);
    });
    std::vector<torch::Tensor> state{
        rank_ == g ? torch::from_blob(bytes.data(), {int64_t(bytes.size())}, torch::kUInt8).clone()
                   : torch::empty({size.front().item<int64_t>()}, torch::kUInt8)};
    with_peer_diagnosis(*group_, during, [&] { group_->broadcast(state, g); });
    // Part g's state as rank g has it (this rank's own as well: its archive is loaded back).
    torch::serialize::InputArchive archive;
    archive.load_from(reinterpret_cast<const char*>(state.front().data_ptr<uint8_t>()), size_t(state.front().numel()));
    optimizer.load(archive);
    for (auto& p : parameters) {
      auto it = optimizer.state().find(state_key(optimizer.state(), p));
      if (it != optimizer.state().end()) merged[it->first] = it->second->clone();
    }
  }
  optimizer.state() = std::move(merged);
}

GPipeSchedule& use_gpipe(Model& model, std::shared_ptr<ProcessGroup> group, int micro_batches) {
  if (model.stages.size() != 1 || model.stages.front()->kind() != StageKind::Network)
    throw std::logic_error("GPipe runs a model of one Network stage (BP)");
  auto gpipe = std::make_unique<GPipeSchedule>(model.net, model.stages.front(), std::move(group), micro_batches);
  GPipeSchedule& ref = *gpipe;
  model.schedule = std::move(gpipe);
  return ref;
}

}  // namespace dcl
