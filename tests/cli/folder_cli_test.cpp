// Folder datasets through the trainer and the dcl binary: every method, the pipeline, two
// processes, streaming with exact resume, bad files, and `dcl data info`.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "cli/cli_test_util.h"
#include "data/image_tree.h"
#include "dcl/methods/method.h"
#include "dcl/training/trainer.h"
#include "test_models.h"

using namespace dcl;
using namespace cli_test;
using namespace dcl::data::test;
namespace fs = std::filesystem;

namespace {

// 3 classes of 28 x 28 grey PNGs told apart by brightness and a stripe, 16 train and 6 test each;
// the caches go to a folder of the test's own.
struct FolderTree {
  ScopedCacheDir cache;  // first: set before the tree is surveyed, unset after it is gone
  TempDir dir;
  FolderTree() {
    for (int k = 0; k < 3; ++k)
      for (int i = 0; i < 22; ++i)
        write_png(dir.file(std::string(i < 16 ? "train/" : "val/") + "class" + char('a' + k) + "/" + std::to_string(i) +
                           ".png"),
                  make_image(28, 28, 1,
                             [&](int y, int x, int) { return 30 + 70 * k + (y == 4 * k + 3) * 100 + (x * i) % 7; }));
  }
  std::string data() const { return "folder:" + dir.path(); }
};

RunConfig folder_run(const FolderTree& tree, const std::string& method, const std::string& out) {
  RunConfig c;
  c.method = method;
  c.arch = test_models::smallest_arch(method);
  c.data = tree.data();
  c.fc_width = 64;
  c.fc_patches = 8;
  c.batch_size = 8;
  c.optimizer.lr = 1e-3;
  c.threads = 1;
  c.seed = 5;
  c.epochs = 1;
  c.out = out;
  return c;
}

}  // namespace

class EveryMethodOnAFolderE2E : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryMethodOnAFolderE2E, TrainsAndEvaluatesEveryTestImage) {
  FolderTree tree;
  std::string out = temp_dir("folder_" + test_models::identifier(GetParam()));
  RunConfig c = folder_run(tree, GetParam(), out);
  nlohmann::json summary = Trainer(c, false).run();
  ASSERT_FALSE(summary.is_null());
  EXPECT_EQ(summary["steps"], 6);  // 48 images, batch 8
  EXPECT_EQ(summary["skipped_images"], 0);
  double accuracy = summary["test_accuracy"];
  EXPECT_GE(accuracy, 0.0);
  EXPECT_LE(accuracy, 1.0);
  EXPECT_EQ(read_json(out + "/config.json")["data"], tree.data());
  fs::remove_all(out);
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryMethodOnAFolderE2E, ::testing::ValuesIn(method_names()),
                         [](const auto& info) { return test_models::identifier(info.param); });

TEST(FolderE2E, AStreamedRunResumedMidEpochEndsAsAnUninterruptedCachedOne) {
  FolderTree tree;
  std::string a = temp_dir("folder_whole"), b = temp_dir("folder_parts");
  RunConfig c = folder_run(tree, "dcl", a);
  c.epochs = 2;
  c.augment = "crop-flip";
  nlohmann::json whole = Trainer(c, false).run();
  c.out = b;
  c.image_loading = "stream";
  c.loader_threads = 2;
  c.stop_after_steps = 4;
  EXPECT_TRUE(Trainer(c, false).run().is_null());
  c.stop_after_steps = 0;
  nlohmann::json parts = Trainer(c, true).run();
  for (const char* key : {"test_accuracy", "test_loss", "steps"}) EXPECT_EQ(whole[key], parts[key]) << key;
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST(FolderE2E, ThePipelineAndTwoProcessesAcceptAFolderDataset) {
  FolderTree tree;
  const std::string base = "train --data " + tree.data() +
                           " --arch fc --fc-width 64 --method dcl --threads 1 "
                           "--epochs 1 --image-loading stream --loader-threads 2";
  std::string pipe = temp_dir("folder_pipe"), dp = temp_dir("folder_dp");
  CliResult p = run_dcl(base + " --batch-size 8 --schedule pipeline --out " + pipe);
  ASSERT_EQ(p.code, 0) << p.output;
  EXPECT_EQ(read_json(pipe + "/summary.json")["steps"], 6);
  CliResult d = run_dcl(base + " --nproc 2 --batch-size 4 --out " + dp);
  ASSERT_EQ(d.code, 0) << d.output;
  EXPECT_EQ(read_json(dp + "/summary.json")["steps"], 6);
  fs::remove_all(pipe);
  fs::remove_all(dp);
}

TEST(FolderCli, ABadFileStopsBeforeTheRunDirectoryOrIsSkippedAndCounted) {
  FolderTree tree;
  write_bytes(tree.dir.file("train/classb/broken.jpg"), {0xFF, 0xD8, 0xFF, 0x00, 0x01});
  std::string out = temp_dir("folder_bad");
  const std::string args =
      "train --data " + tree.data() + " --arch fc --fc-width 64 --threads 1 --epochs 1 --out " + out;
  CliResult r = run_dcl(args);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("broken.jpg: not a readable"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--skip-bad-images"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));
  r = run_dcl(args + " --skip-bad-images");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("skipped 1 bad image files"), std::string::npos) << r.output;
  EXPECT_EQ(read_json(out + "/summary.json")["skipped_images"], 1);
  EXPECT_EQ(read_json(out + "/config.json")["skip_bad_images"], true);
  fs::remove_all(out);
}

TEST(FolderCli, DataInfoPrintsCountsPerClassSizesAndStatistics) {
  FolderTree tree;
  CliResult r = run_dcl("data info " + tree.data());
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* part : {"classa", "16 train", "6 test", "sizes seen:   28-28 x 28-28", "all grey",
                           "input:        1x28x28", "channel 0:    mean", "cached in"})
    EXPECT_NE(r.output.find(part), std::string::npos) << part << "\n" << r.output;
  r = run_dcl("data info folder:" + tree.dir.path() + "/missing");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("missing: no such folder"), std::string::npos) << r.output;
}
