// What a careless or hostile user types, through the `dcl` binary: every case of the probe
// (numbered as in its list) is refused by name, or handled, and nothing already written is lost.
// Runs train on a tiny dataset in Fashion-MNIST's format, written by the test.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "cli_test_util.h"
#include "training/tiny_dataset.h"

using namespace cli_test;
namespace fs = std::filesystem;

namespace {

// A directory with the tiny dataset, and the flags of a run on it that takes a second.
struct TinyData {
  std::string dir = temp_dir("user_errors_data");
  TinyData() {
    fs::create_directories(dir);
    tiny_dataset::write(dir, 512, 128);
  }
  ~TinyData() { fs::remove_all(dir); }
  // --method dcl and --epochs 1 unless `extra` gives them.
  std::string train(const std::string& extra = "") const {
    std::string args = "train --data fmnist --data-dir " + dir + " --arch fc --fc-width 64 --threads 1 --batch-size 64";
    if (extra.find("--method ") == std::string::npos) args += " --method dcl";
    if (extra.find("--epochs ") == std::string::npos) args += " --epochs 1";
    return args + " " + extra;
  }
};

const TinyData& tiny() {
  static TinyData d;
  return d;
}

// A finished tiny run in a fresh directory named `name`.
std::string trained_run(const std::string& name, const std::string& extra = "") {
  std::string dir = temp_dir(name);
  CliResult r = run_dcl(tiny().train(extra) + " --out " + dir);
  EXPECT_EQ(r.code, 0) << r.output;
  return dir;
}

bool has(const CliResult& r, const std::string& text) { return r.output.find(text) != std::string::npos; }

// One line, "dcl: error: ...", and nothing of a library's own text.
void expect_one_error_line(const CliResult& r) {
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("dcl: error: ", 0), 0u) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  for (const char* raw : {"[json.exception", "Could not convert", "At Most", "not expected:", "Run with --help"})
    EXPECT_EQ(r.output.find(raw), std::string::npos) << r.output;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(f, line);) lines.push_back(line);
  return lines;
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

}  // namespace

// 1. report --out a run's own file, or any file it did not write, is refused; the file is intact.
TEST(UserErrorsE2E, ReportNeverWritesOverARunsFilesOrAForeignFile) {
  std::string run = trained_run("ue_report_out");
  const std::string checkpoint = read_file(run + "/checkpoint.pt"), config = read_file(run + "/config.json");
  for (const char* name : {"/checkpoint.pt", "/config.json", "/summary.json"}) {
    CliResult r = run_dcl("report " + run + " --out " + run + name);
    expect_one_error_line(r);
    EXPECT_TRUE(has(r, "is a file of the run")) << r.output;
  }
  EXPECT_EQ(read_file(run + "/checkpoint.pt"), checkpoint);
  EXPECT_EQ(read_file(run + "/config.json"), config);
  std::string notes = run + "/notes.html";
  write_text(notes, "my notes");
  CliResult foreign = run_dcl("report " + run + " --out " + notes);
  EXPECT_TRUE(has(foreign, "was not written by this command")) << foreign.output;
  EXPECT_EQ(read_file(notes), "my notes");
  // Its own earlier page is replaced.
  std::string page = run + "/report.html";
  ASSERT_EQ(run_dcl("report " + run + " --out " + page).code, 0);
  CliResult again = run_dcl("report " + run + " --out " + page);
  EXPECT_EQ(again.code, 0) << again.output;
  // An analysis never writes over a file in --out that it did not write.
  fs::create_directories(run + "/mine");
  write_text(run + "/mine/confusion.png", "mine");
  CliResult analysis = run_dcl("analyze confusion --run " + run + " --out " + run + "/mine --threads 1");
  EXPECT_NE(analysis.code, 0) << analysis.output;
  EXPECT_TRUE(has(analysis, "confusion.png exists and was not written by this command")) << analysis.output;
  EXPECT_EQ(read_file(run + "/mine/confusion.png"), "mine");
  // Into a directory of its own it writes, and writes again.
  EXPECT_EQ(run_dcl("analyze confusion --run " + run + " --out " + run + "/fresh --threads 1").code, 0);
  EXPECT_EQ(run_dcl("analyze confusion --run " + run + " --out " + run + "/fresh --threads 1").code, 0);
  fs::remove_all(run);
}

