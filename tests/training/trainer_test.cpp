// The trainer on a tiny dataset written by the test: the run directory, the learning-rate
// schedule as applied, stopping and resuming, and refusing to overwrite.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "dcl/training/run_files.h"
#include "dcl/training/trainer.h"
#include "tiny_dataset.h"

using namespace dcl;
namespace fs = std::filesystem;

namespace {

struct TinyRun {
  dcl::data::test::TempDir data, out;
  RunConfig cfg;
  TinyRun(const std::string& method = "dcl") {
    tiny_dataset::write(data.path());
    cfg.method = method;
    cfg.data = "fmnist";
    cfg.data_dir = data.path();
    cfg.fc_width = 64;
    cfg.batch_size = 32;
    cfg.epochs = 3;
    cfg.optimizer.lr = 4e-3;
    cfg.milestones = {1, 2};
    cfg.gamma = 0.5;
    cfg.threads = 1;
    cfg.out = out.path() + "/run";
  }
  std::vector<nlohmann::json> metrics() const {
    std::vector<nlohmann::json> lines;
    std::ifstream f(cfg.out + "/metrics.jsonl");
    for (std::string line; std::getline(f, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }
};

}  // namespace

TEST(Trainer, WritesConfigMetricsSummaryAndCheckpointAndFollowsTheSchedule) {
  TinyRun t;
  nlohmann::json summary = Trainer(t.cfg, false).run();
  ASSERT_FALSE(summary.is_null());
  for (const char* f : {"config.json", "metrics.jsonl", "summary.json", "checkpoint.pt"})
    EXPECT_TRUE(fs::exists(t.cfg.out + "/" + f)) << f;
  EXPECT_FALSE(fs::exists(t.cfg.out + "/checkpoint.pt.tmp"));
  auto lines = t.metrics();
  ASSERT_EQ(lines.size(), 3u);
  // lr = 4e-3 * 0.5^(milestones passed): 4e-3, 2e-3, 1e-3.
  EXPECT_DOUBLE_EQ(lines[0]["lr"].get<double>(), 4e-3);
  EXPECT_DOUBLE_EQ(lines[1]["lr"].get<double>(), 2e-3);
  EXPECT_DOUBLE_EQ(lines[2]["lr"].get<double>(), 1e-3);
  EXPECT_EQ(lines[2]["train_block_losses"].size(), 2u);
  EXPECT_TRUE(lines[2]["train_accuracy"].is_number());
  EXPECT_EQ(summary["steps"].get<int64_t>(), 3 * 16);      // 512 images in batches of 32
  EXPECT_GT(summary["test_accuracy"].get<double>(), 0.5);  // the bars are easy; chance is 0.1
  RunConfig saved = RunConfig::from_json(read_json_file(t.cfg.out + "/config.json"));
  EXPECT_EQ(saved.to_json(), t.cfg.to_json());
}

TEST(Trainer, AMethodWithoutATrainingPredictionLogsNoTrainingAccuracy) {
  TinyRun t("ff");
  t.cfg.epochs = 1;
  ASSERT_FALSE(Trainer(t.cfg, false).run().is_null());
  EXPECT_TRUE(t.metrics().at(0)["train_accuracy"].is_null());
}

TEST(Trainer, StopsWithACheckpointAndResumesWhereItStopped) {
  TinyRun t;
  t.cfg.stop_after_steps = 20;  // mid-epoch 2
  EXPECT_TRUE(Trainer(t.cfg, false).run().is_null());
  EXPECT_TRUE(fs::exists(t.cfg.out + "/checkpoint.pt"));
  EXPECT_FALSE(fs::exists(t.cfg.out + "/summary.json"));
  EXPECT_EQ(t.metrics().size(), 1u);  // epoch 1 finished, epoch 2 not
  t.cfg.stop_after_steps = 0;
  nlohmann::json summary = Trainer(t.cfg, true).run();
  ASSERT_FALSE(summary.is_null());
  EXPECT_EQ(summary["steps"].get<int64_t>(), 48);
  EXPECT_EQ(t.metrics().size(), 3u);
}

TEST(Trainer, RefusesToOverwriteARunAndToResumeNothing) {
  TinyRun t;
  t.cfg.stop_after_steps = 1;
  Trainer(t.cfg, false).run();
  std::string before = read_json_file(t.cfg.out + "/config.json").dump();
  try {
    Trainer(t.cfg, false);
    FAIL() << "a second run into the same directory was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--resume"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_json_file(t.cfg.out + "/config.json").dump(), before);
  RunConfig other = t.cfg;
  other.out = t.out.path() + "/empty";
  EXPECT_THROW(Trainer(other, true), std::invalid_argument);
}

TEST(Trainer, AnUnknownMethodIsAnErrorBeforeAnythingIsWritten) {
  TinyRun t("magic");
  EXPECT_THROW(Trainer(t.cfg, false), std::invalid_argument);
  EXPECT_FALSE(fs::exists(t.cfg.out));
}
