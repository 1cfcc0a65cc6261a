#include "dcl/runtime/process_pipeline.h"

#include <set>
#include <sstream>
#include <stdexcept>

#include "dcl/methods/method.h"
#include "dcl/util/clock.h"

namespace dcl {

namespace {

// The messages of batch t between two ranks, matched by tag: t (modulo 2^24) and the part.
enum Part { kHeader, kActivation, kImages, kLabels, kBlockLosses, kLayerScores, kDictionary, kReturnedDictionary };
int message_tag(int64_t t, Part part) { return int((t % (int64_t(1) << 24)) * 8 + int(part)); }

// The header: the batch size (0 = the sender has drained), then the shapes and dtypes of what follows.
constexpr int64_t kHeaderSize = 24, kMaxDims = 8;
enum HeaderField {
  kBatch = 0,
  kActivationDims = 1,  // then kMaxDims sizes from 2
  kActivationType = 10,
  kImageDims = 11,  // then up to 6 sizes from 12
  kImageType = 18,
  kScoreCount = 19,  // layer-score tensors so far, each [N, kScoreWidth]
  kScoreWidth = 20,
  kScoreType = 21,
  kBlockLossCount = 22,
  kImagesSent = 23  // 1: the images follow (a later rank's loss reads them)
};

void describe_in_header(torch::Tensor& header, int64_t dims_at, int64_t type_at, const torch::Tensor& t,
                        int64_t max_dims) {
  if (t.dim() > max_dims)
    throw std::invalid_argument("process pipeline: a tensor of " + std::to_string(t.dim()) +
                                " dimensions cannot be sent (at most " + std::to_string(max_dims) + ")");
  auto h = header.accessor<int64_t, 1>();
  h[dims_at] = t.dim();
  for (int64_t d = 0; d < t.dim(); ++d) h[dims_at + 1 + d] = t.size(d);
  h[type_at] = int64_t(t.scalar_type());
}

torch::Tensor allocate_from_header(const torch::Tensor& header, int64_t dims_at, int64_t type_at,
                                   const torch::Device& device) {
  auto h = header.accessor<int64_t, 1>();
  std::vector<int64_t> sizes;
  for (int64_t d = 0; d < h[dims_at]; ++d) sizes.push_back(h[dims_at + 1 + d]);
  return torch::empty(sizes, torch::TensorOptions().dtype(c10::ScalarType(h[type_at])).device(device));
}

int64_t message_bytes(const torch::Tensor& t) { return t.numel() * int64_t(t.element_size()); }

// The tensors a stage's optimiser updates or its forward keeps (BatchNorm's statistics), without
// the shared state: each once, in a fixed order.
std::vector<torch::Tensor> stage_tensors(Stage& stage, const std::vector<torch::Tensor>& shared) {
  std::set<const void*> seen;
  for (const auto& t : shared) seen.insert(t.unsafeGetTensorImpl());
  std::vector<torch::Tensor> out;
  for (torch::nn::Module* m : {&stage.block(), static_cast<torch::nn::Module*>(&stage.loss())}) {
    for (auto& t : m->parameters())
      if (seen.insert(t.unsafeGetTensorImpl()).second) out.push_back(t);
    for (auto& t : m->buffers())
      if (seen.insert(t.unsafeGetTensorImpl()).second) out.push_back(t);
  }
  return out;
}

}  // namespace

struct ProcessPipelineSchedule::Batch {
  int64_t index = 0;
  torch::Tensor h, x, y;  // the activation entering this rank's stages; the batch itself
  StepAccumulator acc;
};

ProcessPipelineSchedule::ProcessPipelineSchedule(std::vector<std::shared_ptr<Stage>> stages, InputEncoder encoder,
                                                 std::vector<torch::Tensor> shared, std::shared_ptr<ProcessGroup> group,
                                                 ProcessPipelineOptions options)
    : stages_(std::move(stages)),
      encoder_(std::move(encoder)),
      shared_(std::move(shared)),
      group_(std::move(group)),
      options_(options),
      rank_(group_->rank()),
      ranks_(options.stage_ranks > 0 ? options.stage_ranks : group_->world_size()),
      position_(rank_ % ranks_),
      head_(rank_ - position_) {
  if (options_.depth < 1) throw std::invalid_argument("pipeline depth must be at least 1");
  if (group_->world_size() % ranks_ != 0)
    throw std::invalid_argument("a job of " + std::to_string(group_->world_size()) +
                                " processes cannot hold replicas of " + "a pipeline of " + std::to_string(ranks_));
  if (size_t(ranks_) > stages_.size())
    throw std::invalid_argument("a pipeline of " + std::to_string(ranks_) +
                                " processes needs at least as many stages; " + "this model has " +
                                std::to_string(stages_.size()));
  const size_t s = options_.synchronous ? 0 : size_t(options_.depth);
  lag_ = s * size_t(ranks_ - 1 - position_);
  window_ = int64_t(s) * (ranks_ - 1);
  for (auto& stage : stages_)
    if (stage->kind() == StageKind::Block) ++blocks_;
}

ProcessPipelineSchedule::~ProcessPipelineSchedule() = default;

std::vector<std::string> ProcessPipelineSchedule::own_stages() const {
  std::vector<std::string> names;
  for (size_t i : own_) names.push_back(stages_[i]->name());
  return names;
}

std::vector<std::vector<std::string>> ProcessPipelineSchedule::stages_by_rank() const {
  if (owner_.empty()) return {};
  std::vector<std::vector<std::string>> out(static_cast<size_t>(ranks_));
  for (size_t i = 0; i < stages_.size(); ++i) out[size_t(owner_[i])].push_back(stages_[i]->name());
  return out;
}

void ProcessPipelineSchedule::reset_timeline() {
  ProcessPipelineTime fresh;
  fresh.group.stages = own_stages();
  time_ = fresh;
}

torch::Tensor ProcessPipelineSchedule::flat_shared() const {
  std::vector<torch::Tensor> flat;
  for (const auto& t : shared_) flat.push_back(t.detach().reshape(-1));
  return torch::cat(flat);
}

void ProcessPipelineSchedule::load_shared(const torch::Tensor& flat) {
  torch::NoGradGuard no_grad;
  int64_t at = 0;
  for (auto& t : shared_) {
    t.copy_(flat.narrow(0, at, t.numel()).view_as(t));
    at += t.numel();
  }
}

StepResult ProcessPipelineSchedule::run_first_batch_timed(const torch::Tensor& x, const torch::Tensor& y) {
  StepAccumulator acc;
  Target target{y, x};
  torch::Tensor h = encoder_ ? encoder_(x, y) : x;
  std::vector<double> costs;
  for (auto& stage : stages_) {
    auto t0 = Clock::now();
    StageResult s = stage->update(h, target);
    costs.push_back(seconds_since(t0));
    acc.add(*stage, s);
    h = s.output;
  }
  // Every rank splits by rank 0's times, so every rank splits alike.
  if (rank_ != 0) costs.assign(costs.size(), 0.0);
  costs = with_peer_diagnosis(*group_, "the pipeline's split (the first batch's stage times)",
                              [&] { return group_->all_reduce_sum(costs); });
  std::vector<std::vector<size_t>> runs = balanced_split(costs, ranks_);
  owner_.assign(stages_.size(), 0);
  for (size_t g = 0; g < runs.size(); ++g)
    for (size_t i : runs[g]) {
      owner_[i] = int(g);
      // The step's result is completed on the last rank: only its stages may be the Head.
      if (stages_[i]->kind() != StageKind::Block && g + 1 != runs.size())
        throw std::logic_error("process pipeline: stage " + stages_[i]->name() +
                               " is not a block but not on the last rank");
    }
  own_ = runs[size_t(position_)];
  for (size_t i = 0; i < stages_.size(); ++i)
    send_images_ = send_images_ || (owner_[i] > position_ && stages_[i]->loss().reads_image());
  device_ = x.device();
  time_.group.stages = own_stages();
  return acc.finish(y);
}

StepResult ProcessPipelineSchedule::share_of(const StepResult& full) const {
  if (position_ == ranks_ - 1) return full;
  // Summed over the ranks by the trainer: only the last rank's result counts.
  StepResult none;
  none.block_losses.assign(blocks_, 0.0);
  return none;
}

std::vector<StepResult> ProcessPipelineSchedule::release(size_t keep) {
  std::vector<StepResult> out;
  while (results_.size() > keep) {
    out.push_back(std::move(results_.front()));
    results_.pop_front();
  }
  return out;
}

void ProcessPipelineSchedule::wait_sends(size_t keep) {
  auto t0 = Clock::now();
  while (sends_.size() > keep) {
    for (auto& pending : sends_.front())
      with_peer_diagnosis(*group_, "a send to rank " + std::to_string(rank_ + 1), [&] { pending->wait(); });
    sends_.pop_front();
  }
  time_.group.output_wait_seconds += seconds_since(t0);
}

void ProcessPipelineSchedule::fold_returns_through(int64_t t) {
  if (shared_.empty() || position_ != 0) return;
  auto t0 = Clock::now();
  for (; folded_ <= t; ++folded_) {
    // An index without a dictionary sent was an end marker (the end of an epoch's batches).
    if (sent_dictionaries_.empty() || sent_dictionaries_.front().first != folded_) continue;
    torch::Tensor returned = torch::empty_like(sent_dictionaries_.front().second);
    with_peer_diagnosis(*group_,
                        "the dictionary of batch " + std::to_string(folded_) + " from rank " + std::to_string(tail()),
                        [&] { group_->recv(returned, tail(), message_tag(folded_, kReturnedDictionary)); });
    // The downstream updates of batch `folded_`, under rank 0's own updates since it was sent.
    load_shared(returned + (flat_shared() - sent_dictionaries_.front().second));
    sent_dictionaries_.pop_front();
  }
  time_.fold_wait_seconds += seconds_since(t0);
}

bool ProcessPipelineSchedule::receive(Batch& b) {
  const int from = rank_ - 1;
  const std::string during = "receiving batch " + std::to_string(next_) + " from rank " + std::to_string(from);
  auto t0 = Clock::now();
  torch::Tensor header = torch::zeros({kHeaderSize}, torch::kInt64);
  with_peer_diagnosis(*group_, during, [&] {
    group_->recv(header, from, message_tag(next_, kHeader));
    auto h = header.accessor<int64_t, 1>();
    if (h[kBatch] == 0) return;
    const torch::Device device = device_;
    b.index = next_;
    b.h = allocate_from_header(header, kActivationDims, kActivationType, device);
    if (h[kImagesSent]) b.x = allocate_from_header(header, kImageDims, kImageType, device);
    b.y = torch::empty({h[kBatch]}, torch::TensorOptions().dtype(torch::kInt64).device(device));
    group_->recv(b.h, from, message_tag(next_, kActivation));
    if (h[kImagesSent]) group_->recv(b.x, from, message_tag(next_, kImages));
    group_->recv(b.y, from, message_tag(next_, kLabels));
    std::vector<double> losses(static_cast<size_t>(h[kBlockLossCount]));
    if (!losses.empty()) {
      torch::Tensor l = torch::empty({h[kBlockLossCount]}, torch::kFloat64);
      group_->recv(l, from, message_tag(next_, kBlockLosses));
      losses.assign(l.data_ptr<double>(), l.data_ptr<double>() + l.numel());
    }
    std::vector<torch::Tensor> scores;
    if (h[kScoreCount] > 0) {
      torch::Tensor all = torch::empty({h[kBatch], h[kScoreCount] * h[kScoreWidth]},
                                       torch::TensorOptions().dtype(c10::ScalarType(h[kScoreType])).device(device));
      group_->recv(all, from, message_tag(next_, kLayerScores));
      scores = all.split(h[kScoreWidth], 1);
    }
    b.acc.continue_from(losses, scores);
    if (!shared_.empty()) {
      torch::Tensor dictionary = flat_shared().clone();
      group_->recv(dictionary, from, message_tag(next_, kDictionary));
      load_shared(dictionary);
    }
  });
  time_.group.input_wait_seconds += seconds_since(t0);
  return header[kBatch].item<int64_t>() > 0;
}

void ProcessPipelineSchedule::send_on(const Batch& b) {
  const int to = rank_ + 1;
  torch::Tensor header = torch::zeros({kHeaderSize}, torch::kInt64);
  header[kBatch] = b.y.size(0);
  describe_in_header(header, kActivationDims, kActivationType, b.h, kMaxDims);
  const auto& losses = b.acc.block_losses();
  const auto& scores = b.acc.layer_scores();
  header[kBlockLossCount] = int64_t(losses.size());
  header[kScoreCount] = int64_t(scores.size());
  if (!scores.empty()) {
    header[kScoreWidth] = scores.front().size(1);
    header[kScoreType] = int64_t(scores.front().scalar_type());
  }
  std::vector<torch::Tensor> parts = {header, b.h, b.y};
  std::vector<Part> kinds = {kHeader, kActivation, kLabels};
  if (send_images_) {
    describe_in_header(header, kImageDims, kImageType, b.x, 6);
    header[kImagesSent] = 1;
    parts.push_back(b.x);
    kinds.push_back(kImages);
  }
  if (!losses.empty()) {
    parts.push_back(torch::tensor(losses, torch::kFloat64));
    kinds.push_back(kBlockLosses);
  }
  if (!scores.empty()) {
    parts.push_back(torch::cat(scores, 1));
    kinds.push_back(kLayerScores);
  }
  if (!shared_.empty()) {
    parts.push_back(flat_shared());
    kinds.push_back(kDictionary);
    if (position_ == 0) sent_dictionaries_.emplace_back(b.index, parts.back());
  }
  std::vector<std::unique_ptr<ProcessGroup::Pending>> pending;
  with_peer_diagnosis(*group_, "sending batch " + std::to_string(b.index) + " to rank " + std::to_string(to), [&] {
    for (size_t k = 0; k < parts.size(); ++k) {
      pending.push_back(group_->send_async(parts[k], to, message_tag(b.index, kinds[k])));
      time_.bytes_sent += message_bytes(parts[k]);
    }
  });
  sends_.push_back(std::move(pending));
}

void ProcessPipelineSchedule::send_end() {
  torch::Tensor header = torch::zeros({kHeaderSize}, torch::kInt64);
  std::vector<std::unique_ptr<ProcessGroup::Pending>> pending;
  with_peer_diagnosis(*group_, "the end of the batches to rank " + std::to_string(rank_ + 1),
                      [&] { pending.push_back(group_->send_async(header, rank_ + 1, message_tag(next_, kHeader))); });
  sends_.push_back(std::move(pending));
}

void ProcessPipelineSchedule::process(Batch& b) {
  auto t0 = Clock::now();
  Target target{b.y, b.x};
  for (size_t i : own_) {
    StageResult s = stages_[i]->update(b.h, target);
    b.acc.add(*stages_[i], s);
    b.h = s.output;
  }
  time_.group.compute_seconds += seconds_since(t0);
  ++time_.group.batches;
  if (position_ + 1 < ranks_) {
    send_on(b);
    results_.push_back(share_of(StepResult{}));
    // At most s + 1 batches' sends wait for the next rank (s: the batches between neighbours).
    if (!draining_) wait_sends(options_.synchronous ? 1 : size_t(options_.depth) + 1);
    return;
  }
  results_.push_back(b.acc.finish(b.y));
  if (!shared_.empty()) {
    torch::Tensor dictionary = flat_shared();
    std::vector<std::unique_ptr<ProcessGroup::Pending>> pending;
    with_peer_diagnosis(
        *group_, "returning the dictionary of batch " + std::to_string(b.index) + " to rank " + std::to_string(head_),
        [&] { pending.push_back(group_->send_async(dictionary, head_, message_tag(b.index, kReturnedDictionary))); });
    time_.bytes_sent += message_bytes(dictionary);
    sends_.push_back(std::move(pending));
    if (!draining_) wait_sends(window_ + 1);
  }
}

std::vector<StepResult> ProcessPipelineSchedule::push(const torch::Tensor& x, const torch::Tensor& y) {
  if (owner_.empty()) {
    results_.push_back(share_of(run_first_batch_timed(x, y)));
    next_ = 1;
    return release(lag_);
  }
  Batch b;
  if (position_ == 0) {
    fold_returns_through(next_ - 1 - window_);
    b.index = next_;
    b.h = encoder_ ? encoder_(x, y) : x;
    b.x = x;
    b.y = y;
  } else {
    if (!receive(b))
      throw std::runtime_error("rank " + std::to_string(rank_) + ": rank " + std::to_string(rank_ - 1) +
                               " ended its batches before this rank's batch " + std::to_string(next_));
    if (!b.y.equal(y))
      throw std::runtime_error("rank " + std::to_string(rank_) + ": batch " + std::to_string(next_) +
                               " arrived with other labels than this rank read: the ranks read different data (the "
                               "same --data, --seed and --limit-train on every rank?)");
  }
  process(b);
  ++next_;
  return release(lag_);
}

// drain() waits for nothing but the batches still to come from the previous rank: a rank behind
// this one may be waiting in the step's collective for results this rank has not yet handed to the
// trainer. The sends and rank 0's last dictionaries are waited for by synchronize_model(), once
// every rank has recorded every step.
std::vector<StepResult> ProcessPipelineSchedule::drain() {
  if (!owner_.empty()) {
    draining_ = true;
    if (position_ == 0) {
      send_end();
    } else {
      for (Batch b; receive(b); b = Batch{}) {
        process(b);
        ++next_;
      }
      if (position_ + 1 < ranks_) send_end();
    }
    ++next_;  // the end marker's index
    draining_ = false;
  }
  return release(0);
}

void ProcessPipelineSchedule::finish_flight() {
  fold_returns_through(next_ - 2);  // every batch sent, the end marker excluded
  wait_sends(0);
}

StepResult ProcessPipelineSchedule::step(const torch::Tensor& x, const torch::Tensor& y) {
  std::vector<StepResult> out = push(x, y), rest = drain();
  out.insert(out.end(), rest.begin(), rest.end());
  if (out.size() != 1)
    throw std::logic_error("ProcessPipelineSchedule::step: batches were in flight before it; drain() first");
  return out.front();
}

void ProcessPipelineSchedule::synchronize_model() {
  if (owner_.empty()) return;  // no batch yet: every rank holds the same model
  finish_flight();
  torch::NoGradGuard no_grad;
  // Replicas: each updated its stages' BatchNorm statistics from its own part of the batches. A
  // running mean is linear in the batch means, so their average is the one the whole batches give.
  if (options_.replicas) {
    std::vector<torch::Tensor> statistics;
    for (size_t i : own_)
      for (torch::nn::Module* m : {&stages_[i]->block(), static_cast<torch::nn::Module*>(&stages_[i]->loss())})
        for (auto& b : m->buffers())
          if (b.is_floating_point()) statistics.push_back(b);
    with_peer_diagnosis(*options_.replicas, "the average of the replicas' statistics",
                        [&] { options_.replicas->average(statistics); });
  }
  for (size_t i = 0; i < stages_.size(); ++i) {
    Stage& stage = *stages_[i];
    const int owner = owner_[i];
    const std::string during =
        "the model's synchronisation (stage " + stage.name() + " from rank " + std::to_string(owner) + ")";
    std::vector<torch::Tensor> tensors = stage_tensors(stage, shared_);
    std::string bytes;
    if (rank_ == owner) {
      torch::serialize::OutputArchive archive;
      stage.optimizer().save(archive);
      std::ostringstream out;
      archive.save_to(out);
      bytes = out.str();
    }
    std::vector<torch::Tensor> size{torch::tensor({int64_t(bytes.size())}, torch::kInt64)};
    with_peer_diagnosis(*group_, during, [&] {
      group_->broadcast(tensors, owner);
      group_->broadcast(size, owner);
    });
    std::vector<torch::Tensor> state{
        rank_ == owner ? torch::from_blob(bytes.data(), {int64_t(bytes.size())}, torch::kUInt8).clone()
                       : torch::empty({size.front().item<int64_t>()}, torch::kUInt8)};
    with_peer_diagnosis(*group_, during, [&] { group_->broadcast(state, owner); });
    if (rank_ != owner) {
      torch::serialize::InputArchive archive;
      archive.load_from(reinterpret_cast<const char*>(state.front().data_ptr<uint8_t>()),
                        size_t(state.front().numel()));
      stage.optimizer().load(archive);
    }
  }
  if (!shared_.empty())
    with_peer_diagnosis(*group_, "the model's synchronisation (the dictionary from rank 0)",
                        [&] { group_->broadcast(shared_, 0); });
}

void check_process_pipeline(Model& model, const std::string& method, int ranks) {
  if (method_info(method).abilities.gpipe) {
    if (size_t(ranks) > model.net->blocks.size())
      throw std::invalid_argument("--pipeline-ranks " + std::to_string(ranks) + ": GPipe splits " + method +
                                  "'s network by its blocks, and it has " + std::to_string(model.net->blocks.size()) +
                                  ", so at most that many processes");
    return;
  }
  SequentialSchedule& sequential = pipelined_schedule(model, method);
  if (size_t(ranks) > sequential.stages().size())
    throw std::invalid_argument("--pipeline-ranks " + std::to_string(ranks) + ": " + method + " has " +
                                std::to_string(sequential.stages().size()) + " stages, so at most that many processes");
}

ProcessPipelineSchedule& use_process_pipeline(Model& model, const std::string& method,
                                              std::shared_ptr<ProcessGroup> group, ProcessPipelineOptions options) {
  SequentialSchedule& sequential = pipelined_schedule(model, method);
  std::vector<torch::Tensor> shared;
  for (auto& [name, module] : model.shared)
    for (auto& t : module->parameters()) shared.push_back(t);
  auto pipeline = std::make_unique<ProcessPipelineSchedule>(sequential.stages(), sequential.encoder(),
                                                            std::move(shared), std::move(group), options);
  ProcessPipelineSchedule& ref = *pipeline;
  model.schedule = std::move(pipeline);
  return ref;
}

}  // namespace dcl
