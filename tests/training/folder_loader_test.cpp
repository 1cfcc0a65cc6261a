// Batches of a folder dataset: the same for any number of loader threads, for cache and stream,
// and split across data-parallel ranks exactly as one process sees them.
#include <gtest/gtest.h>

#include <cstdlib>

#include "data/image_tree.h"
#include "dcl/data/folder_dataset.h"
#include "dcl/training/batch_loader.h"

using namespace dcl;
using namespace dcl::data::test;

namespace {

struct Tree {
  ScopedCacheDir cache;  // first: set before the tree is surveyed, unset after it is gone
  TempDir dir;
  Tree() {
    // 3 classes x 7 photos of 60 x 80 with a gradient each: crops and flips change the pixels.
    for (int k = 0; k < 3; ++k)
      for (int i = 0; i < 7; ++i)
        write_jpeg(
            dir.file(std::string(i < 5 ? "train/" : "val/") + char('a' + k) + "/" + std::to_string(i) + ".jpg"),
            make_image(60 + 4 * i, 80, 3, [&](int y, int x, int c) { return (x * 3 + y + 60 * c + 50 * k) % 256; }));
  }
};

// Epoch 1's batches; with `ranks` > 1, rank `rank`'s part of global batches of 4.
std::vector<torch::Tensor> batches(const data::ImageSet& set, const data::DatasetInfo& info, int threads, int rank = 0,
                                   int ranks = 1) {
  BatchLoader loader(set, info, 4 / ranks, true, 11);
  loader.set_threads(threads);
  loader.set_shard(rank, ranks);
  std::vector<torch::Tensor> out;
  loader.start_epoch(1);
  Batch b;
  while (loader.next(b)) out.push_back(b.images);
  return out;
}

}  // namespace

TEST(FolderLoader, BatchesDoNotDependOnTheLoaderThreadsAndRanksShareOneBatch) {
  Tree tree;
  for (const char* loading : {"cache", "stream"}) {
    data::DataOptions o;
    o.image_size = 72;  // > 64: resized crops
    o.loading = loading;
    const data::DatasetInfo info = data::folder_dataset_info("folder:" + tree.dir.path(), o);
    const data::DatasetSplits s = data::load_folder_dataset(info, o);
    std::vector<torch::Tensor> one = batches(s.train, info, 1), three = batches(s.train, info, 3);
    ASSERT_EQ(one.size(), 4u);  // 15 images, batch 4
    for (size_t b = 0; b < one.size(); ++b) EXPECT_TRUE(torch::equal(one[b], three[b])) << loading << " batch " << b;
    EXPECT_EQ(one[0].sizes(), (std::vector<int64_t>{4, 3, 72, 72}));
    // Two ranks with batch 2 each: their halves are the one-process batch of 4.
    std::vector<torch::Tensor> r0 = batches(s.train, info, 2, 0, 2), r1 = batches(s.train, info, 1, 1, 2);
    ASSERT_EQ(r0.size(), r1.size());
    std::vector<torch::Tensor> joined;
    for (size_t b = 0; b < r0.size(); ++b) joined.push_back(torch::cat({r0[b], r1[b]}));
    std::vector<torch::Tensor> single = batches(s.train, info, 1);
    for (size_t b = 0; b < single.size(); ++b)
      EXPECT_TRUE(torch::equal(single[b], joined[b])) << loading << " batch " << b;
  }
}
