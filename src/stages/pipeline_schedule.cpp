#include "dcl/stages/pipeline_schedule.h"

#include <chrono>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "dcl/stages/intra_op_threads.h"
#include "dcl/stages/model.h"
#include "dcl/util/clock.h"

namespace dcl {

namespace {}  // namespace

struct PipelineSchedule::Item {
  torch::Tensor h, x, y;  // the activation entering the next group; the batch itself
  std::shared_ptr<StepAccumulator> acc;
};

struct PipelineSchedule::Group {
  std::vector<std::shared_ptr<Stage>> stages;
  mutable std::mutex time_mutex;
  PipelineGroupTime time;
};

std::vector<std::vector<size_t>> split_stages(size_t stages, int groups) {
  size_t g = groups <= 0 || size_t(groups) > stages ? stages : size_t(groups);
  std::vector<std::vector<size_t>> out(g);
  size_t next = 0;
  for (size_t i = 0; i < g; ++i) {
    size_t n = stages / g + (i < stages % g ? 1 : 0);
    for (size_t k = 0; k < n; ++k) out[i].push_back(next++);
  }
  return out;
}

std::vector<std::vector<size_t>> balanced_split(const std::vector<double>& costs, int groups) {
  size_t n = costs.size(), g = groups <= 0 || size_t(groups) > n ? n : size_t(groups);
  // best[k][i]: the smallest largest-run cost of the first i stages in k runs; cut[k][i] the start
  // of the last run there.
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> best(g + 1, std::vector<double>(n + 1, inf));
  std::vector<std::vector<size_t>> cut(g + 1, std::vector<size_t>(n + 1, 0));
  best[0][0] = 0;
  for (size_t k = 1; k <= g; ++k)
    for (size_t i = k; i <= n; ++i) {
      double run = 0;
      for (size_t j = i; j-- > k - 1;) {  // the last run is stages j..i-1
        run += costs[j];
        double worst = std::max(best[k - 1][j], run);
        if (worst < best[k][i]) {
          best[k][i] = worst;
          cut[k][i] = j;
        }
      }
    }
  std::vector<std::vector<size_t>> runs(g);
  for (size_t k = g, i = n; k > 0; --k) {
    for (size_t j = cut[k][i]; j < i; ++j) runs[k - 1].push_back(j);
    i = cut[k][i];
  }
  return runs;
}

PipelineSchedule::PipelineSchedule(std::vector<std::shared_ptr<Stage>> stages, InputEncoder encoder,
                                   PipelineOptions options)
    : stages_(std::move(stages)),
      encoder_(std::move(encoder)),
      options_(options),
      shared_lock_(std::make_shared<std::mutex>()) {
  if (stages_.size() < 2)
    throw std::invalid_argument("--schedule pipeline needs a local method with at least 2 stages; this one has " +
                                std::to_string(stages_.size()));
  if (options_.depth < 1) throw std::invalid_argument("pipeline queue depth must be at least 1");
  if (options_.intra_op_threads < 1) throw std::invalid_argument("pipeline intra-op threads must be at least 1");
  for (auto& s : stages_)
    if (!s->shared_state().empty()) s->set_shared_lock(shared_lock_);
  // One group per stage needs no measurement; fewer groups wait for the first batch's timings.
  if (split_stages(stages_.size(), options_.groups).size() == stages_.size())
    start_groups(split_stages(stages_.size(), 0));
}

void PipelineSchedule::start_groups(const std::vector<std::vector<size_t>>& runs) {
  for (const auto& run : runs) {
    auto group = std::make_unique<Group>();
    for (size_t i : run) {
      group->stages.push_back(stages_[i]);
      group->time.stages.push_back(stages_[i]->name());
    }
    groups_.push_back(std::move(group));
  }
  for (size_t g = 0; g < groups_.size(); ++g)
    queues_.push_back(std::make_unique<BoundedQueue<Item>>(size_t(options_.depth)));
  // The output is unbounded: the last group never waits for the trainer, which only reads it
  // between its own pushes (and a full output would stall a trainer blocked on the first queue).
  queues_.push_back(std::make_unique<BoundedQueue<Item>>(SIZE_MAX));
  for (size_t g = 0; g < groups_.size(); ++g) threads_.emplace_back([this, g] { run_group(g); });
}

StepResult PipelineSchedule::run_first_batch_timed(const torch::Tensor& x, const torch::Tensor& y) {
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
  start_groups(balanced_split(costs, options_.groups));
  return acc.finish(y);
}

PipelineSchedule::~PipelineSchedule() {
  for (auto& q : queues_) q->close();
  for (auto& t : threads_) t.join();
  for (auto& group : groups_)
    for (auto& s : group->stages) s->set_shared_lock(nullptr);
}

void PipelineSchedule::fail(std::exception_ptr error) {
  {
    std::lock_guard<std::mutex> lock(error_mutex_);
    if (!error_) error_ = error;
  }
  for (auto& q : queues_) q->close();
}

void PipelineSchedule::run_group(size_t g) {
  // Each thread runs its own intra-op pool of the requested size: the groups together use the
  // cores the sequential schedule would, without oversubscribing them.
  set_intra_op_threads(options_.intra_op_threads);
  Group& group = *groups_[g];
  try {
    while (true) {
      auto t0 = Clock::now();
      std::optional<Item> item = queues_[g]->pop();
      double waited = seconds_since(t0);
      if (!item) return;
      auto t1 = Clock::now();
      Target target{item->y, item->x};
      for (auto& stage : group.stages) {
        StageResult s = stage->update(item->h, target);
        item->acc->add(*stage, s);
        item->h = s.output;
      }
      {
        // Counted before the hand-over: once the trainer holds a batch, every group has counted it.
        std::lock_guard<std::mutex> lock(group.time_mutex);
        group.time.input_wait_seconds += waited;
        group.time.compute_seconds += seconds_since(t1);
        ++group.time.batches;
      }
      auto t2 = Clock::now();
      bool passed = queues_[g + 1]->push(std::move(*item));
      std::lock_guard<std::mutex> lock(group.time_mutex);
      group.time.output_wait_seconds += seconds_since(t2);
      if (!passed) return;
    }
  } catch (...) {
    fail(std::current_exception());
  }
}

std::vector<StepResult> PipelineSchedule::take_finished(bool wait_for_all) {
  std::vector<StepResult> out;
  BoundedQueue<Item>& done = *queues_.back();
  // The output queue is emptied here, on the trainer's thread: what has arrived, or (waiting)
  // every batch in flight.
  while (finished_ < pushed_) {
    std::optional<Item> item = wait_for_all ? done.pop() : done.try_pop();
    if (!item) break;
    out.push_back(item->acc->finish(item->y));
    ++finished_;
  }
  std::lock_guard<std::mutex> lock(error_mutex_);
  if (error_) std::rethrow_exception(error_);
  return out;
}

std::vector<StepResult> PipelineSchedule::push(const torch::Tensor& x, const torch::Tensor& y) {
  {
    std::lock_guard<std::mutex> lock(error_mutex_);
    if (error_) std::rethrow_exception(error_);
  }
  if (groups_.empty()) return {run_first_batch_timed(x, y)};
  Item item{encoder_ ? encoder_(x, y) : x, x, y, std::make_shared<StepAccumulator>()};
  if (!queues_.front()->push(std::move(item))) return take_finished(true);  // failed: rethrows
  ++pushed_;
  return take_finished(options_.synchronous);
}

std::vector<StepResult> PipelineSchedule::drain() {
  if (groups_.empty()) return {};
  return take_finished(true);
}

StepResult PipelineSchedule::step(const torch::Tensor& x, const torch::Tensor& y) {
  std::vector<StepResult> before = push(x, y), rest = drain();
  before.insert(before.end(), rest.begin(), rest.end());
  if (before.size() != 1)
    throw std::logic_error("PipelineSchedule::step: batches were in flight before it; drain() first");
  return before.front();
}

std::vector<PipelineGroupTime> PipelineSchedule::timeline() const {
  std::vector<PipelineGroupTime> out;
  for (const auto& group : groups_) {
    std::lock_guard<std::mutex> lock(group->time_mutex);
    out.push_back(group->time);
  }
  return out;
}

void PipelineSchedule::reset_timeline() {
  for (auto& group : groups_) {
    std::lock_guard<std::mutex> lock(group->time_mutex);
    auto stages = group->time.stages;
    group->time = PipelineGroupTime{};
    group->time.stages = stages;
  }
}

}  // namespace dcl
