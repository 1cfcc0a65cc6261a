// Folder datasets end to end in the data layer: the survey, bad files, the cache, streaming, and
// the recipes that bring any size to the input.
#include "dcl/data/folder_dataset.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "dcl/data/image_cache.h"
#include "dcl/data/render_sample.h"
#include "image_tree.h"

using namespace dcl::data;
using namespace dcl::data::test;

namespace {

DataOptions options(int size = 0, const std::string& loading = "cache") {
  DataOptions o;
  o.image_size = size;
  o.loading = loading;
  o.threads = 2;
  return o;
}

std::vector<float> render(const ImageSet& set, const DatasetInfo& info, int64_t i, bool train, uint64_t seed) {
  std::vector<float> out(size_t(info.channels) * info.height * info.width);
  SampleDraw d;
  d.crop_seed = seed;
  render_sample(set, info, i, train, d, out.data());
  return out;
}

}  // namespace

TEST(FolderDataset, GreyTreeOfOneSizeIsItsOwnInputWithTheFashionMnistRecipe) {
  ScopedCacheDir cache;
  TempDir tree;
  write_flat_tree(tree.path(), {"a", "b", "c"}, 4, 2, 12, 1);
  DatasetInfo info = folder_dataset_info("folder:" + tree.path(), options());
  EXPECT_EQ(info.classes, 3);
  EXPECT_EQ(info.channels, 1);
  EXPECT_EQ(info.height, 12);
  EXPECT_FALSE(info.resized_crop);
  EXPECT_FALSE(info.random_crop);
  EXPECT_TRUE(info.horizontal_flip);
  EXPECT_EQ(info.preset_class, PresetClass::FashionMnist);
  // Levels 40..162 of 255 across the classes: the sample's mean lies between.
  EXPECT_GT(info.mean[0], 40 / 255.f);
  EXPECT_LT(info.mean[0], 163 / 255.f);
  DatasetSplits s = load_folder_dataset(info, options());
  EXPECT_EQ(s.train.count, 12);
  EXPECT_EQ(s.test.count, 6);
  EXPECT_TRUE(s.train.mapped != nullptr);
  // Every stored image is its file's pixels, under its own label.
  for (int64_t i = 0; i < s.train.count; ++i) {
    int level = s.train.image(i)[0];
    EXPECT_EQ(s.train.labels[size_t(i)], (level - 40) / 60) << level;
  }
}

TEST(FolderDataset, MixedSizesNeedAnImageSizeAndColourMakesEveryImageRgb) {
  ScopedCacheDir cache;
  TempDir tree;
  write_flat_tree(tree.path(), {"a", "b"}, 2, 1, 20, 3);
  write_png(tree.file("train/a/wide.png"), flat_image(10, 30, 1, 99));
  expect_data_error({"20-30 pixels wide and 10-20 high", "--image-size"},
                    [&] { folder_dataset_info("folder:" + tree.path(), options()); });
  DatasetInfo info = folder_dataset_info("folder:" + tree.path(), options(16));
  EXPECT_EQ(info.channels, 3);
  EXPECT_EQ(info.height, 16);
  EXPECT_TRUE(info.random_crop);
  EXPECT_EQ(info.crop_padding, 2);
  DatasetSplits s = load_folder_dataset(info, options(16));
  EXPECT_EQ(s.train.height, 16);
  EXPECT_EQ(s.train.count, 5);
}

TEST(FolderDataset, BadFilesStopWithTheirNameOrAreSkippedAndCounted) {
  ScopedCacheDir cache;
  TempDir tree;
  write_flat_tree(tree.path(), {"a", "b"}, 3, 1, 8, 1);
  write_bytes(tree.file("train/a/zero.png"), {});
  write_bytes(tree.file("train/b/text.jpg"), {'h', 'i'});
  expect_data_error({"zero.png", "empty", "(and 1 more bad file)", "--skip-bad-images"},
                    [&] { folder_dataset_info("folder:" + tree.path(), options()); });
  DataOptions skip = options();
  skip.skip_bad_images = true;
  DatasetInfo info = folder_dataset_info("folder:" + tree.path(), skip);
  ASSERT_EQ(info.folder->skipped.size(), 2u);
  DatasetSplits s = load_folder_dataset(info, skip);
  EXPECT_EQ(s.train.count, 6);
  EXPECT_EQ(s.skipped_images, 2);
  // Damaged past a valid header: found while decoding into the cache.
  std::vector<uint8_t> cut = encode_png(make_image(8, 8, 1, [](int y, int x, int) { return y * 31 + x; }));
  cut.resize(cut.size() - 20);
  write_bytes(tree.file("val/a/cut.png"), cut);
  DatasetInfo again = folder_dataset_info("folder:" + tree.path(), skip);
  EXPECT_EQ(load_folder_dataset(again, skip).skipped_images, 3);
  DataOptions strict = options();
  std::filesystem::remove(tree.file("train/a/zero.png"));
  std::filesystem::remove(tree.file("train/b/text.jpg"));
  DatasetInfo damaged = folder_dataset_info("folder:" + tree.path(), strict);
  expect_data_error({"cut.png", "damaged PNG"}, [&] { load_folder_dataset(damaged, strict); });
}

