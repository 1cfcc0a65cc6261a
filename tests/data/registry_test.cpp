// Dataset registry: the spec section 3 table, name lookup and load_dataset's file handling.
#include "dcl/data/registry.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "test_files.h"

namespace dcl::data {
namespace {

using test::expect_data_error;
using test::TempDir;

TEST(Registry, KnowsTheSpecDatasets) {
  EXPECT_EQ(dataset_names(),
            (std::vector<std::string>{"mnist", "kmnist", "fmnist", "cifar10", "cifar100", "cifar20", "svhn", "stl10"}));
}

TEST(Registry, UnknownNameListsTheValidOnes) {
  try {
    dataset_info("imagenet");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("imagenet"), std::string::npos) << msg;
    for (const std::string& n : dataset_names()) EXPECT_NE(msg.find(n), std::string::npos) << msg;
  }
}

TEST(Registry, EveryEntryIsConsistent) {
  for (const std::string& name : dataset_names()) {
    SCOPED_TRACE(name);
    const DatasetInfo& d = dataset_info(name);
    EXPECT_EQ(d.name, name);
    EXPECT_FALSE(d.description.empty());
    EXPECT_EQ(int(d.class_names.size()), d.classes);
    EXPECT_EQ(int(d.mean.size()), d.channels);
    EXPECT_EQ(int(d.std.size()), d.channels);
    for (float s : d.std) EXPECT_GT(s, 0.0f);
    EXPECT_FALSE(d.train_files.empty());
    EXPECT_FALSE(d.test_files.empty());
    ASSERT_FALSE(d.downloads.empty());
    for (const RemoteFile& f : d.downloads) {
      EXPECT_EQ(f.md5.size(), 32u) << f.url;
      EXPECT_EQ(f.md5.find_first_not_of("0123456789abcdef"), std::string::npos) << f.md5;
      EXPECT_EQ(f.url.substr(f.url.size() - f.filename.size()), f.filename);
      EXPECT_EQ(f.unpack, f.filename.size() > 7 && f.filename.substr(f.filename.size() - 7) == ".tar.gz");
    }
    EXPECT_EQ(d.default_dir.empty(), name != "fmnist");
  }
}

TEST(Registry, ShapesClassesAndAugmentationFollowTheSpec) {
  struct Row {
    const char* name;
    int classes, channels, side;
    bool crop, flip;
  };
  for (const Row& r : {Row{"mnist", 10, 1, 28, false, false}, Row{"kmnist", 10, 1, 28, false, false},
                       Row{"fmnist", 10, 1, 28, false, true}, Row{"cifar10", 10, 3, 32, true, true},
                       Row{"cifar100", 100, 3, 32, true, true}, Row{"cifar20", 20, 3, 32, true, true},
                       Row{"svhn", 10, 3, 32, true, false}, Row{"stl10", 10, 3, 96, true, true}}) {
    SCOPED_TRACE(r.name);
    const DatasetInfo& d = dataset_info(r.name);
    EXPECT_EQ(d.classes, r.classes);
    EXPECT_EQ(d.channels, r.channels);
    EXPECT_EQ(d.height, r.side);
    EXPECT_EQ(d.width, r.side);
    EXPECT_EQ(d.random_crop, r.crop);
    EXPECT_EQ(d.horizontal_flip, r.flip);
    if (r.crop) {
      EXPECT_EQ(d.crop_padding, 4);
    }
  }
  EXPECT_EQ(dataset_info("cifar10").mean, (std::vector<float>{0.4914f, 0.4822f, 0.4465f}));
  EXPECT_EQ(dataset_info("cifar20").std, (std::vector<float>{0.2023f, 0.1994f, 0.2010f}));
  EXPECT_EQ(dataset_info("kmnist").mean, std::vector<float>{0.1904f});
  EXPECT_EQ(dataset_info("stl10").std, (std::vector<float>{0.260f, 0.257f, 0.271f}));
}

TEST(Registry, NamesAndFiles) {
  EXPECT_EQ(dataset_info("cifar20").class_names.front(), "aquatic_mammals");
  EXPECT_EQ(dataset_info("cifar100").class_names.back(), "worm");
  EXPECT_EQ(dataset_info("kmnist").class_names[3], "tsu");
  EXPECT_EQ(dataset_info("fmnist").class_names[9], "Ankle boot");
  EXPECT_EQ(dataset_info("stl10").class_names[7], "monkey");
  EXPECT_EQ(dataset_info("cifar20").train_files, dataset_info("cifar100").train_files);
  EXPECT_EQ(dataset_info("cifar10").train_files.size(), 5u);
  EXPECT_EQ(dataset_info("fmnist").downloads[0].md5, "8d4fb7e6c68d591d4c3dfef9ec88bf0d");
  EXPECT_EQ(dataset_info("fmnist").test_files,
            (std::vector<std::string>{"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}));
}

TEST(Registry, DataDirResolution) {
  EXPECT_EQ(resolve_data_dir(dataset_info("fmnist"), ""), "/usr/share/datasets/fashion-mnist");
  EXPECT_EQ(resolve_data_dir(dataset_info("fmnist"), "/x"), "/x");
  expect_data_error({"cifar10", "--data-dir", "dcl data fetch"}, [] { resolve_data_dir(dataset_info("cifar10"), ""); });
}

TEST(Registry, LoadFromEmptyDirNamesTheFilesAndTheFetchCommand) {
  TempDir dir;
  expect_data_error({"cifar-10-batches-bin/data_batch_1.bin", "cifar-10-batches-bin/test_batch.bin", dir.path(),
                     "dcl data fetch cifar10 --dir " + dir.path()},
                    [&] { load_dataset("cifar10", dir.path()); });
  expect_data_error({"train_32x32.mat", "test_32x32.mat"}, [&] { load_dataset("svhn", dir.path()); });
}

TEST(Registry, LoadListsOnlyWhatIsMissing) {
  TempDir dir;
  test::write_bytes(dir.file("stl10_binary/train_X.bin"), {});
  try {
    load_dataset("stl10", dir.path());
    FAIL();
  } catch (const DataError& e) {
    const std::string msg = e.what();
    const std::string missing = msg.substr(0, msg.find(". Expected"));
    EXPECT_EQ(missing.find("train_X.bin"), std::string::npos) << msg;
    EXPECT_NE(missing.find("stl10_binary/test_y.bin"), std::string::npos) << msg;
  }
}

std::vector<uint8_t> cifar100_records(std::vector<std::pair<uint8_t, uint8_t>> labels) {
  std::vector<uint8_t> b;
  for (auto [coarse, fine] : labels) {
    b.push_back(coarse);
    b.push_back(fine);
    b.insert(b.end(), 3072, uint8_t(fine));
  }
  return b;
}

TEST(Registry, LoadsCifar100AndCifar20FromTheSameFiles) {
  TempDir dir;
  test::write_bytes(dir.file("cifar-100-binary/train.bin"), cifar100_records({{4, 0}, {1, 30}}));
  test::write_bytes(dir.file("cifar-100-binary/test.bin"), cifar100_records({{19, 99}}));
  const DatasetSplits fine = load_dataset("cifar100", dir.path());
  EXPECT_EQ(fine.train.labels, (std::vector<int32_t>{0, 30}));
  EXPECT_EQ(fine.test.labels, std::vector<int32_t>{99});
  const DatasetSplits coarse = load_dataset("cifar20", dir.path());
  EXPECT_EQ(coarse.train.labels, (std::vector<int32_t>{4, 1}));
  EXPECT_EQ(coarse.test.count, 1);
}

std::vector<uint8_t> idx(uint32_t magic, std::vector<uint32_t> dims, size_t payload, uint8_t value) {
  std::vector<uint8_t> b;
  test::put_be32(b, magic);
  for (uint32_t d : dims) test::put_be32(b, d);
  b.insert(b.end(), payload, value);
  return b;
}

TEST(Registry, LoadsIdxWithPlainOrGzipNames) {
  TempDir dir;
  test::write_bytes(dir.file("train-images-idx3-ubyte"), idx(0x803, {2, 28, 28}, 2 * 784, 9));
  test::write_gzip(dir.file("train-labels-idx1-ubyte.gz"), idx(0x801, {2}, 2, 3));
  test::write_gzip(dir.file("t10k-images-idx3-ubyte.gz"), idx(0x803, {1, 28, 28}, 784, 9));
  test::write_bytes(dir.file("t10k-labels-idx1-ubyte"), idx(0x801, {1}, 1, 5));
  const DatasetSplits s = load_dataset("kmnist", dir.path());
  EXPECT_EQ(s.train.count, 2);
  EXPECT_EQ(s.test.labels, std::vector<int32_t>{5});
}

TEST(Registry, LoadRejectsImagesOfTheWrongShape) {
  TempDir dir;
  test::write_bytes(dir.file("train-images-idx3-ubyte"), idx(0x803, {1, 32, 32}, 1024, 0));
  test::write_bytes(dir.file("train-labels-idx1-ubyte"), idx(0x801, {1}, 1, 0));
  test::write_bytes(dir.file("t10k-images-idx3-ubyte"), idx(0x803, {1, 32, 32}, 1024, 0));
  test::write_bytes(dir.file("t10k-labels-idx1-ubyte"), idx(0x801, {1}, 1, 0));
  expect_data_error({"train-images-idx3-ubyte", "1x32x32", "mnist expects 1x28x28"},
                    [&] { load_dataset("mnist", dir.path()); });
}

}  // namespace
}  // namespace dcl::data

namespace dcl::data {

TEST(Registry, ClassGroupsCoverEveryClassOnce) {
  const DatasetInfo& c100 = dataset_info("cifar100");
  ASSERT_EQ(c100.group_names.size(), 20u);
  ASSERT_EQ(c100.class_group.size(), 100u);
  for (int g = 0; g < 20; ++g)
    EXPECT_EQ(std::count(c100.class_group.begin(), c100.class_group.end(), g), 5) << c100.group_names[size_t(g)];
  // Fine label -> coarse label pairs of the dataset's own records.
  EXPECT_EQ(c100.class_group[4], 0);    // beaver: aquatic_mammals
  EXPECT_EQ(c100.class_group[0], 4);    // apple: fruit_and_vegetables
  EXPECT_EQ(c100.class_group[99], 13);  // worm: non-insect_invertebrates
  EXPECT_EQ(c100.class_group[89], 19);  // tractor: vehicles_2
  // CIFAR-20's classes are those superclasses, in the coarse byte's order.
  EXPECT_EQ(dataset_info("cifar20").class_names, c100.group_names);
  EXPECT_TRUE(dataset_info("cifar20").group_names.empty());
  const DatasetInfo& f = dataset_info("fmnist");
  ASSERT_EQ(f.class_group.size(), 10u);
  EXPECT_EQ(f.class_group[5], f.class_group[9]);  // Sandal, Ankle boot: footwear
  EXPECT_NE(f.class_group[0], f.class_group[7]);  // T-shirt/top, Sneaker
  EXPECT_TRUE(dataset_info("mnist").group_names.empty());
}

}  // namespace dcl::data
