// The batch loader: every sample once per epoch, reproducible from the seed.
#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "dcl/training/batch_loader.h"

using namespace dcl;

namespace {

// 103 tiny 3x32x32 images whose first pixel encodes the sample index (label = index % 10).
data::ImageSet numbered_images(int n) {
  data::ImageSet s;
  s.count = n;
  s.channels = 3;
  s.height = s.width = 32;
  s.pixels.assign(size_t(n) * 3 * 32 * 32, 0);
  for (int i = 0; i < n; ++i) {
    s.pixels[size_t(i) * 3072] = uint8_t(i);
    s.labels.push_back(i % 10);
  }
  return s;
}

std::vector<torch::Tensor> epoch_batches(BatchLoader& loader, int epoch) {
  std::vector<torch::Tensor> out;
  loader.start_epoch(epoch);
  Batch b;
  while (loader.next(b)) out.push_back(b.images);
  return out;
}

}  // namespace

TEST(BatchLoader, EverySampleExactlyOncePerEpoch) {
  auto set = numbered_images(103);
  const auto& info = data::dataset_info("cifar10");
  BatchLoader loader(set, info, 16, true, 7);
  EXPECT_EQ(loader.batches_per_epoch(), 7);
  for (int epoch = 0; epoch < 2; ++epoch) {
    std::multiset<int64_t> seen;
    loader.start_epoch(epoch);
    Batch b;
    int64_t total = 0;
    while (loader.next(b)) {
      total += b.labels.size(0);
      for (int64_t i = 0; i < b.labels.size(0); ++i) seen.insert(b.labels[i].item<int64_t>());
    }
    EXPECT_EQ(total, 103);
    auto order = loader.epoch_order(epoch);
    EXPECT_EQ(std::set<int64_t>(order.begin(), order.end()).size(), 103u);
    for (int label = 0; label < 10; ++label) EXPECT_EQ(seen.count(label), size_t(label < 3 ? 11 : 10));
  }
  EXPECT_NE(loader.epoch_order(0), loader.epoch_order(1)) << "each epoch must be shuffled anew";
}

TEST(BatchLoader, SameSeedSameBatchesDifferentSeedDifferentBatches) {
  auto set = numbered_images(64);
  const auto& info = data::dataset_info("cifar10");  // crop + flip: augmentation must repeat too
  BatchLoader a(set, info, 16, true, 42), b(set, info, 16, true, 42), c(set, info, 16, true, 43);
  auto ba = epoch_batches(a, 3), bb = epoch_batches(b, 3), bc = epoch_batches(c, 3);
  ASSERT_EQ(ba.size(), bb.size());
  bool any_difference = false;
  for (size_t i = 0; i < ba.size(); ++i) {
    EXPECT_TRUE(torch::equal(ba[i], bb[i])) << "batch " << i;
    any_difference |= !torch::equal(ba[i], bc[i]);
  }
  EXPECT_TRUE(any_difference);
}

TEST(BatchLoader, ResumingMidEpochYieldsTheRemainingBatches) {
  auto set = numbered_images(64);
  const auto& info = data::dataset_info("cifar10");
  BatchLoader loader(set, info, 16, true, 5);
  auto full = epoch_batches(loader, 2);
  loader.start_epoch(2, 2);
  Batch b;
  ASSERT_TRUE(loader.next(b));
  EXPECT_EQ(b.index, 2);
  EXPECT_TRUE(torch::equal(b.images, full[2]));
}

TEST(BatchLoader, EvaluationOrderIsFixedAndNormalised) {
  auto set = numbered_images(20);
  const auto& info = data::dataset_info("cifar10");
  BatchLoader loader(set, info, 8, false, 1, /*limit=*/10);
  auto batches = epoch_batches(loader, 0);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1].size(0), 2);
  // sample 1's first pixel is 1/255, normalised with CIFAR's red-channel constants
  EXPECT_NEAR(batches[0][1][0][0][0].item<float>(), (1 / 255.0 - 0.4914) / 0.2023, 1e-5);
}

TEST(BatchLoader, ALastTrainingBatchOfOneSampleIsMergedIntoTheOneBefore) {
  auto set = numbered_images(33);
  const auto& info = data::dataset_info("cifar10");
  BatchLoader train(set, info, 16, true, 7);
  EXPECT_EQ(train.batches_per_epoch(), 2);
  auto batches = epoch_batches(train, 0);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].size(0), 16);
  EXPECT_EQ(batches[1].size(0), 17);  // every sample still seen once
  // Evaluation has no BatchNorm statistics to compute: its batches stay as they are.
  BatchLoader test(set, info, 16, false, 7);
  EXPECT_EQ(test.batches_per_epoch(), 3);
  // A last batch of two or more is left alone.
  auto thirty_four = numbered_images(34);
  EXPECT_EQ(BatchLoader(thirty_four, info, 16, true, 7).batches_per_epoch(), 3);
}

// Data-parallel shards: the ranks' parts of global batch b, side by side, are the single-process
// loader's batch b at the global size: same images, same order, same augmentation draws.
TEST(BatchLoader, ShardsOfEveryBatchTogetherAreTheSingleProcessBatch) {
  const auto& info = data::dataset_info("cifar10");  // random crop and flip: the draws must line up
  for (int n : {103, 46}) {                          // 46 = 3 x 15 + 1: the last sample is merged
    auto set = numbered_images(n);
    BatchLoader whole(set, info, 15, true, 7);
    std::vector<std::unique_ptr<BatchLoader>> ranks;
    for (int r = 0; r < 3; ++r) {
      ranks.push_back(std::make_unique<BatchLoader>(set, info, 5, true, 7));
      ranks.back()->set_shard(r, 3);
      EXPECT_EQ(ranks.back()->batches_per_epoch(), whole.batches_per_epoch());
    }
    for (int epoch : {0, 1}) {
      whole.start_epoch(epoch);
      for (auto& r : ranks) r->start_epoch(epoch);
      Batch b;
      int64_t batches = 0;
      while (whole.next(b)) {
        std::vector<torch::Tensor> images, labels;
        for (auto& r : ranks) {
          Batch part;
          ASSERT_TRUE(r->next(part));
          EXPECT_EQ(part.index, b.index);
          EXPECT_EQ(part.global_size, b.images.size(0));
          images.push_back(part.images);
          labels.push_back(part.labels);
        }
        EXPECT_TRUE(torch::equal(torch::cat(images), b.images)) << "n " << n << " batch " << b.index;
        EXPECT_TRUE(torch::equal(torch::cat(labels), b.labels));
        // Parts differ in size by at most one image.
        EXPECT_LE(images.front().size(0) - images.back().size(0), 1);
        ++batches;
      }
      EXPECT_EQ(batches, whole.batches_per_epoch());
    }
  }
  auto set = numbered_images(10);
  BatchLoader loader(set, info, 5, true, 7);
  EXPECT_THROW(loader.set_shard(2, 2), std::invalid_argument);
}
