// The real Fashion-MNIST from Debian's dataset-fashion-mnist package, when it is installed.
#include <gtest/gtest.h>

#include <filesystem>

#include "dcl/data/registry.h"

namespace dcl::data {
namespace {

TEST(FashionMnist, LoadsTheInstalledDataset) {
  const DatasetInfo& info = dataset_info("fmnist");
  if (!std::filesystem::exists(std::filesystem::path(info.default_dir) / info.train_files[0])) {
    GTEST_SKIP() << "Fashion-MNIST not installed in " << info.default_dir;
  }
  const DatasetSplits s = load_dataset("fmnist", "");
  EXPECT_EQ(s.train.count, 60000);
  EXPECT_EQ(s.test.count, 10000);
  for (const ImageSet* set : {&s.train, &s.test}) {
    EXPECT_EQ(set->channels, 1);
    EXPECT_EQ(set->height, 28);
    EXPECT_EQ(set->width, 28);
    EXPECT_EQ(set->pixels.size(), size_t(set->count) * 784);
    std::vector<int> per_class(10, 0);
    for (int32_t l : set->labels) {
      ASSERT_GE(l, 0);
      ASSERT_LT(l, 10);
      ++per_class[size_t(l)];
    }
    // Fashion-MNIST is exactly balanced: 6000 / 1000 images per class.
    for (int n : per_class) EXPECT_EQ(n, set->count / 10);
  }
}

}  // namespace
}  // namespace dcl::data
