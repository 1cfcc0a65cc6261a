// End-to-end through the `dcl` binary on real Fashion-MNIST: dcl analyze, dcl report and
// dcl train --tensorboard on short runs.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_test_util.h"

using namespace cli_test;
namespace fs = std::filesystem;

// A named namespace: a test fixture in an anonymous one, defined in a file that a unity build
// includes, draws GCC's -Wsubobject-linkage.
namespace analyze_cli_test {

// A PNG file: its signature and a size beyond a blank header.
bool is_png(const std::string& path) {
  std::string bytes = read_file(path);
  return bytes.size() > 1000 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
}

// Short runs shared by the tests of this suite (trained once).
class AnalyzeCliE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_fmnist()) return;
    root_ = temp_dir("analyze");
    const std::string common = " --data fmnist --epochs 1 --batch-size 128 --threads 2 --seed 5";
    for (const auto& [name, args] : std::vector<std::pair<std::string, std::string>>{
             {"fc-dcl", "--arch fc --method dcl --limit-train 4096 --limit-test 1000 --tensorboard " + root_ + "/tb"},
             {"fc-feat", "--arch fc --method feat --limit-train 2048 --limit-test 500"},
             {"conv-dcl", "--arch simple256 --method dcl --limit-train 512 --limit-test 200"}}) {
      CliResult r = run_dcl("train" + common + " " + args + " --out " + root_ + "/" + name);
      if (r.code != 0) setup_error_ += name + ": " + r.output;
    }
  }
  static void TearDownTestSuite() {
    if (!root_.empty()) fs::remove_all(root_);
  }
  void SetUp() override {
    if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
  }
  static std::string run(const std::string& name) { return root_ + "/" + name; }
  static std::string root_, setup_error_;
};
std::string AnalyzeCliE2E::root_, AnalyzeCliE2E::setup_error_;

}  // namespace analyze_cli_test

using namespace analyze_cli_test;

TEST_F(AnalyzeCliE2E, SaliencyOfAConvBlockOverTheImages) {
  CliResult r = run_dcl("analyze saliency --run " + run("conv-dcl") + " --index 0 3 7");
  ASSERT_EQ(r.code, 0) << r.output;
  std::string dir = run("conv-dcl") + "/analysis";
  EXPECT_TRUE(is_png(dir + "/saliency.png"));
  EXPECT_TRUE(fs::file_size(dir + "/saliency.pt") > 0);
  auto j = read_json(dir + "/saliency.json");
  EXPECT_TRUE(j["spatial"].get<bool>());
  ASSERT_EQ(j["images"].size(), 3u);
  EXPECT_EQ(j["images"][1]["index"], 3);
  EXPECT_EQ(j["map_shape"][0], 3);
  EXPECT_EQ(j["map_shape"][1], 2);
  for (const auto& image : j["images"]) {
    const auto& top = image["top"];
    EXPECT_NE(top[0]["label"], top[1]["label"]);
    EXPECT_GE(top[0]["probability"].get<double>(), top[1]["probability"].get<double>());
    double share = top[0]["object_share"].get<double>();
    EXPECT_GE(share, 0.0);
    EXPECT_LE(share, 1.0);
  }
  EXPECT_NE(j["caption"].get<std::string>().find("<h_k, pool(t_z)>"), std::string::npos);
}