// 2. config.json is strict: a missing key, an unknown one or a value out of range is named by
// file and key, and the file is left as it was.
TEST(UserErrorsE2E, AConfigWithAMissingOrBadKeyIsNamedByFileAndKey) {
  std::string run = trained_run("ue_config", "--lr 0.003");
  const std::string path = run + "/config.json";
  nlohmann::json saved = read_json(path);
  auto resume_with = [&](const nlohmann::json& config) {
    write_text(path, config.dump(2));
    CliResult r = run_dcl("train --resume " + run + " --epochs 2");
    EXPECT_EQ(read_json(path), config) << "config.json was rewritten";
    return r;
  };
  nlohmann::json missing = saved;
  missing.erase("lr");
  CliResult r = resume_with(missing);
  expect_one_error_line(r);
  EXPECT_TRUE(has(r, path + ": key 'lr' is missing")) << r.output;
  nlohmann::json out_of_range = saved;
  out_of_range["batch_size"] = -3;
  r = resume_with(out_of_range);
  EXPECT_TRUE(has(r, path + ": key 'batch_size' must be in")) << r.output;
  EXPECT_FALSE(has(r, "--batch-size")) << r.output;
  nlohmann::json unknown = saved;
  unknown["learning_rate"] = 0.1;
  r = resume_with(unknown);
  EXPECT_TRUE(has(r, "key 'learning_rate' is not a setting")) << r.output;
  write_text(path, "{\"lr\": ");
  r = run_dcl("train --resume " + run);
  expect_one_error_line(r);
  EXPECT_TRUE(has(r, path + " is not valid JSON")) << r.output;
  fs::remove_all(run);
}

// 3. --tensorboard is a setting of the run: a resumed run goes on writing curves there.
// 24. Resuming a finished run says so, not "resuming at epoch 2".
TEST(UserErrorsE2E, TensorBoardIsKeptInTheRunAndAFinishedRunSaysSo) {
  std::string run = temp_dir("ue_tb"), tb = temp_dir("ue_tb_events");
  CliResult first = run_dcl(tiny().train("--epochs 2 --stop-after-steps 3 --tensorboard " + tb) + " --out " + run);
  ASSERT_EQ(first.code, 130) << first.output;
  EXPECT_EQ(read_json(run + "/config.json")["tensorboard"], tb);
  auto event_files = [&] {
    int n = 0;
    for (const auto& e : fs::directory_iterator(tb)) n += e.path().filename().string().rfind("events.out", 0) == 0;
    return n;
  };
  EXPECT_EQ(event_files(), 1);
  CliResult resumed = run_dcl("train --resume " + run);
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_EQ(event_files(), 2);
  CliResult finished = run_dcl("train --resume " + run);
  ASSERT_EQ(finished.code, 0) << finished.output;
  EXPECT_TRUE(has(finished, "has finished its 2 epochs")) << finished.output;
  EXPECT_FALSE(has(finished, "resuming " + run + " at epoch 3")) << finished.output;
  // An unusable --tensorboard is refused before the run directory is written.
  std::string fresh = temp_dir("ue_tb_fresh"), file = tb + "/a-file";
  write_text(file, "x");
  CliResult bad = run_dcl(tiny().train("--tensorboard " + file) + " --out " + fresh);
  EXPECT_NE(bad.code, 0) << bad.output;
  EXPECT_FALSE(fs::exists(fresh + "/config.json"));
  fs::remove_all(run);
  fs::remove_all(tb);
  fs::remove_all(fresh);
}

