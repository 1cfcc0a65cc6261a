// Data-parallel jobs end to end through the dcl binary: the result of two ranks against one
// process with the doubled batch, a killed and a hung rank, torchrun's variables.
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>

#include "cli_test_util.h"
#include "training/tiny_dataset.h"

using namespace cli_test;

namespace {

std::vector<nlohmann::json> metrics(const std::string& dir) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(read_file(dir + "/metrics.jsonl"));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

struct TinyJob {
  std::string data = temp_dir("dp_data");
  TinyJob() {
    std::filesystem::create_directories(data);
    tiny_dataset::write(data, 1024, 256);  // 8 steps per epoch at 2 x 64
  }
  ~TinyJob() { std::filesystem::remove_all(data); }
  std::string args(int epochs = 2) const {
    return "train --data fmnist --data-dir " + data + " --arch fc --fc-width 64 --method dcl --threads 1 --seed 3" +
           " --epochs " + std::to_string(epochs);
  }
};

}  // namespace

// Tolerance: the sums differ only in the order of float additions (each rank's mean gradient
// weighted by its share, against one mean), so the losses agree to float rounding (relative 1e-5)
// and the predictions of the 256 test images agree.
TEST(DataParallelE2E, TwoRanksEqualOneProcessWithTheDoubledBatch) {
  TinyJob job;
  std::string one = temp_dir("dp_one"), two = temp_dir("dp_two");
  CliResult a = run_dcl(job.args() + " --batch-size 128 --out " + one);
  ASSERT_EQ(a.code, 0) << a.output;
  CliResult b = run_dcl(job.args() + " --batch-size 64 --nproc 2 --out " + two);
  ASSERT_EQ(b.code, 0) << b.output;
  EXPECT_NE(b.output.find("2 processes x batch 64 = 128 images per step"), std::string::npos) << b.output;
  auto ma = metrics(one), mb = metrics(two);
  ASSERT_EQ(ma.size(), 2u);
  ASSERT_EQ(mb.size(), 2u);
  for (size_t e = 0; e < 2; ++e) {
    double la = ma[e]["train_loss"], lb = mb[e]["train_loss"];
    EXPECT_NEAR(la, lb, 1e-5 * la) << "epoch " << e + 1;
    for (size_t l = 0; l < 2; ++l)
      EXPECT_NEAR(double(ma[e]["train_block_losses"][l]), double(mb[e]["train_block_losses"][l]), 1e-5);
    EXPECT_EQ(ma[e]["train_accuracy"], mb[e]["train_accuracy"]);
    EXPECT_NEAR(double(ma[e]["test"]["loss"]), double(mb[e]["test"]["loss"]), 1e-5);
    EXPECT_EQ(ma[e]["test"]["head_accuracy"], mb[e]["test"]["head_accuracy"]);
    EXPECT_EQ(ma[e]["test"]["layer_accuracy"], mb[e]["test"]["layer_accuracy"]);
    EXPECT_EQ(mb[e]["test"]["samples"], 256);  // every test image once, over both ranks
  }
  // One report, from rank 0.
  EXPECT_EQ(read_json(two + "/config.json")["nproc"], 2);
  size_t first = b.output.find("test error:");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(b.output.find("test error:", first + 1), std::string::npos) << b.output;
  std::filesystem::remove_all(one);
  std::filesystem::remove_all(two);
}

// The auxiliary-network methods data-parallel on a ResNet (their last module and the head one
// stage): the job runs on two ranks and the checkpoint rank 0 saved evaluates to the accuracy the
// job reported. (BatchNorm normalises each rank's half-batch alone, so unlike the fc job above the
// result is not the one-process result.)
TEST(DataParallelE2E, AuxiliaryNetworkMethodsTrainDataParallelOnAResNet) {
  TinyJob job;
  for (const char* method : {"dgl", "auglocal"}) {
    std::string dir = temp_dir(std::string("dp_") + method);
    std::string args = "train --data fmnist --data-dir " + job.data + " --arch resnet32 --local-modules 2 --method " +
                       method + " --threads 1 --seed 3 --epochs 1 --limit-train 256 --batch-size 32 --nproc 2";
    CliResult r = run_dcl(args + " --out " + dir);
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("2 processes x batch 32 = 64 images per step"), std::string::npos) << r.output;
    double reported = read_json(dir + "/summary.json")["test_accuracy"];
    CliResult e = run_dcl("eval --run " + dir + " --data-dir " + job.data);
    ASSERT_EQ(e.code, 0) << e.output;
    auto j = nlohmann::json::parse(e.output.substr(e.output.find('{')));
    EXPECT_DOUBLE_EQ(j["head_accuracy"].get<double>(), reported) << method;
    std::filesystem::remove_all(dir);
  }
}