TEST(FolderDataset, AClassLeftWithoutImagesIsRefused) {
  ScopedCacheDir cache;
  TempDir tree;
  write_flat_tree(tree.path(), {"a", "b"}, 1, 1, 8, 1);
  write_bytes(tree.file("train/b/0.png"), {});
  DataOptions skip = options();
  skip.skip_bad_images = true;
  expect_data_error({"class b has no readable training images"},
                    [&] { folder_dataset_info("folder:" + tree.path(), skip); });
}

TEST(FolderDataset, TheCacheIsReusedAndRebuiltWhenAFileChanges) {
  ScopedCacheDir cache;
  TempDir tree;
  write_flat_tree(tree.path(), {"a", "b"}, 2, 1, 8, 1);
  DatasetInfo info = folder_dataset_info("folder:" + tree.path(), options());
  load_folder_dataset(info, options());
  ASSERT_TRUE(std::filesystem::exists(info.folder->cache_file));
  auto written = std::filesystem::last_write_time(info.folder->cache_file);
  EXPECT_EQ(folder_dataset_info("folder:" + tree.path(), options()).folder->cache_file, info.folder->cache_file);
  load_folder_dataset(info, options());
  EXPECT_EQ(std::filesystem::last_write_time(info.folder->cache_file), written);  // mapped, not rebuilt
  write_png(tree.file("train/a/0.png"), flat_image(8, 8, 1, 250));
  std::filesystem::last_write_time(tree.file("train/a/0.png"),
                                   std::filesystem::file_time_type::clock::now() + std::chrono::seconds(5));
  DatasetInfo changed = folder_dataset_info("folder:" + tree.path(), options());
  EXPECT_NE(changed.folder->cache_file, info.folder->cache_file);
  DatasetSplits s = load_folder_dataset(changed, options());
  bool seen = false;
  for (int64_t i = 0; i < s.train.count; ++i) seen = seen || s.train.image(i)[0] == 250;
  EXPECT_TRUE(seen);
  // A damaged cache file is rebuilt, not read.
  std::ofstream(changed.folder->cache_file, std::ios::binary | std::ios::trunc) << "garbage";
  EXPECT_EQ(load_folder_dataset(changed, options()).train.count, 4);
}

TEST(FolderDataset, StreamedAndCachedSamplesAreTheSameForSmallImages) {
  ScopedCacheDir cache;
  TempDir tree;
  for (int k = 0; k < 2; ++k)
    for (int i = 0; i < 3; ++i)
      write_png(
          tree.file(std::string(i < 2 ? "train/" : "val/") + char('a' + k) + "/" + std::to_string(i) + ".png"),
          make_image(20, 26, 3, [&](int y, int x, int c) { return (y * 11 + x * 5 + c * 70 + k * 90 + i) % 256; }));
  DatasetInfo cached = folder_dataset_info("folder:" + tree.path(), options(16, "cache"));
  DatasetInfo streamed = folder_dataset_info("folder:" + tree.path(), options(16, "stream"));
  ASSERT_TRUE(streamed.folder->stream);
  DatasetSplits a = load_folder_dataset(cached, options(16, "cache")),
                b = load_folder_dataset(streamed, options(16, "stream"));
  ASSERT_TRUE(b.train.streamed());
  for (int64_t i = 0; i < a.train.count; ++i)
    EXPECT_EQ(render(a.train, cached, i, false, 0), render(b.train, streamed, i, false, 0));
}

