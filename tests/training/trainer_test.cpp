// The trainer on a tiny dataset written by the test: the run directory, the learning-rate
// schedule as applied, stopping and resuming, refusing to overwrite, and failing safely (a full
// disk, a concurrent run, a diverged loss, a tiny last batch).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "dcl/nn/conv_block.h"
#include "dcl/runtime/run_lock.h"
#include "dcl/training/build_model.h"
#include "dcl/training/checkpoint.h"
#include "dcl/training/run_files.h"
#include "dcl/training/trainer.h"
#include "file_size_limit.h"
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

TEST(Trainer, ARunDirectoryHasOneOwnerAtATime) {
  TinyRun t;
  RunLock other_process(t.cfg.out);  // as a concurrent `dcl train --out` holds it
  try {
    Trainer(t.cfg, false);
    FAIL() << "a second run was let into a directory in use";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("in use by another dcl process"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(existing_run_files(t.cfg.out).empty());  // nothing was written
}

TEST(Trainer, AFinishedRunWithoutItsCheckpointIsNeverOverwritten) {
  TinyRun t;
  t.cfg.epochs = 1;
  ASSERT_FALSE(Trainer(t.cfg, false).run().is_null());
  fs::remove(t.cfg.out + "/checkpoint.pt");
  std::string summary = read_text_file(t.cfg.out + "/summary.json"),
              metrics = read_text_file(t.cfg.out + "/metrics.jsonl");
  try {
    Trainer(t.cfg, false);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("config.json, metrics.jsonl, summary.json"), std::string::npos) << e.what();
  }
  try {
    Trainer(t.cfg, true);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("no checkpoint.pt"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_text_file(t.cfg.out + "/summary.json"), summary);
  EXPECT_EQ(read_text_file(t.cfg.out + "/metrics.jsonl"), metrics);
}

TEST(Trainer, EnsembleWeightsOfTheWrongCountAreRefusedBeforeAnyDataIsRead) {
  TinyRun t;
  t.cfg.data_dir = t.data.path() + "/absent";  // reading data would fail with another message
  t.cfg.ensemble_weights = {1.0};              // dcl on fc has 2 scoring blocks
  try {
    Trainer(t.cfg, false);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--ensemble-weights has 1 values but the model has 2"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(t.cfg.out));
  t.cfg.ensemble_weights = {1.0, 2.0};
  t.cfg.data_dir = t.data.path();
  t.cfg.epochs = 1;
  EXPECT_FALSE(Trainer(t.cfg, false).run().is_null());
}

TEST(Trainer, AnEpochLoggedButNotCheckpointedIsLoggedOnceAfterResume) {
  TinyRun t;
  t.cfg.epochs = 2;
  t.cfg.stop_after_steps = 16;  // exactly epoch 1: stops after its checkpoint
  EXPECT_TRUE(Trainer(t.cfg, false).run().is_null());
  // A kill after epoch 2's metrics line, before its checkpoint: the line is there, the checkpoint is epoch 1's.
  append_metrics_line(t.cfg.out, {{"epoch", 2}, {"lr", 1.0}});
  t.cfg.stop_after_steps = 0;
  ASSERT_FALSE(Trainer(t.cfg, true).run().is_null());
  auto lines = t.metrics();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["epoch"], 1);
  EXPECT_EQ(lines[1]["epoch"], 2);
  EXPECT_DOUBLE_EQ(lines[1]["lr"].get<double>(), 2e-3);  // the real epoch 2, not the stale line
}

TEST(Trainer, AFullDiskStopsTheRunWithAClearErrorAndKeepsThePreviousCheckpoint) {
  TinyRun t;
  t.cfg.stop_after_steps = 1;
  EXPECT_TRUE(Trainer(t.cfg, false).run().is_null());
  std::string checkpoint = t.cfg.out + "/checkpoint.pt", before = read_text_file(checkpoint);
  ASSERT_GT(before.size(), 64u << 10);
  t.cfg.stop_after_steps = 2;
  {
    file_size_limit::Limit limit(64 << 10);  // config and metrics fit, a checkpoint does not
    Trainer resumed(t.cfg, true);
    try {
      resumed.run();
      FAIL() << "the checkpoint was written past the limit";
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()), "cannot write " + checkpoint + ": File too large");
    }
  }
  EXPECT_EQ(read_text_file(checkpoint), before);
  EXPECT_FALSE(fs::exists(checkpoint + ".tmp"));
  t.cfg.stop_after_steps = 0;
  EXPECT_FALSE(Trainer(t.cfg, true).run().is_null());  // still valid and loadable
}

TEST(Trainer, AConvNetworkFinishesAnEpochWhoseLastBatchWouldHoldOneImage) {
  TinyRun t;
  t.cfg.arch = "vgg8b";
  t.cfg.epochs = 1;
  t.cfg.limit_train = 33;  // batches of 32: 32 + 1
  t.cfg.limit_test = 16;
  t.cfg.milestones = {};
  nlohmann::json summary = Trainer(t.cfg, false).run();
  ASSERT_FALSE(summary.is_null());
  EXPECT_EQ(summary["steps"].get<int64_t>(), 1);  // one batch of 33
}

TEST(Trainer, AMethodsPreparationRunsBeforeTheFirstStepAndIsSavedWithTheModel) {
  // CaFo's frozen conv blocks get their BatchNorm statistics from one pass over the training set.
  TinyRun t("cafo");
  t.cfg.arch = "simple256";
  t.cfg.epochs = 1;
  t.cfg.stop_after_steps = 1;
  EXPECT_TRUE(Trainer(t.cfg, false).run().is_null());  // stopped after one step, checkpoint written
  Model m = build_model(t.cfg, {1, 28, 28}, 10);
  auto* bn = m.net->blocks[0]->ptr(0)->as<ConvBlock>()->bn.get();
  EXPECT_TRUE(torch::equal(bn->running_mean, torch::zeros_like(bn->running_mean)));  // as built
  load_checkpoint(t.cfg.out + "/checkpoint.pt", m, checkpoint_identity(t.cfg));
  EXPECT_GT(bn->running_mean.abs().max().item<double>(), 1e-3);
  EXPECT_GT((bn->running_var - 1).abs().max().item<double>(), 1e-3);
}

TEST(Trainer, AFiniteButExplodingLossEndsTheRunAsDiverged) {
  TinyRun t("cafo");
  t.cfg.optimizer.lr = 1e6;
  t.cfg.epochs = 1;
  try {
    Trainer(t.cfg, false).run();
    FAIL() << "an exploding run was reported as a result";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("training diverged"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(t.cfg.out + "/summary.json"));
}
