#include "dcl/training/batch_loader.h"

#include <atomic>
#include <random>

#include "dcl/data/render_sample.h"

namespace dcl {

uint64_t mix_seed(uint64_t a, uint64_t b, uint64_t c) {
  // splitmix64 steps over the three inputs.
  uint64_t x = a;
  for (uint64_t v : {b, c, uint64_t(0x9e3779b97f4a7c15ULL)}) {
    x += v + 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;
  }
  return x;
}

BatchLoader::BatchLoader(const data::ImageSet& set, const data::DatasetInfo& info, int batch_size, bool train,
                         uint64_t seed, int64_t limit, int prefetch)
    : set_(set),
      info_(info),
      batch_size_(batch_size),
      train_(train),
      seed_(seed),
      count_(limit > 0 ? std::min(limit, set.count) : set.count),
      capacity_(size_t(std::max(1, prefetch))) {
  if (batch_size < 1) throw std::invalid_argument("batch size must be at least 1");
  const int stored = info.stored_size > 0 ? info.stored_size : info.height;
  if (set.channels != info.channels ||
      (!set.streamed() && (set.height != stored || set.width != (info.stored_size > 0 ? stored : info.width))))
    throw std::invalid_argument("dataset " + info.name + ": images do not have the registered shape");
}

BatchLoader::~BatchLoader() { stop(); }

int64_t BatchLoader::batches_per_epoch() const {
  return merges_last_sample() ? count_ / global_batch() : (count_ + global_batch() - 1) / global_batch();
}

void BatchLoader::set_threads(int threads) {
  stop();
  threads_ = std::max(1, threads);
}

void BatchLoader::set_shard(int rank, int ranks) {
  if (ranks < 1 || rank < 0 || rank >= ranks)
    throw std::invalid_argument("shard " + std::to_string(rank) + " of " + std::to_string(ranks) + " does not exist");
  stop();
  shard_ = rank;
  shards_ = ranks;
}

std::vector<int64_t> BatchLoader::epoch_order(int epoch) const {
  std::vector<int64_t> order(static_cast<size_t>(count_));
  for (int64_t i = 0; i < count_; ++i) order[size_t(i)] = i;
  if (!train_) return order;
  // Fisher-Yates with our own bounded draws: the same order with every standard library.
  std::mt19937_64 rng(mix_seed(seed_, uint64_t(epoch), 1));
  for (int64_t i = count_ - 1; i > 0; --i) {
    uint64_t bound = uint64_t(i) + 1, limit = UINT64_MAX - UINT64_MAX % bound, r;
    do r = rng();
    while (r >= limit);
    std::swap(order[size_t(i)], order[size_t(r % bound)]);
  }
  return order;
}

Batch BatchLoader::make_batch(const std::vector<int64_t>& order, int epoch, int64_t b) const {
  int64_t begin = b * global_batch(), end = std::min(count_, begin + global_batch());
  if (b + 1 == batches_per_epoch()) end = count_;  // the merged single sample, if any
  // This rank's contiguous part of the global batch.
  int64_t total = end - begin, base = total / shards_, extra = total % shards_;
  int64_t first = shard_ * base + std::min<int64_t>(shard_, extra), n = base + (shard_ < extra ? 1 : 0);
  Batch batch;
  batch.index = b;
  batch.global_size = total;
  batch.images = torch::empty({n, info_.channels, info_.height, info_.width});
  batch.labels = torch::empty({n}, torch::kInt64);
  float* dst = batch.images.data_ptr<float>();
  int64_t* labels = batch.labels.data_ptr<int64_t>();
  // The random parts first, in batch order: pad-and-crop shifts from one stream per batch (the
  // draws of the parts before this rank's are made and dropped, so each image gets the
  // augmentation it gets in the single-process batch); resized crops from a seed per position.
  std::vector<data::SampleDraw> draws(static_cast<size_t>(n));
  std::mt19937_64 rng(mix_seed(seed_, uint64_t(epoch), uint64_t(b) + 2));
  for (int64_t i = 0; i < first + n; ++i) {
    data::AugmentParams p = train_ && !info_.resized_crop ? data::draw_augment(info_, rng) : data::AugmentParams{};
    if (i < first) continue;
    draws[size_t(i - first)] = {p, mix_seed(seed_, uint64_t(epoch), uint64_t(1) << 40 | uint64_t(begin + i))};
    labels[i - first] = set_.labels[size_t(order[size_t(begin + i)])];
  }
  const int64_t sample = int64_t(info_.channels) * info_.height * info_.width;
  auto render = [&](int64_t from, int64_t to) {
    for (int64_t i = from; i < to; ++i)
      data::render_sample(set_, info_, order[size_t(begin + first + i)], train_, draws[size_t(i)], dst + i * sample);
  };
  const int64_t workers = std::min<int64_t>(threads_, n);
  if (workers <= 1) {
    render(0, n);
    return batch;
  }
  // Images are taken one at a time from a shared counter: decoding times vary, a fixed split
  // would leave threads idle. The prefetch thread renders too.
  std::atomic<int64_t> next{0};
  std::vector<std::exception_ptr> errors(static_cast<size_t>(workers));
  auto work = [&](int64_t w) {
    try {
      for (int64_t i; (i = next++) < n;) render(i, i + 1);
    } catch (...) {
      errors[size_t(w)] = std::current_exception();
      next = n;
    }
  };
  std::vector<std::thread> pool;
  for (int64_t w = 1; w < workers; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  return batch;
}

void BatchLoader::start_epoch(int epoch, int64_t first_batch) {
  stop();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.clear();
    done_ = false;
    stop_ = false;
    error_ = nullptr;
  }
  worker_ = std::thread([this, epoch, first_batch] {
    try {
      std::vector<int64_t> order = epoch_order(epoch);
      for (int64_t b = first_batch; b < batches_per_epoch(); ++b) {
        Batch batch = make_batch(order, epoch, b);
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [this] { return stop_ || queue_.size() < capacity_; });
        if (stop_) break;
        queue_.push_back(std::move(batch));
        cv_.notify_all();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
    cv_.notify_all();
  });
}

bool BatchLoader::next(Batch& out) {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [this] { return !queue_.empty() || done_; });
  if (error_) std::rethrow_exception(error_);
  if (queue_.empty()) return false;
  out = std::move(queue_.front());
  queue_.pop_front();
  cv_.notify_all();
  return true;
}

void BatchLoader::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    cv_.notify_all();
  }
  if (worker_.joinable()) worker_.join();
}

}  // namespace dcl
