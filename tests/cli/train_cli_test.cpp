// End-to-end through the `dcl` binary on real Fashion-MNIST: learning, resume, bad input.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_test_util.h"
#include "dcl/training/checkpoint.h"
#include "dcl/training/run_files.h"
#include "test_models.h"
#include "training/tiny_dataset.h"

using namespace dcl;
using namespace cli_test;
namespace fs = std::filesystem;

namespace {

// The tensors of a run's checkpoint, loaded into a model built from its config.
std::vector<std::pair<std::string, torch::Tensor>> checkpoint_tensors(const std::string& dir) {
  RunConfig cfg = RunConfig::from_json(read_json(dir + "/config.json"));
  Model m = test_models::model(cfg);
  load_checkpoint(dir + "/checkpoint.pt", m, checkpoint_identity(cfg));
  return m.named_state();
}

const std::string kSmallRun =
    "train --data fmnist --arch fc --method dcl --epochs 2 --batch-size 128 --limit-train 1024 --limit-test 512 "
    "--dropout 0.1 --threads 1 --seed 9";

}  // namespace

TEST(TrainCliE2E, ShortFashionMnistRunLearnsWellAboveChance) {
  if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  std::string dir = temp_dir("learn");
  CliResult r = run_dcl(
      "train --data fmnist --arch fc --method dcl-s --epochs 1 --batch-size 128 --limit-train 4096 "
      "--limit-test 1000 --threads 2 --out " +
      dir);
  ASSERT_EQ(r.code, 0) << r.output;
  auto summary = read_json(dir + "/summary.json");
  EXPECT_GT(summary["test_accuracy"].get<double>(), 0.6) << r.output;  // chance is 0.1
  ASSERT_EQ(summary["layer_accuracy"].size(), 2u);
  EXPECT_GT(summary["layer_accuracy"][1].get<double>(), 0.6);
  EXPECT_GT(summary["peak_memory_bytes"].get<int64_t>(), 0);
  for (const char* key : {"test_error", "params", "train_seconds", "epochs", "ensemble_accuracy"})
    EXPECT_TRUE(summary.contains(key)) << key;
  EXPECT_TRUE(fs::exists(dir + "/config.json"));
  std::ifstream metrics(dir + "/metrics.jsonl");
  std::string line;
  int lines = 0;
  while (std::getline(metrics, line)) ++lines;
  EXPECT_EQ(lines, 1);
  // dcl eval reproduces the final accuracy from the checkpoint.
  CliResult e = run_dcl("eval --run " + dir);
  ASSERT_EQ(e.code, 0) << e.output;
  auto j = nlohmann::json::parse(e.output.substr(e.output.find('{')));
  EXPECT_DOUBLE_EQ(j["head_accuracy"].get<double>(), summary["test_accuracy"].get<double>());
  fs::remove_all(dir);
}