#ifdef DCL_TORCHRUN
// The same job under PyTorch's own launcher (torchrun from the PyPI wheel, when scripts/setup-torch2.sh
// has installed it): what a cluster's launcher does on each machine.
TEST(DataParallelE2E, UnderTorchrunTheJobEqualsOneProcessWithTheDoubledBatch) {
  TinyJob job;
  std::string one = temp_dir("tr_one"), two = temp_dir("tr_two");
  ASSERT_EQ(run_dcl(job.args() + " --batch-size 128 --out " + one).code, 0);
  std::string port = std::to_string(20000 + ::getpid() % 20000);
  CliResult r = run_dcl_raw(std::string(DCL_TORCHRUN) + " --nproc-per-node 2 --master-port " + port + " --no-python " +
                            DCL_BINARY + " " + job.args() + " --batch-size 64 --out " + two);
  ASSERT_EQ(r.code, 0) << r.output;
  auto ma = metrics(one), mb = metrics(two);
  ASSERT_EQ(mb.size(), 2u);
  for (size_t e = 0; e < 2; ++e) {
    EXPECT_NEAR(double(ma[e]["train_loss"]), double(mb[e]["train_loss"]), 1e-5 * double(ma[e]["train_loss"]));
    EXPECT_EQ(ma[e]["test"]["head_accuracy"], mb[e]["test"]["head_accuracy"]);
  }
  std::filesystem::remove_all(one);
  std::filesystem::remove_all(two);
}
#endif

// Rank 1 is killed in the middle of epoch 2: the job ends with an error naming it, the checkpoint
// of epoch 1 is intact, and --resume finishes the job exactly as an uninterrupted job does.
TEST(DataParallelE2E, AKilledRankEndsTheJobNamingItAndResumeRestartsItExactly) {
  TinyJob job;
  std::string killed = temp_dir("dp_killed"), whole = temp_dir("dp_whole");
  std::string args = job.args(3) + " --batch-size 64 --nproc 2";
  CliResult r = run_dcl_raw("DCL_FAULT=kill:1:12 " + std::string(DCL_BINARY) + " " + args + " --out " + killed);
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("rank 1 (pid"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("killed by signal 9"), std::string::npos) << r.output;
  EXPECT_EQ(metrics(killed).size(), 1u);
  CliResult e = run_dcl("eval --run " + killed + " --data-dir " + job.data);
  ASSERT_EQ(e.code, 0) << e.output;
  EXPECT_NE(e.output.find("\"epochs_trained\": 1"), std::string::npos) << e.output;

  CliResult resumed = run_dcl("train --resume " + killed);
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  CliResult straight = run_dcl(args + " --out " + whole);
  ASSERT_EQ(straight.code, 0) << straight.output;
  auto a = metrics(killed), b = metrics(whole);
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(a[2]["test"], b[2]["test"]);
  EXPECT_EQ(a[2]["train_loss"], b[2]["train_loss"]);
  std::filesystem::remove_all(killed);
  std::filesystem::remove_all(whole);
}

