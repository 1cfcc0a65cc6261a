// The run directory's files: atomic writes that report a full disk, the metrics log kept in step
// with the checkpoint, and one process per run directory.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "data/test_files.h"
#include "dcl/runtime/run_lock.h"
#include "dcl/training/run_files.h"
#include "file_size_limit.h"

using namespace dcl;
namespace fs = std::filesystem;

TEST(RunFiles, AFailedWriteNamesThePathAndTheReasonAndKeepsTheOldFile) {
  dcl::data::test::TempDir dir;
  std::string path = dir.file("checkpoint.pt");
  write_file_atomic(path, "the previous checkpoint");
  try {
    file_size_limit::Limit limit(4096);
    write_file_atomic(path, std::string(100000, 'x'));
    FAIL() << "a write past the file-size limit succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write " + path + ": File too large");
  }
  EXPECT_EQ(read_text_file(path), "the previous checkpoint");
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  // A directory that is not there: named as well.
  EXPECT_THROW(write_file_atomic(dir.path() + "/no/such/dir/config.json", "{}"), std::runtime_error);
}

TEST(RunFiles, MetricsOfEpochsWithoutACheckpointAreDroppedOnResume) {
  dcl::data::test::TempDir dir;
  for (int epoch : {1, 2, 3}) append_metrics_line(dir.path(), {{"epoch", epoch}, {"lr", 0.1}});
  truncate_metrics(dir.path(), 2);  // the checkpoint says 2 epochs are done
  EXPECT_EQ(read_text_file(dir.path() + "/metrics.jsonl"), "{\"epoch\":1,\"lr\":0.1}\n{\"epoch\":2,\"lr\":0.1}\n");
}

TEST(RunFiles, TheBestEpochIsFoundAsTheAuthorsCodeKeepsIt) {
  dcl::data::test::TempDir dir;
  EXPECT_TRUE(best_test_results(dir.path()).empty());
  auto line = [&](int epoch, double head, double layer) {
    append_metrics_line(dir.path(),
                        {{"epoch", epoch}, {"test", {{"head_accuracy", head}, {"layer_accuracy", {0.1, layer}}}}});
  };
  line(1, 0.80, 0.70);
  line(2, 0.86, 0.84);
  line(3, 0.85, 0.87);  // the head's best is epoch 2, the last layer's epoch 3
  nlohmann::json best = best_test_results(dir.path());
  EXPECT_NEAR(best.at("best_test_error").get<double>(), 14.0, 1e-9);
  EXPECT_EQ(best.at("best_test_epoch").get<int>(), 2);
  EXPECT_DOUBLE_EQ(best.at("best_last_layer_accuracy").get<double>(), 0.87);
  append_metrics_line(dir.path(), {{"epoch", 4}, {"lr", 0.1}});  // a line without a test result
  EXPECT_EQ(best_test_results(dir.path()), best);
}

TEST(RunFiles, ExistingRunFilesAreListed) {
  dcl::data::test::TempDir dir;
  EXPECT_TRUE(existing_run_files(dir.path()).empty());
  EXPECT_TRUE(existing_run_files(dir.path() + "/absent").empty());
  write_file_atomic(dir.path() + "/summary.json", "{}");
  write_file_atomic(dir.path() + "/.lock", "");  // the lock is not a run file
  EXPECT_EQ(existing_run_files(dir.path()), std::vector<std::string>{"summary.json"});
}

TEST(RunFiles, ABrokenConfigIsNamedByFileAndKey) {
  dcl::data::test::TempDir dir;
  std::string path = dir.file("config.json");
  auto error_of = [&](const nlohmann::json& config) {
    write_file_atomic(path, config.dump());
    try {
      read_run_config(path);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  nlohmann::json config = RunConfig().to_json();
  EXPECT_EQ(error_of(config), "no error");
  config["lr"] = "fast";
  EXPECT_EQ(error_of(config).rfind(path + ": key 'lr' has a value of the wrong type: \"fast\"", 0), 0u);
  config = RunConfig().to_json();
  config.erase("seed");
  EXPECT_EQ(error_of(config).rfind(path + ": key 'seed' is missing", 0), 0u);
  config = RunConfig().to_json();
  config["epochs"] = 0;
  EXPECT_EQ(error_of(config).rfind(path + ": key 'epochs' must be in [1, ", 0), 0u);
  config = RunConfig().to_json();
  config["similarity"] = "dot";
  config["ll_beta"] = 5.0;  // out of its declared range
  EXPECT_EQ(error_of(config).rfind(path + ": key 'll_beta' must be", 0), 0u) << error_of(config);
  config = RunConfig().to_json();
  config["colour"] = "red";
  EXPECT_EQ(error_of(config).rfind(path + ": key 'colour' is not a setting of dcl", 0), 0u);
  // A key added after runs were written: the older config.json still reads.
  config = RunConfig().to_json();
  config.erase("tensorboard");
  EXPECT_EQ(error_of(config), "no error");
  // One whose default changed what a run computes: older runs read with the value they ran with.
  config = RunConfig().to_json();
  EXPECT_EQ(config.at("cafo_ones_init"), true);
  config.erase("cafo_ones_init");
  config.erase("ll_loss_before_dropout");
  write_file_atomic(path, config.dump());
  RunConfig older = read_run_config(path);
  EXPECT_FALSE(older.methods.on("cafo_ones_init"));
  EXPECT_FALSE(older.methods.on("ll_loss_before_dropout"));
  write_file_atomic(path, "[1, 2]");
  EXPECT_THROW(read_run_config(path), std::runtime_error);
}

TEST(RunLock, ASecondOwnerIsRefusedWithTheHoldersPid) {
  dcl::data::test::TempDir dir;
  std::string run = dir.path() + "/run";
  {
    RunLock first(run);
    try {
      RunLock second(run);
      FAIL() << "two owners of one run directory";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("in use by another dcl process (PID " + std::to_string(getpid()) + ")"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_NO_THROW(RunLock again(run));  // released with its owner
}

TEST(RunLock, AStaleLockOfADeadProcessIsTakenOver) {
  dcl::data::test::TempDir dir;
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  write_file_atomic(dir.path() + "/.lock", std::to_string(child) + "\n");  // its owner died holding it
  testing::internal::CaptureStderr();
  EXPECT_NO_THROW(RunLock lock(dir.path()));
  std::string note = testing::internal::GetCapturedStderr();
  EXPECT_NE(note.find("process " + std::to_string(child)), std::string::npos) << note;
  EXPECT_NE(note.find("no longer running"), std::string::npos) << note;
}