// 4. A damaged metrics line is reported on resume, not dropped with the history it holds.
TEST(UserErrorsE2E, ADamagedMetricsLineIsReportedAndKept) {
  std::string run = temp_dir("ue_metrics");
  ASSERT_EQ(run_dcl(tiny().train("--epochs 2 --stop-after-steps 10") + " --out " + run).code, 130);
  const std::string metrics = run + "/metrics.jsonl";
  std::vector<std::string> lines = lines_of(metrics);
  ASSERT_EQ(lines.size(), 1u);
  const std::string cut = lines[0].substr(0, lines[0].size() / 2) + "\n";
  write_text(metrics, cut);
  CliResult r = run_dcl("train --resume " + run);
  expect_one_error_line(r);
  EXPECT_TRUE(has(r, metrics + " line 1 is damaged")) << r.output;
  EXPECT_EQ(read_file(metrics), cut);
  // The report names the line too, in plain words.
  CliResult report = run_dcl("report " + run + " --out " + run + "/r.html");
  expect_one_error_line(report);
  EXPECT_TRUE(has(report, "line 1 is not valid JSON")) << report.output;
  fs::remove_all(run);
}

// 5. A run that stopped before its first checkpoint leaves a directory that the same command
// starts again (and --resume too), with a note.
TEST(UserErrorsE2E, ARunThatNeverSavedIsStartedAgainByTheSameCommand) {
  std::string run = trained_run("ue_never_saved");
  fs::remove(run + "/checkpoint.pt");
  fs::remove(run + "/summary.json");  // what a kill in epoch 1 leaves: config.json, metrics.jsonl
  CliResult again = run_dcl(tiny().train() + " --out " + run);
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_TRUE(has(again, "stopped before its first checkpoint")) << again.output;
  EXPECT_EQ(lines_of(run + "/metrics.jsonl").size(), 1u);
  fs::remove(run + "/checkpoint.pt");
  fs::remove(run + "/summary.json");
  CliResult resumed = run_dcl("train --resume " + run);
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_TRUE(fs::exists(run + "/summary.json"));
  // A finished run is still never overwritten.
  CliResult refused = run_dcl(tiny().train() + " --out " + run);
  EXPECT_TRUE(has(refused, "already holds a run")) << refused.output;
  fs::remove_all(run);
}

// 6, 11, 18, 19. The analyses' numbers and indices are checked by flag before anything runs.
TEST(UserErrors, AnalysisOptionsOutOfRangeAreRefusedByFlag) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"analyze mi --runs R --amplitude nan", "--amplitude"},
      {"analyze mi --runs R --amplitude inf", "--amplitude"},
      {"analyze mi --runs R --amplitude -1", "--amplitude"},
      {"analyze mi --runs R --probe-test 0", "--probe-test"},
      {"analyze mi --runs R --probe-train 0", "--probe-train"},
      {"analyze mi --runs R --probe-train -5", "--probe-train"},
      {"analyze mi --runs R --probe-lr 0", "--probe-lr"},
      {"analyze mi --runs R --probe-lr nan", "--probe-lr"},
      {"analyze mi --runs R --probe-hidden -3", "--probe-hidden"},
      {"analyze saliency --run R --block -2", "--block"},
      {"analyze saliency --run R --images 100000", "--images"},
      {"analyze confusion --run R --limit -5", "--limit"},
      {"analyze embeddings --run R --embedding-block -3", "--embedding-block"},
  };
  for (const auto& [args, flag] : cases) {
    CliResult r = run_dcl(args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.output;
    expect_one_error_line(r);
    EXPECT_EQ(r.output.rfind("dcl: error: " + flag + ":", 0), 0u) << args << ": " << r.output;
  }
}

// 19. Too few images for a pair of labels: the scatter is skipped with a note, not an internal
// error after half the files were written.
TEST(UserErrorsE2E, ConfusionOnOneImageSkipsTheScatterWithANote) {
  std::string run = trained_run("ue_confusion");
  CliResult r = run_dcl("analyze confusion --run " + run + " --limit 1 --threads 1");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(has(r, "write_scatter_png")) << r.output;
  EXPECT_TRUE(has(r, "skipped (no pair of labels has test images")) << r.output;
  fs::remove_all(run);
}