// Rank 1 stops (SIGSTOP) without dying: rank 0's collective times out after --dist-timeout, and
// the error names the silent rank. The bound checked is the failure detection, not speed.
// Once rank 0 has named the silent rank, the command returns promptly: the stopped rank is woken
// to take its SIGTERM, and killed a second later (it used to wait out a 10-second grace period).
TEST(DataParallelE2E, AHungRankEndsTheJobWithinTheTimeoutNamingIt) {
  TinyJob job;
  std::string dir = temp_dir("dp_hung");
  auto t0 = std::chrono::steady_clock::now();
  // Each line of output with the seconds since the start (bash's EPOCHREALTIME), then the end.
  CliResult r = run_dcl_shell("start=$EPOCHREALTIME; DCL_FAULT=hang:1:3 " + std::string(DCL_BINARY) + " " + job.args() +
                              " --batch-size 64 --nproc 2 --dist-timeout 3 --out " + dir +
                              " 2>&1 | while IFS= read -r line; do echo \"$EPOCHREALTIME $line\"; done; "
                              "echo \"$EPOCHREALTIME end\"");
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_NE(r.output.find("rank 1 stopped answering"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("the other ranks were stopped"), std::string::npos) << r.output;
  EXPECT_LT(seconds, 60.0) << r.output;
  double named = 0, end = 0;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("stopped answering") != std::string::npos) named = std::stod(line);
    if (line.find(" end") != std::string::npos) end = std::stod(line);
  }
  ASSERT_GT(named, 0) << r.output;
  EXPECT_LT(end - named, 5.0) << r.output;
  std::filesystem::remove_all(dir);
}

TEST(DataParallelCli, TorchrunVariablesAreCheckedByName) {
  std::string env = "env WORLD_SIZE=2 RANK=0 MASTER_PORT=29999 ";
  CliResult r = run_dcl_raw(env + DCL_BINARY + " train --out /tmp/dcl_never_written");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("MASTER_ADDR is not set"), std::string::npos) << r.output;
  r = run_dcl_raw("env WORLD_SIZE=2 RANK=5 MASTER_ADDR=127.0.0.1 MASTER_PORT=29999 " + std::string(DCL_BINARY) +
                  " train --out /tmp/dcl_never_written");
  EXPECT_NE(r.output.find("RANK='5'"), std::string::npos) << r.output;
  r = run_dcl_raw("env WORLD_SIZE=2 RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=29999 " + std::string(DCL_BINARY) +
                  " train --nproc 3 --out /tmp/dcl_never_written");
  EXPECT_NE(r.output.find("--nproc 3 but WORLD_SIZE=2"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists("/tmp/dcl_never_written"));
}

TEST(DataParallelCli, SchedulesThatCannotWorkAreRefused) {
  CliResult r = run_dcl("train --method bp --schedule pipeline --out /tmp/dcl_never_written");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("one stage"), std::string::npos) << r.output;
  r = run_dcl("train --method dcl --schedule pipeline --nproc 2 --out /tmp/dcl_never_written");
  EXPECT_NE(r.output.find("--nproc must be a multiple of --pipeline-ranks (1"), std::string::npos) << r.output;
  r = run_dcl("train --method dcl --schedule pipeline --pipeline-ranks 2 --nproc 3 --out /tmp/dcl_never_written");
  EXPECT_NE(r.output.find("--nproc must be a multiple of --pipeline-ranks (2"), std::string::npos) << r.output;
  r = run_dcl("train --method dcl --pipeline-ranks 2 --out /tmp/dcl_never_written");
  EXPECT_NE(r.output.find("--pipeline-ranks applies to --schedule pipeline only"), std::string::npos) << r.output;
  r = run_dcl("train --method dcl --arch fc --schedule pipeline --pipeline-ranks 4 --out /tmp/dcl_never_written");
  EXPECT_NE(r.output.find("at most that many processes"), std::string::npos) << r.output;
  r = run_dcl("train --method bp --arch fc --schedule pipeline --pipeline-ranks 3 --out /tmp/dcl_never_written");
  EXPECT_NE(r.output.find("GPipe splits bp's network by its blocks, and it has 2"), std::string::npos) << r.output;
  r = run_dcl(
      "train --method bp --arch fc --schedule pipeline --pipeline-ranks 2 --accumulate 2 --out "
      "/tmp/dcl_never_written");
  EXPECT_NE(r.output.find("whose --micro-batches replace --accumulate"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists("/tmp/dcl_never_written"));
}