TEST(FolderDataset, LargeImagesTakeResizedCropsAndTheTestCentreCrop) {
  ScopedCacheDir cache;
  TempDir tree;
  // Left half dark, right half bright: the test view's centre crop shows both halves.
  for (const char* split : {"train", "val"})
    for (const char* k : {"a", "b"})
      write_jpeg(tree.file(std::string(split) + "/" + k + "/0.jpg"),
                 make_image(150, 200, 3, [](int, int x, int) { return x < 100 ? 20 : 230; }));
  for (const char* loading : {"cache", "stream"}) {
    DatasetInfo info = folder_dataset_info("folder:" + tree.path(), options(96, loading));
    EXPECT_TRUE(info.resized_crop);
    EXPECT_EQ(info.stored_size, 110);  // round(96 / 0.875)
    EXPECT_EQ(info.preset_class, PresetClass::Stl10);
    DatasetSplits s = load_folder_dataset(info, options(96, loading));
    std::vector<uint8_t> view(size_t(3 * 96 * 96));
    test_view(s.test, info, 0, view.data());
    EXPECT_LT(int(view[size_t(48 * 96 + 5)]), 60) << loading;
    EXPECT_GT(int(view[size_t(48 * 96 + 90)]), 190) << loading;
    // Train crops depend on the seed alone.
    EXPECT_EQ(render(s.train, info, 0, true, 7), render(s.train, info, 0, true, 7)) << loading;
    EXPECT_NE(render(s.train, info, 0, true, 7), render(s.train, info, 0, true, 8)) << loading;
  }
}

TEST(FolderDataset, ListDatasetsReadTheirFilesRelativeToTheRoot) {
  ScopedCacheDir cache;
  TempDir tree;
  write_flat_tree(tree.path(), {"a", "b"}, 2, 1, 8, 1);
  std::ofstream(tree.file("train.txt")) << "train/a/0.png cat\ntrain/a/1.png cat\ntrain/b/0.png dog\n";
  std::ofstream(tree.file("test.txt")) << "val/b/2.png dog\n";
  DatasetInfo info = folder_dataset_info("list:" + tree.file("train.txt") + "," + tree.file("test.txt"), options());
  EXPECT_EQ(info.class_names, (std::vector<std::string>{"cat", "dog"}));
  DatasetSplits s = load_folder_dataset(info, options());
  EXPECT_EQ(s.train.count, 3);
  EXPECT_EQ(s.test.count, 1);
  EXPECT_EQ(s.test.labels[0], 1);
  expect_data_error({"list:TRAIN.txt,TEST.txt"},
                    [&] { folder_dataset_info("list:" + tree.file("train.txt"), options()); });
}

TEST(FolderDataset, NormalisationGivenByFlagsReplacesTheComputedOne) {
  ScopedCacheDir cache;
  TempDir tree;
  write_flat_tree(tree.path(), {"a", "b"}, 2, 1, 8, 3);
  DataOptions o = options();
  o.mean = {0.1f, 0.2f, 0.3f};
  o.std = {0.5f, 0.5f, 0.5f};
  const DatasetInfo& info = dataset_info("folder:" + tree.path(), o);
  EXPECT_EQ(info.mean, o.mean);
  EXPECT_EQ(info.std, o.std);
  o.mean = {0.1f};
  o.std = {0.5f};
  EXPECT_THROW(dataset_info("folder:" + tree.path(), o), std::invalid_argument);  // 3 channels
  DataOptions grey;
  grey.mean = {0.5f};
  grey.std = {0.f};
  EXPECT_THROW(dataset_info("mnist", grey), std::invalid_argument);
  grey.std = {0.25f};
  EXPECT_EQ(dataset_info("mnist", grey).std, std::vector<float>{0.25f});
  EXPECT_EQ(dataset_info("mnist").std, std::vector<float>{0.5f});  // the registry's own is untouched
}

TEST(FolderDataset, TheHeaderSurveyIsRememberedUntilAFileChanges) {
  ScopedCacheDir cache;
  TempDir tree;
  write_flat_tree(tree.path(), {"a", "b"}, 2, 1, 8, 1);
  folder_dataset_info("folder:" + tree.path(), options());
  int surveys = 0;
  for (const auto& e : std::filesystem::directory_iterator(cache.dir.path()))
    surveys += e.path().filename().string().rfind("survey-", 0) == 0;
  EXPECT_EQ(surveys, 1);
  // Same size and time, other bytes: the remembered survey is used (the file is not read again).
  const std::string file = tree.file("train/a/0.png");
  const auto when = std::filesystem::last_write_time(file);
  std::vector<uint8_t> junk(std::filesystem::file_size(file), 'x');
  write_bytes(file, junk);
  std::filesystem::last_write_time(file, when);
  EXPECT_NO_THROW(folder_dataset_info("folder:" + tree.path(), options()));
  // A new time: surveyed again, and the junk is found.
  std::filesystem::last_write_time(file, when + std::chrono::seconds(3));
  expect_data_error({"0.png", "not a JPEG or PNG"}, [&] { folder_dataset_info("folder:" + tree.path(), options()); });
}