// 7. More local workers than cores is refused before any starts.
// 20. An error every worker would meet is printed once, by the launcher, before any starts.
TEST(UserErrors, LocalWorkersAreCheckedBeforeAnyStarts) {
  std::string out = temp_dir("ue_nproc");
  CliResult r = run_dcl(tiny().train("--nproc 1000") + " --out " + out);
  expect_one_error_line(r);
  EXPECT_TRUE(has(r, "--nproc 1000: this machine has")) << r.output;
  r = run_dcl(tiny().train("--nproc 2 --ensemble-weights 1,2,3") + " --out " + out);
  expect_one_error_line(r);
  EXPECT_TRUE(has(r, "--ensemble-weights has 3 values")) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

// 20. c10d's own log lines (glog) are silenced: a port in use is one line of dcl's.
TEST(UserErrorsE2E, APortInUseIsOneLineWithoutLibraryLogs) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string port = std::to_string(ntohs(addr.sin_port)), out = temp_dir("ue_port");
  CliResult r =
      run_dcl_raw("env RANK=0 WORLD_SIZE=2 LOCAL_RANK=0 LOCAL_WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + port +
                  " " + DCL_BINARY + " " + tiny().train("--dist-timeout 3") + " --out " + out);
  close(listener);
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_FALSE(has(r, "socket.cpp")) << r.output;
  EXPECT_FALSE(has(r, "[c10d]")) << r.output;
  EXPECT_TRUE(has(r, "dcl: error: rank 0 of 2: could not join the job")) << r.output;
  // 5. The directory it left is started again by the same command (here: alone).
  CliResult alone = run_dcl(tiny().train() + " --out " + out);
  EXPECT_EQ(alone.code, 0) << alone.output;
  fs::remove_all(out);
}

// 10, 12, 14, 15, 16, 17, 22. Settings that would do nothing, or harm, are refused by flag
// before anything is written.
TEST(UserErrors, SettingsThatDoNothingOrHarmAreRefusedByFlag) {
  const std::string out = temp_dir("ue_flags");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--method ll-contrec", "ll-contrec cannot train arch 'fc'"},
      {"--memory-budget 1000", "--memory-budget plans the memory of conv blocks"},
      {"--memory-budget 64KiB", "arch fc has none"},
      {"--memory-budget ''", "--memory-budget: needs a size"},
      {"--optimizer sgd --momentum 2", "--momentum must be in [0, 1)"},
      {"--momentum 0.9", "--momentum applies to --optimizer sgd"},
      {"--method bp --similarity cos", "--similarity is a setting of dcl, dcl-s only; method bp does not read it"},
      {"--method bp --ff-threshold 3", "--ff-threshold is a setting of"},
      {"--ensemble-weights 0 0", "--ensemble-weights must not all be 0"},
      {"--pipeline-groups 2", "--pipeline-groups applies to --schedule pipeline only"},
      {"--pipeline-depth 3", "--pipeline-depth applies to --schedule pipeline only"},
      {"--schedule pipeline --pipeline-groups 100", "--pipeline-groups 100: dcl on fc has 3 stages"},
      {"--lr 0.1 --lr 0.2", "--lr was given 2 times; give it once"},
      {"--lr fast", "--lr: 'fast' is not a value of the right kind"},
      {"stray", "unexpected argument(s): stray"},
      {"--gamma 0.3 --lr-schedule cosine", "--gamma applies to --lr-schedule step"},
  };
  for (const auto& [flags, message] : cases) {
    CliResult r = run_dcl(tiny().train(flags) + " --out " + out);
    expect_one_error_line(r);
    EXPECT_TRUE(has(r, message)) << flags << ": " << r.output;
    EXPECT_FALSE(fs::exists(out)) << flags;
  }
  // A list of values takes commas too.
  CliResult commas = run_dcl(tiny().train("--ensemble-weights 1,2") + " --out " + out);
  EXPECT_EQ(commas.code, 0) << commas.output;
  EXPECT_EQ(read_json(out + "/config.json")["ensemble_weights"], nlohmann::json({1.0, 2.0}));
  fs::remove_all(out);
}