// The process pipeline: two processes, one group of stages each, joined by point-to-point messages.
// With --pipeline-sync it trains as the sequential schedule does (the step's metrics pass through
// one more sum, so they agree to rounding), and the checkpoint rank 0 wrote holds every stage as
// trained on either rank: its evaluation gives the accuracy the job reported.
TEST(ProcessPipelineE2E, TwoProcessesTrainAsSequentialAndSaveTheWholeModel) {
  TinyJob job;
  std::string one = temp_dir("pp_one"), two = temp_dir("pp_two");
  CliResult a = run_dcl(job.args() + " --batch-size 128 --out " + one);
  ASSERT_EQ(a.code, 0) << a.output;
  CliResult b =
      run_dcl(job.args() + " --batch-size 128 --schedule pipeline --pipeline-ranks 2 --pipeline-sync --out " + two);
  ASSERT_EQ(b.code, 0) << b.output;
  EXPECT_NE(b.output.find("process pipeline: 2 processes"), std::string::npos) << b.output;
  auto ma = metrics(one), mb = metrics(two);
  ASSERT_EQ(mb.size(), 2u);
  for (size_t e = 0; e < 2; ++e) {
    EXPECT_NEAR(double(ma[e]["train_loss"]), double(mb[e]["train_loss"]), 1e-9) << "epoch " << e + 1;
    for (size_t l = 0; l < 2; ++l)
      EXPECT_NEAR(double(ma[e]["train_block_losses"][l]), double(mb[e]["train_block_losses"][l]), 1e-9);
    EXPECT_EQ(ma[e]["train_accuracy"], mb[e]["train_accuracy"]);
    EXPECT_NEAR(double(ma[e]["test"]["loss"]), double(mb[e]["test"]["loss"]), 1e-6);
    EXPECT_EQ(ma[e]["test"]["head_accuracy"], mb[e]["test"]["head_accuracy"]);
    EXPECT_EQ(ma[e]["test"]["layer_accuracy"], mb[e]["test"]["layer_accuracy"]);
    EXPECT_EQ(mb[e]["test"]["samples"], 256);
  }
  CliResult e = run_dcl("eval --run " + two + " --data-dir " + job.data);
  ASSERT_EQ(e.code, 0) << e.output;
  auto j = nlohmann::json::parse(e.output.substr(e.output.find('{')));
  EXPECT_EQ(j["head_accuracy"], mb[1]["test"]["head_accuracy"]);
  EXPECT_EQ(j["layer_accuracy"], mb[1]["test"]["layer_accuracy"]);
  std::filesystem::remove_all(one);
  std::filesystem::remove_all(two);
}

// The last rank of an asynchronous DCL-S pipeline is killed in epoch 2: the job ends naming it,
// epoch 1's checkpoint is intact, and --resume finishes the job as an uninterrupted one does (its
// stages share nothing, so the pipeline's restart changes no update).
TEST(ProcessPipelineE2E, AKilledRankEndsTheJobNamingItAndResumeRestartsItExactly) {
  TinyJob job;
  std::string killed = temp_dir("pp_killed"), whole = temp_dir("pp_whole");
  std::string args = "train --data fmnist --data-dir " + job.data +
                     " --arch fc --fc-width 64 --method dcl-s --threads 1 --seed 3 --epochs 3 --batch-size 128 "
                     "--schedule pipeline --pipeline-ranks 2";
  CliResult r = run_dcl_raw("DCL_FAULT=kill:1:12 " + std::string(DCL_BINARY) + " " + args + " --out " + killed);
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("rank 1 (pid"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("killed by signal 9"), std::string::npos) << r.output;
  EXPECT_EQ(metrics(killed).size(), 1u);
  CliResult resumed = run_dcl("train --resume " + killed);
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  CliResult straight = run_dcl(args + " --out " + whole);
  ASSERT_EQ(straight.code, 0) << straight.output;
  auto a = metrics(killed), b = metrics(whole);
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(a[2]["test"], b[2]["test"]);
  EXPECT_EQ(a[2]["train_loss"], b[2]["train_loss"]);
  std::filesystem::remove_all(killed);
  std::filesystem::remove_all(whole);
}