TEST(TrainCliE2E, InterruptedAndResumedRunMatchesAnUninterruptedOne) {
  if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  std::string a = temp_dir("whole"), b = temp_dir("resumed");
  CliResult whole = run_dcl(kSmallRun + " --out " + a);
  ASSERT_EQ(whole.code, 0) << whole.output;
  // Interrupted mid-epoch (step 5 of 8), then again in the second epoch, then finished.
  CliResult first = run_dcl(kSmallRun + " --out " + b + " --stop-after-steps 5");
  ASSERT_EQ(first.code, 130) << first.output;
  EXPECT_FALSE(fs::exists(b + "/summary.json"));
  CliResult second = run_dcl("train --resume " + b + " --stop-after-steps 6");
  ASSERT_EQ(second.code, 130) << second.output;
  CliResult third = run_dcl("train --resume " + b);
  ASSERT_EQ(third.code, 0) << third.output;

  auto ta = checkpoint_tensors(a), tb = checkpoint_tensors(b);
  ASSERT_EQ(ta.size(), tb.size());
  for (size_t i = 0; i < ta.size(); ++i) EXPECT_TRUE(torch::equal(ta[i].second, tb[i].second)) << ta[i].first;
  auto sa = read_json(a + "/summary.json"), sb = read_json(b + "/summary.json");
  EXPECT_EQ(sa["test_accuracy"], sb["test_accuracy"]);
  EXPECT_EQ(sa["layer_accuracy"], sb["layer_accuracy"]);
  EXPECT_EQ(sa["steps"], sb["steps"]);
  // Per-epoch metrics agree too, apart from timings.
  std::ifstream ma(a + "/metrics.jsonl"), mb(b + "/metrics.jsonl");
  std::string la, lb;
  int epochs = 0;
  while (std::getline(ma, la)) {
    ASSERT_TRUE(std::getline(mb, lb));
    auto ja = nlohmann::json::parse(la), jb = nlohmann::json::parse(lb);
    for (const char* key : {"train_loss", "train_accuracy", "test", "train_block_losses"})
      EXPECT_EQ(ja[key], jb[key]) << key;
    ++epochs;
  }
  EXPECT_EQ(epochs, 2);
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST(TrainCliE2E, CtrlCWritesACheckpointAndExits) {
  if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  std::string dir = temp_dir("sigint");
  // A run far too long to finish; SIGINT as soon as its config.json exists (the stop handler is
  // installed before it is written: whenever the signal lands, the run stops after the current
  // step with a checkpoint), then the exit status.
  std::string script = "cd /tmp && " + std::string(DCL_BINARY) +
                       " train --data fmnist --arch fc --method dcl "
                       "--epochs 1000 --limit-train 2048 --limit-test 64 --threads 1 --out " +
                       dir +
                       " >/dev/null 2>&1 & pid=$!; "
                       "for i in $(seq 600); do [ -f " +
                       dir +
                       "/config.json ] && break; sleep 0.05; done; "
                       "kill -INT $pid; wait $pid; echo $?";
  FILE* p = popen(script.c_str(), "r");
  char buf[64] = {0};
  fgets(buf, sizeof buf, p);
  pclose(p);
  EXPECT_EQ(std::atoi(buf), 130);
  EXPECT_TRUE(fs::exists(dir + "/checkpoint.pt"));
  EXPECT_FALSE(fs::exists(dir + "/checkpoint.pt.tmp"));
  // The checkpoint resumes: one more step, then stopped again.
  CliResult r = run_dcl("train --resume " + dir + " --stop-after-steps 1 --threads 1");
  EXPECT_EQ(r.code, 130) << r.output;
  EXPECT_NE(r.output.find("resuming " + dir), std::string::npos) << r.output;
  fs::remove_all(dir);
}

TEST(TrainCli, UnknownNamesAreErrorsListingTheValidOnes) {
  EXPECT_NE(run_dcl("train --method nope --out /tmp/x").output.find("valid: bp, dcl"), std::string::npos);
  EXPECT_NE(run_dcl("train --arch nope --out /tmp/x").output.find("valid: fc, simple256"), std::string::npos);
  EXPECT_NE(run_dcl("train --data nope --out /tmp/x").output.find("fmnist"), std::string::npos);
  CliResult r = run_dcl("bench --arch vgg8b --input 1x20x20 --methods dcl --steps 1");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("1x20x20"), std::string::npos) << r.output;
}

TEST(TrainCli, ModuleSweepTabulatesEveryKAndPlotsMemoryAndTime) {
  std::string dir = temp_dir("sweep");
  CliResult r = run_dcl(
      "bench --arch resnet32 --input 3x8x8 --batch-size 4 --steps 1 --warmup 0 --methods "
      "bp,bp:checkpoint_segments=K,dcl --sweep-local-modules 2,16 --plot " +
      dir);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("| K=2 peak MiB | K=2 ms | K=16 peak MiB | K=16 ms |"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| bp:checkpoint_segments=K |"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(dir + "/memory_vs_modules.png"));
  EXPECT_TRUE(fs::exists(dir + "/time_vs_modules.png"));
  fs::remove_all(dir);
  // Flags that would change nothing are refused by name.
  EXPECT_NE(run_dcl("bench --arch vgg8b --local-modules 4 --steps 1").output.find("--local-modules applies to"),
            std::string::npos);
  EXPECT_NE(run_dcl("bench --arch resnet32 --input 3x8x8 --plot x --steps 1").output.find("--sweep-local-modules"),
            std::string::npos);
  EXPECT_NE(run_dcl("bench --arch resnet32 --local-modules 17 --steps 1").output.find("must be in [0, 16]"),
            std::string::npos);
  EXPECT_NE(run_dcl("train --arch simple256 --method auglocal --out /tmp/x").output.find("cannot train arch"),
            std::string::npos);
}

TEST(TrainCliE2E, CorruptCheckpointIsAClearErrorAndStaysUntouched) {
  if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  std::string dir = temp_dir("corrupt");
  ASSERT_EQ(run_dcl(kSmallRun + " --out " + dir + " --stop-after-steps 1").code, 130);
  std::string path = dir + "/checkpoint.pt";
  std::string bytes = read_file(path);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 2);
  CliResult r = run_dcl("train --resume " + dir);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("checkpoint " + path), std::string::npos) << r.output;
  EXPECT_EQ(read_file(path), bytes.substr(0, bytes.size() / 2));
  fs::remove_all(dir);
}