// 15. compare rows: the same row twice, or a setting the row's method does not read.
// 26. compare into a run directory, and train into a compare directory.
TEST(UserErrorsE2E, CompareRowsAndDirectoriesAreChecked) {
  const std::string cmp = temp_dir("ue_compare");
  const std::string base = "compare --data fmnist --data-dir " + tiny().dir +
                           " --arch fc --fc-width 64 --threads 1 --epochs 1 --batch-size 64 --out " + cmp;
  CliResult twice = run_dcl(base + " --methods dcl,dcl");
  expect_one_error_line(twice);
  EXPECT_TRUE(has(twice, "names the row 'dcl' twice")) << twice.output;
  CliResult foreign = run_dcl(base + " --methods dcl-s:ll_beta=0.5");
  expect_one_error_line(foreign);
  EXPECT_TRUE(has(foreign, "--ll-beta is a setting of")) << foreign.output;
  EXPECT_FALSE(fs::exists(cmp));

  std::string run = trained_run("ue_compare_run");
  CliResult into_run = run_dcl("compare --data fmnist --data-dir " + tiny().dir +
                               " --arch fc --fc-width 64 --threads 1 --epochs 1 --methods dcl --out " + run);
  expect_one_error_line(into_run);
  EXPECT_TRUE(has(into_run, "is a run directory")) << into_run.output;

  // 13. A row's run that was deleted is named by the report.
  ASSERT_EQ(run_dcl(base + " --methods dcl-s --seeds 2").code, 0);
  CliResult into_compare = run_dcl(tiny().train() + " --out " + cmp);
  expect_one_error_line(into_compare);
  EXPECT_TRUE(has(into_compare, "is a dcl compare directory")) << into_compare.output;
  fs::remove_all(cmp + "/dcl-s-seed2");
  CliResult report = run_dcl("report " + cmp + " --out " + cmp + "/report.html");
  EXPECT_EQ(report.code, 0) << report.output;
  EXPECT_TRUE(has(report, "dcl: warning: " + cmp + ": the run dcl-s-seed2")) << report.output;
  EXPECT_NE(read_file(cmp + "/report.html").find("missing: dcl-s-seed2"), std::string::npos);
  fs::remove_all(cmp);
  fs::remove_all(run);
}

// 9. A report pools only runs that differ in the seed, and says what sets other rows apart.
TEST(UserErrorsE2E, AReportPoolsOnlyRunsThatDifferInTheSeed) {
  std::string a = trained_run("ue_pool_a"), b = trained_run("ue_pool_b", "--epochs 2 --limit-train 256");
  std::string page = a + "/report.html";
  ASSERT_EQ(run_dcl("report " + a + " " + b + " --out " + page).code, 0);
  const std::string html = read_file(page);
  EXPECT_NE(html.find("(epochs=1, limit_train=0)"), std::string::npos);
  EXPECT_NE(html.find("(epochs=2, limit_train=256)"), std::string::npos);
  fs::remove_all(a);
  fs::remove_all(b);
}

// 21. JSON that is not JSON is named by file, in plain words.
TEST(UserErrorsE2E, BrokenJsonFilesAreNamedInPlainWords) {
  std::string run = trained_run("ue_json");
  write_text(run + "/summary.json", "not json");
  CliResult r = run_dcl("report " + run + " --out " + run + "/r.html");
  expect_one_error_line(r);
  EXPECT_TRUE(has(r, run + "/summary.json is not valid JSON")) << r.output;
  fs::remove_all(run);
}