// The last rank of the pipeline stops (SIGSTOP): rank 0, waiting for it, names it within
// --dist-timeout.
TEST(ProcessPipelineE2E, AHungRankEndsTheJobWithinTheTimeoutNamingIt) {
  TinyJob job;
  std::string dir = temp_dir("pp_hung");
  auto t0 = std::chrono::steady_clock::now();
  CliResult r = run_dcl_raw("DCL_FAULT=hang:1:3 " + std::string(DCL_BINARY) + " " + job.args() +
                            " --batch-size 64 --schedule pipeline --pipeline-ranks 2 --dist-timeout 3 --out " + dir);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("rank 1 stopped answering"), std::string::npos) << r.output;
  EXPECT_LT(seconds, 60.0) << r.output;
  std::filesystem::remove_all(dir);
}

// dcl bench with --pipeline-ranks: the process pipeline's row and BP's GPipe row on the same two
// processes, each group's time, the bytes sent and the projection to one device per group.
TEST(ProcessPipelineE2E, BenchMeasuresTheProcessPipelineAgainstBpsGPipe) {
  CliResult r = run_dcl(
      "bench --arch fc --input 1x8x8 --fc-width 16 --batch-size 32 --methods bp,dcl --schedule sequential,pipeline "
      "--pipeline-ranks 2 --micro-batches 2 --steps 2 --warmup 1 --threads 2");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* want : {"dcl        process pipeline      2", "bp         gpipe, 2 micro        2",
                           "dcl        process pipeline block0", "bp         gpipe, 2 micro   block1+head",
                           "sent per step, all ranks", "one device per group"})
    EXPECT_NE(r.output.find(want), std::string::npos) << want << "\n" << r.output;
  EXPECT_EQ(r.output.find("bp         pipeline "), std::string::npos) << r.output;  // BP has no thread pipeline
}

// BP's GPipe on two processes (--micro-batches 2): the fc network has no BatchNorm, so its
// micro-batches change only the order of float sums, and the job trains as one BP process does.
// Continuing from epoch 1's checkpoint gives the uninterrupted job's epoch 2: the checkpoint holds
// both parts' weights and optimiser state, each from the rank that trained it.
TEST(ProcessPipelineE2E, BpAsGPipeOnTwoProcessesTrainsAsOneBpProcessAndResumes) {
  TinyJob job;
  std::string one = temp_dir("gp_one"), two = temp_dir("gp_two"), resumed = temp_dir("gp_resumed");
  std::string args = "train --data fmnist --data-dir " + job.data +
                     " --arch fc --fc-width 64 --method bp --threads 1 --seed 3 --batch-size 128";
  std::string gpipe = " --schedule pipeline --pipeline-ranks 2 --micro-batches 2";
  ASSERT_EQ(run_dcl(args + " --epochs 2 --out " + one).code, 0);
  CliResult b = run_dcl(args + gpipe + " --epochs 2 --out " + two);
  ASSERT_EQ(b.code, 0) << b.output;
  CliResult r1 = run_dcl(args + gpipe + " --epochs 1 --out " + resumed);
  ASSERT_EQ(r1.code, 0) << r1.output;
  CliResult r2 = run_dcl("train --resume " + resumed + " --epochs 2");
  ASSERT_EQ(r2.code, 0) << r2.output;
  auto ma = metrics(one), mb = metrics(two), mc = metrics(resumed);
  ASSERT_EQ(mb.size(), 2u);
  ASSERT_EQ(mc.size(), 2u);
  for (size_t e = 0; e < 2; ++e) {
    double want = ma[e]["train_loss"];
    EXPECT_NEAR(double(mb[e]["train_loss"]), want, 1e-5 * want) << "epoch " << e + 1;
    EXPECT_NEAR(double(mc[e]["train_loss"]), want, 1e-5 * want) << "resumed, epoch " << e + 1;
    EXPECT_NEAR(double(mb[e]["test"]["loss"]), double(ma[e]["test"]["loss"]), 1e-4);
    EXPECT_NEAR(double(mc[e]["test"]["loss"]), double(ma[e]["test"]["loss"]), 1e-4);
  }
  CliResult e = run_dcl("eval --run " + two + " --data-dir " + job.data);
  ASSERT_EQ(e.code, 0) << e.output;
  auto j = nlohmann::json::parse(e.output.substr(e.output.find('{')));
  EXPECT_EQ(j["head_accuracy"], mb[1]["test"]["head_accuracy"]);
  for (const auto& d : {one, two, resumed}) std::filesystem::remove_all(d);
}
