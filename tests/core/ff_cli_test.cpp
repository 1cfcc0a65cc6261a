// The Forward-Forward family end to end through the `dcl` binary on real Fashion-MNIST: each
// method learns well above chance (0.1) in a short run, through the same trainer and run directory
// as DCL, and `dcl eval` reproduces the accuracy from the checkpoint.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_test_util.h"

namespace fs = std::filesystem;
using namespace cli_test;

namespace {

struct Case {
  std::string method, args;
  double min_accuracy;
};

}  // namespace

class ForwardForwardRun : public ::testing::TestWithParam<Case> {};

TEST_P(ForwardForwardRun, ShortFashionMnistRunBeatsChanceClearly) {
  if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const Case& c = GetParam();
  fs::path dir = fs::temp_directory_path() / ("dcl_test_" + c.method + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  CliResult r = run_dcl("train --data fmnist --arch fc --method " + c.method + " " + c.args +
                  " --limit-test 500 --threads 2 --out " + dir.string());
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream f(dir / "summary.json");
  auto summary = nlohmann::json::parse(f);
  EXPECT_GT(summary["test_accuracy"].get<double>(), c.min_accuracy) << r.output;
  CliResult e = run_dcl("eval --run " + dir.string());
  ASSERT_EQ(e.code, 0) << e.output;
  auto j = nlohmann::json::parse(e.output.substr(e.output.find('{')));
  EXPECT_DOUBLE_EQ(j["head_accuracy"].get<double>(), summary["test_accuracy"].get<double>());
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(
    Methods, ForwardForwardRun,
    ::testing::Values(Case{"ff", "--epochs 1 --batch-size 64 --limit-train 4096 --lr 1e-3", 0.4},
                      Case{"symba", "--epochs 1 --batch-size 64 --limit-train 4096 --lr 1e-3", 0.4},
                      Case{"pff", "--epochs 1 --batch-size 64 --limit-train 1024", 0.4}),
    [](const auto& info) { return info.param.method; });