TEST_F(AnalyzeCliE2E, SaliencyOfAnFcBlockIsPerPatch) {
  std::string out = root_ + "/fc-saliency";
  CliResult r = run_dcl("analyze saliency --run " + run("fc-dcl") + " --images 2 --block 0 --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = read_json(out + "/saliency.json");
  EXPECT_FALSE(j["spatial"].get<bool>());
  EXPECT_EQ(j["block_index"], 0);
  EXPECT_EQ(j["map_shape"], nlohmann::json({2, 2, 8}));  // 2 images, top-2, P = 8 patches
  EXPECT_TRUE(is_png(out + "/saliency.png"));
}

TEST_F(AnalyzeCliE2E, AnalysesRefuseRunsThatCannotGiveThem) {
  CliResult r = run_dcl("analyze saliency --run " + run("fc-feat"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("saliency needs a dictionary method (dcl, dcl-s); this run's method is 'feat'"),
            std::string::npos)
      << r.output;
  r = run_dcl("analyze embeddings --run " + run("fc-feat"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("has no label embeddings"), std::string::npos) << r.output;
  r = run_dcl("analyze saliency --run " + root_ + "/no-such-run");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("no-such-run/config.json"), std::string::npos) << r.output;
  r = run_dcl("analyze saliency --run " + run("conv-dcl") + " --index 10000");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("image index 10000 is outside the test set"), std::string::npos) << r.output;
}

TEST_F(AnalyzeCliE2E, EmbeddingStructureWithTheClassGroups) {
  CliResult r = run_dcl("analyze embeddings --run " + run("fc-dcl"));
  ASSERT_EQ(r.code, 0) << r.output;
  std::string dir = run("fc-dcl") + "/analysis";
  EXPECT_TRUE(is_png(dir + "/embeddings_similarity.png"));
  EXPECT_TRUE(is_png(dir + "/embeddings_dendrogram.png"));
  auto j = read_json(dir + "/embeddings_similarity.json");
  ASSERT_EQ(j["similarity"].size(), 100u);
  for (int i = 0; i < 10; ++i) EXPECT_NEAR(j["similarity"][size_t(i * 11)].get<double>(), 1.0, 1e-9);
  EXPECT_EQ(j["nearest_neighbours"]["Sneaker"].size(), 3u);
  auto share = j["same_group_neighbour_share"];
  EXPECT_GE(share["observed"].get<double>(), 0.0);
  // Fashion-MNIST's groups (4 tops, 3 footwear, 3 alone): chance = (4*3/9 + 3*2/9) / 10.
  EXPECT_NEAR(share["chance"].get<double>(), (4 * 3.0 / 9 + 3 * 2.0 / 9) / 10, 1e-9);
  auto d = read_json(dir + "/embeddings_dendrogram.json");
  EXPECT_EQ(d["merges"].size(), 9u);
}

TEST_F(AnalyzeCliE2E, ConfusionAgreesWithTheRunsOwnAccuracy) {
  CliResult r = run_dcl("analyze confusion --run " + run("fc-dcl"));
  ASSERT_EQ(r.code, 0) << r.output;
  std::string dir = run("fc-dcl") + "/analysis";
  auto j = read_json(dir + "/confusion.json");
  auto summary = read_json(run("fc-dcl") + "/summary.json");
  EXPECT_EQ(j["samples"], 1000);  // the run's --limit-test
  EXPECT_NEAR(j["accuracy"].get<double>(), summary["test_accuracy"].get<double>(), 1e-12);
  int64_t total = 0;
  for (const auto& c : j["counts"]) total += c.get<int64_t>();
  EXPECT_EQ(total, 1000);
  EXPECT_TRUE(is_png(dir + "/confusion.png"));
  EXPECT_TRUE(is_png(dir + "/confusion_vs_similarity.png"));
  auto s = read_json(dir + "/confusion_vs_similarity.json");
  EXPECT_EQ(s["pairs"], 45);
  EXPECT_TRUE(s["spearman"].is_number());
  EXPECT_GE(s["spearman"].get<double>(), -1.0);
  EXPECT_LE(s["spearman"].get<double>(), 1.0);
  // The last block's own dictionary prediction, as the summary reports it.
  r = run_dcl("analyze confusion --run " + run("fc-dcl") + " --block 1 --out " + root_ + "/conf-block1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NEAR(read_json(root_ + "/conf-block1/confusion.json")["accuracy"].get<double>(),
              summary["last_layer_accuracy"].get<double>(), 1e-12);
}

TEST_F(AnalyzeCliE2E, MutualInformationPerBlockForTwoRuns) {
  CliResult r = run_dcl("analyze mi --runs " + run("fc-dcl") + " " + run("fc-feat") +
                        " --probe-train 1000 --probe-test 500 --probe-epochs 10 --out " + root_ + "/mi");
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = read_json(root_ + "/mi/mi.json");
  ASSERT_EQ(j["runs"].size(), 2u);
  for (const auto& run : j["runs"]) {
    ASSERT_EQ(run["depths"].size(), 3u);  // the input, block0, block1
    for (const auto& d : run["depths"]) {
      EXPECT_NEAR(d["H_r"].get<double>(), std::log(4.0), 0.05);
      EXPECT_LE(d["I_h_y"].get<double>(), d["H_y"].get<double>());
      EXPECT_LE(d["I_h_r"].get<double>(), d["H_r"].get<double>());
    }
    // The trained blocks carry much of the label (chance would be near 0).
    EXPECT_GT(run["depths"][2]["I_h_y"].get<double>(), 0.8);
  }
  // The input carries the nuisance plainly: a linear probe reads it.
  EXPECT_GT(j["runs"][0]["depths"][0]["I_h_r"].get<double>(), 0.5);
  EXPECT_TRUE(is_png(root_ + "/mi/mi.png"));
}

TEST_F(AnalyzeCliE2E, ReportEmbedsTheRunsAndTheirFigures) {
  ASSERT_EQ(run_dcl("analyze embeddings --run " + run("fc-dcl")).code, 0);
  std::string out = root_ + "/report.html";
  CliResult r = run_dcl("report " + run("fc-dcl") + " " + run("fc-feat") + " --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  std::string html = read_file(out);
  EXPECT_NE(html.find("data:image/png;base64,"), std::string::npos);
  EXPECT_NE(html.find("feat"), std::string::npos);
  EXPECT_EQ(html.find("<script src=\"http"), std::string::npos);  // nothing fetched from the network
  r = run_dcl("report " + root_ + " --out " + root_ + "/bad.html");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_FALSE(fs::exists(root_ + "/bad.html"));
}

#ifdef DCL_TOOLS_PYTHON
TEST_F(AnalyzeCliE2E, TensorBoardReadsTheTrainingCurves) {
  // The real tensorboard package reads the files (its warnings on stderr kept apart from the JSON).
  std::string errors = root_ + "/tb-reader.err";
  CliResult r = run_dcl_raw("(" + std::string(DCL_TOOLS_PYTHON) + " " + DCL_TEST_SOURCE_DIR +
                            "/report/read_tensorboard_events.py " + root_ + "/tb 2>" + errors + ")");
  ASSERT_EQ(r.code, 0) << r.output << read_file(errors);
  auto j = nlohmann::json::parse(r.output);
  auto summary = read_json(run("fc-dcl") + "/summary.json");
  int64_t steps = summary["steps"].get<int64_t>();  // 4096 / 128 = 32
  ASSERT_EQ(j["train/loss"].size(), size_t(steps));
  EXPECT_EQ(j["train/loss"].back()[0], steps);
  for (const char* tag :
       {"train/block0_loss", "train/block1_loss", "train/lr", "test/block0_accuracy", "test/block1_accuracy",
        "test/ensemble_accuracy", "speed/images_per_second", "memory/peak_mib"})
    EXPECT_TRUE(j.contains(tag)) << tag;
  EXPECT_NEAR(j["test/head_accuracy"][0][1].get<double>(), summary["test_accuracy"].get<double>(), 1e-6);
  std::string metrics = read_file(run("fc-dcl") + "/metrics.jsonl");
  EXPECT_NEAR(j["train/lr"][0][1].get<double>(), nlohmann::json::parse(metrics)["lr"].get<double>(), 1e-9);
}
#endif

TEST(AnalyzeCifar100E2E, EmbeddingsAreOrderedBySuperclass) {
  // A few CIFAR-100 records in the dataset's own binary format: coarse byte, fine byte, 3072 pixels.
  std::string data = temp_dir("cifar100_data"), out = temp_dir("cifar100_run");
  fs::create_directories(data + "/cifar-100-binary");
  for (const auto& [name, count] : std::vector<std::pair<std::string, int>>{{"train.bin", 200}, {"test.bin", 100}}) {
    std::string bytes;
    for (int i = 0; i < count; ++i) {
      bytes += char(0);  // the coarse byte (dcl reads the fine one for cifar100)
      bytes += char(i % 100);
      bytes += std::string(3072, char(37 * i % 256));
    }
    std::ofstream(data + "/cifar-100-binary/" + name, std::ios::binary) << bytes;
  }
  CliResult r = run_dcl("train --data cifar100 --data-dir " + data +
                        " --arch fc --method dcl-s --epochs 1 --batch-size 50 --threads 2 --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  r = run_dcl("analyze embeddings --run " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = read_json(out + "/analysis/embeddings_similarity.json");
  ASSERT_EQ(j["groups"].size(), 20u);
  ASSERT_EQ(j["order"].size(), 100u);
  // The heat map runs through the superclasses one after another, 5 labels each.
  for (size_t k = 0; k < 100; ++k) EXPECT_EQ(j["class_group"][j["order"][k].get<size_t>()].get<int>(), int(k / 5)) << k;
  // A random other label shares the superclass with probability 4 / 99.
  EXPECT_NEAR(j["same_group_neighbour_share"]["chance"].get<double>(), 4.0 / 99.0, 1e-12);
  fs::remove_all(data);
  fs::remove_all(out);
}
