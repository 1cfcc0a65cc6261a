#pragma once
// Batches for training and evaluation: a per-epoch shuffle from the seed, the dataset's
// augmentation and normalisation, assembled into float tensors by a background prefetch thread.
// The batches are a pure function of (seed, epoch, batch index), so a run resumed mid-epoch sees
// exactly the batches an uninterrupted run would.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <torch/torch.h>

#include "dcl/data/image_set.h"
#include "dcl/data/registry.h"

namespace dcl {

struct Batch {
  torch::Tensor images;     // [B, C, H, W] float
  torch::Tensor labels;     // [B] int64
  int64_t index = 0;        // batch number within the epoch
  int64_t global_size = 0;  // images in the whole batch, over every rank of a data-parallel job
};

class BatchLoader {
 public:
  // `train` = shuffle and augment; otherwise the order is fixed and images are only normalised.
  // `limit` > 0 uses only the first `limit` samples. In training, a last batch that would hold a
  // single sample is merged into the one before it (BatchNorm cannot normalise one sample), so
  // every sample is still seen once per epoch.
  BatchLoader(const data::ImageSet& set, const data::DatasetInfo& info, int batch_size, bool train, uint64_t seed,
              int64_t limit = 0, int prefetch = 4);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  int64_t size() const { return count_; }

  // Data-parallel: this loader yields rank `rank`'s share of batches `ranks` times as large. The
  // global batch b is exactly the single-process loader's batch b at that size (same order, same
  // augmentation draws); rank r takes its r-th contiguous part (sizes differ by at most one).
  void set_shard(int rank, int ranks);
  int64_t batches_per_epoch() const;
  // Threads that decode and augment the images of each batch (the batches do not depend on it).
  void set_threads(int threads);

  // Starts producing epoch `epoch`'s batches from batch `first_batch` on; stops any epoch in flight.
  void start_epoch(int epoch, int64_t first_batch = 0);
  // Next batch of the current epoch; false when the epoch is over.
  bool next(Batch& out);

  // The sample order of an epoch (exposed for tests).
  std::vector<int64_t> epoch_order(int epoch) const;

 private:
  Batch make_batch(const std::vector<int64_t>& order, int epoch, int64_t b) const;
  int64_t global_batch() const { return int64_t(batch_size_) * shards_; }
  bool merges_last_sample() const { return train_ && count_ > 1 && count_ % global_batch() == 1; }
  void stop();

  const data::ImageSet& set_;
  const data::DatasetInfo& info_;
  int batch_size_;
  bool train_;
  uint64_t seed_;
  int64_t count_;
  int shard_ = 0, shards_ = 1;
  int threads_ = 1;
  size_t capacity_;

  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Batch> queue_;
  bool done_ = true;
  bool stop_ = false;
  std::exception_ptr error_;
};

// A 64-bit mix of several integers, for seeding independent random streams.
uint64_t mix_seed(uint64_t a, uint64_t b, uint64_t c = 0);

}  // namespace dcl