TEST(TrainCliE2E, NaNLossStopsTrainingAndKeepsThePreviousCheckpoint) {
  if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  std::string dir = temp_dir("nan");
  // An absurd learning rate: the first step is finite, the weights then overflow.
  std::string args =
      "train --data fmnist --arch fc --method dcl --optimizer sgd --lr 1e30 --epochs 1 "
      "--batch-size 64 --limit-train 1024 --limit-test 64 --threads 1 --out " +
      dir;
  ASSERT_EQ(run_dcl(args + " --stop-after-steps 1").code, 130);
  std::string before = read_file(dir + "/checkpoint.pt");
  CliResult r = run_dcl("train --resume " + dir);
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(r.output.find("nan") != std::string::npos || r.output.find("inf") != std::string::npos) << r.output;
  EXPECT_NE(r.output.find("loss of"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(dir + "/checkpoint.pt"), before);
  EXPECT_FALSE(fs::exists(dir + "/summary.json"));
  fs::remove_all(dir);
}

TEST(TrainCliE2E, ANewRunRefusesToOverwriteAnExistingOne) {
  if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  std::string dir = temp_dir("exists");
  ASSERT_EQ(run_dcl(kSmallRun + " --out " + dir + " --stop-after-steps 1").code, 130);
  std::string before = read_file(dir + "/checkpoint.pt");
  CliResult r = run_dcl(kSmallRun + " --out " + dir);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("--resume"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(dir + "/checkpoint.pt"), before);
  fs::remove_all(dir);
}

TEST(TrainCli, MethodSettingsAreFlagsWrittenToConfigJson) {
  // --help documents every method setting; a bad value of one is refused before any data is read.
  CliResult help = run_dcl("train --help");
  for (const auto& m : methods())
    for (const auto& s : m.settings) EXPECT_NE(help.output.find(flag_of(s.key)), std::string::npos) << s.key;
  CliResult bad = run_dcl("train --method pff --pff-steps 0 --data-dir /nonexistent --out /tmp/dcl_never_written");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("--pff-steps"), std::string::npos) << bad.output;
  CliResult bad_enum = run_dcl("train --ff-negatives sometimes --out /tmp/dcl_never_written");
  EXPECT_NE(bad_enum.code, 0);
  EXPECT_NE(bad_enum.output.find("--ff-negatives"), std::string::npos) << bad_enum.output;
  EXPECT_FALSE(fs::exists("/tmp/dcl_never_written"));
}

TEST(TrainCli, AnOnOffSettingTakesTrueOrFalseAndNothingElse) {
  CliResult bad = run_dcl("train --method cafo --cafo-predictor-bias=maybe --out /tmp/dcl_never_written");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("--cafo-predictor-bias: 'maybe' is not true or false"), std::string::npos) << bad.output;
  EXPECT_EQ(bad.output.find("terminate"), std::string::npos) << bad.output;
  EXPECT_FALSE(fs::exists("/tmp/dcl_never_written"));
}

TEST(TrainCliE2E, MethodSettingsReachConfigJson) {
  if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  std::string dir = temp_dir("settings");
  CliResult r = run_dcl(
      "train --data fmnist --method symba --symba-alpha 2.5 --ff-negatives hardest --fc-width 64 "
      "--epochs 1 --limit-train 128 --limit-test 64 --threads 1 --out " +
      dir);
  ASSERT_EQ(r.code, 0) << r.output;
  auto config = read_json(dir + "/config.json");
  EXPECT_DOUBLE_EQ(config["symba_alpha"].get<double>(), 2.5);
  EXPECT_EQ(config["ff_negatives"], "hardest");
  fs::remove_all(dir);
}

namespace {

// A run directory holding only a config.json (what --resume reads before anything else).
std::string saved_run(const std::string& name, const std::string& extra_json = "") {
  std::string dir = temp_dir(name);
  fs::create_directories(dir);
  RunConfig c;
  c.epochs = 5;
  c.out = dir;
  nlohmann::json j = c.to_json();
  if (!extra_json.empty()) j.update(nlohmann::json::parse(extra_json));
  write_file_atomic(dir + "/config.json", j.dump());
  return dir;
}

}  // namespace

TEST(TrainCli, ResumeRefusesFlagsThatWouldChangeTheRunAndNamesThem) {
  std::string dir = saved_run("resume_flags");
  std::string config = read_file(dir + "/config.json");
  CliResult r = run_dcl("train --resume " + dir + " --lr 0.1 --method ff --batch-size 64 --threads 1");
  EXPECT_NE(r.code, 0);
  for (const char* flag : {"--lr 0.1", "--method \"ff\"", "--batch-size 64"})
    EXPECT_NE(r.output.find(flag), std::string::npos) << flag << "\n" << r.output;
  EXPECT_EQ(r.output.find("--threads"), r.output.rfind("--threads")) << r.output;  // only in the allowed list
  CliResult fewer = run_dcl("train --resume " + dir + " --epochs 1");
  EXPECT_NE(fewer.code, 0);
  EXPECT_NE(fewer.output.find("--epochs may only grow (the run is set to 5 epochs)"), std::string::npos)
      << fewer.output;
  CliResult elsewhere = run_dcl("train --resume " + dir + " --out /tmp/elsewhere");
  EXPECT_NE(elsewhere.output.find("--out /tmp/elsewhere"), std::string::npos) << elsewhere.output;
  EXPECT_EQ(read_file(dir + "/config.json"), config);
  fs::remove_all(dir);
}

TEST(TrainCli, ABrokenConfigOnResumeNamesTheFileAndTheField) {
  std::string dir = saved_run("broken_config", R"({"lr": "fast"})");
  CliResult r = run_dcl("train --resume " + dir);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find(dir + "/config.json: key 'lr' has a value of the wrong type: \"fast\""), std::string::npos)
      << r.output;
  fs::remove_all(dir);
}

TEST(TrainCli, BadFlagsAreOneLineErrorsWithTheValidRange) {
  struct Case {
    std::string args, expected;
  };
  std::vector<Case> cases = {
      {"train --device cuda:x", "--device 'cuda:x' is not a device (valid: cpu, cuda, cuda:N"},
      {"train --fc-width 2000000000", "--fc-width must be in [0, 65536]"},
      {"train --seed -1", "--seed"},
      {"train --arch vgg8b --batch-size 1", "--batch-size must be in [2, 1048576] for vgg8b"},
      {"train --gamma -1 --milestones 0", "--gamma must be a positive number"},
      {"train --ensemble-weights nan", "--ensemble-weights must be finite and >= 0"},
      {"train --threads -2", "--threads must be in [0, 1024]"},
      {"compare --methods dcl --seeds 0", "--seeds: must be at least 1 (got 0)"},
      {"bogus", "unknown command 'bogus' (valid: data, train, eval, bench, compare, export, methods, analyze, report)"},
  };
  for (const auto& c : cases) {
    CliResult r = run_dcl(c.args + " --out /tmp/dcl_never_written --data-dir /nonexistent");
    EXPECT_NE(r.code, 0) << c.args;
    EXPECT_NE(r.output.find(c.expected), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_EQ(r.output.find("Exception raised from"), std::string::npos) << c.args << "\n" << r.output;
  }
  EXPECT_FALSE(fs::exists("/tmp/dcl_never_written"));
}

TEST(TrainCli, ADataDirThatIsAFileIsNamedAsOne) {
  std::string file = temp_dir("data_file");
  write_file_atomic(file, "not a directory");
  CliResult r = run_dcl("train --data-dir " + file + " --out " + temp_dir("data_file_run"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find(file + " is a file, not a directory"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("data fetch"), std::string::npos) << r.output;
  fs::remove(file);
  fs::remove_all(temp_dir("data_file_run"));
}

TEST(TrainCli, AFullDiskIsAnErrorNamingTheFileNotACrash) {
  std::string data = temp_dir("full_data"), out = temp_dir("full_run");
  fs::create_directories(data);
  tiny_dataset::write(data);
  // bash's ulimit -f counts KiB: the run's config fits, its first checkpoint does not.
  CliResult r = run_dcl_shell("ulimit -f 64; exec " + std::string(DCL_BINARY) + " train --data-dir " + data +
                              " --fc-width 64 --epochs 1 --threads 1 --out " + out);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("cannot write " + out + "/checkpoint.pt: File too large"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out + "/checkpoint.pt.tmp"));
  EXPECT_FALSE(fs::exists(out + "/summary.json"));
  fs::remove_all(data);
  fs::remove_all(out);
}
