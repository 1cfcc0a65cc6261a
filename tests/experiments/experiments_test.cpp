// bench and compare without training a real dataset: the bench rows and their ratios to BP, the
// compare statistics, tables and the paper's reference numbers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "dcl/experiments/bench.h"
#include "dcl/experiments/compare.h"

using namespace dcl;

TEST(Bench, EveryMethodGetsARowAndBpIsTheUnitOfTheRatios) {
  BenchOptions o;
  o.base.fc_width = 64;
  o.base.batch_size = 16;
  o.input = {1, 12, 12};
  o.methods = {"bp", "dcl", "pff"};
  o.steps = 2;
  o.warmup = 1;
  auto rows = run_bench(o);
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& r : rows) {
    EXPECT_GT(r.median_step_seconds, 0) << r.method;
    EXPECT_GT(r.peak_bytes, 0) << r.method;
    EXPECT_EQ(r.params, rows[0].params) << r.method;  // the same network for every method
  }
  EXPECT_EQ(rows[0].auxiliary_params, 0);
  EXPECT_EQ(rows[1].auxiliary_params, 10 * 8);  // DCL's learned dictionary: Z x CD, CD = 64 / 8 patches
  EXPECT_GT(rows[2].auxiliary_params, 0);       // PFF's top-down and generative circuits
  nlohmann::json j = bench_json(o, rows);
  EXPECT_DOUBLE_EQ(j["methods"][0]["time_ratio_to_bp"].get<double>(), 1.0);
  EXPECT_NE(format_bench_table(rows).find("1.00x"), std::string::npos);
  EXPECT_EQ(parse_input_shape("3x32x32").str(), "3x32x32");
  EXPECT_THROW(parse_input_shape("3x32"), std::invalid_argument);
}

TEST(Compare, StatisticsTablesAndReferenceNumbers) {
  CompareRow r;
  r.method = "dcl";
  r.test_errors = {10.0, 12.0, 14.0};
  EXPECT_DOUBLE_EQ(r.mean_error(), 12.0);
  EXPECT_DOUBLE_EQ(r.error_spread(), 2.0);  // sample standard deviation
  std::string csv = format_compare_csv({r});
  EXPECT_EQ(csv.rfind("method,seeds,test_error_mean", 0), 0u) << csv;
  EXPECT_NE(csv.find("\ndcl,3,12"), std::string::npos) << csv;
  // Spec section 7: Table 3 (VGG8B error) and Table 4 (memory).
  EXPECT_DOUBLE_EQ(*reference_error("bp", "fmnist", "vgg8b"), 4.53);
  EXPECT_DOUBLE_EQ(*reference_error("dcl", "stl10", "vgg8b"), 22.87);
  EXPECT_FALSE(reference_error("ff", "cifar10", "vgg8b").has_value());
  EXPECT_DOUBLE_EQ(*reference_memory_mib("dcl", "cifar10", "vgg8b"), 747);
  // VGG8B's numbers are not targets for another network: a fc row gets none.
  EXPECT_FALSE(reference_error("dcl", "fmnist", "fc").has_value());
  EXPECT_FALSE(reference_memory_mib("dcl", "cifar10", "resnet32").has_value());
}

TEST(Compare, RowsWithSettingsOfTheirOwn) {
  RunConfig base;
  RunConfig c = row_config(base, "dcl-s:dict_init=orthogonal");
  EXPECT_EQ(c.method, "dcl-s");
  EXPECT_EQ(c.to_json()["dict_init"], "orthogonal");
  c = row_config(base, "dcl:similarity=cos:temperature=0.5");
  EXPECT_EQ(c.to_json()["similarity"], "cos");
  EXPECT_DOUBLE_EQ(c.to_json()["temperature"].get<double>(), 0.5);
  EXPECT_EQ(row_config(base, "dcl:epochs=3").epochs, 3);
  EXPECT_EQ(row_config(base, "bp").to_json(), [&] {
    RunConfig b = base;
    b.method = "bp";
    return b.to_json();
  }());
  auto message = [&](const std::string& row) {
    try {
      row_config(base, row);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(message("dcl:bogus=1").find("'bogus=1' is not KEY=VALUE"), std::string::npos) << message("dcl:bogus=1");
  EXPECT_NE(message("dcl:temperature").find("'temperature' is not KEY=VALUE"), std::string::npos);
  EXPECT_NE(message("dcl:seed=4").find("'seed=4'"), std::string::npos);  // the seeds are compare's own
  EXPECT_NE(message("dcl:temperature=warm").find("temperature cannot be 'warm'"), std::string::npos)
      << message("dcl:temperature=warm");
  EXPECT_NE(message("dcl:epochs=2.5").find("epochs cannot be '2.5'"), std::string::npos);
  EXPECT_NE(message("dcl:dict_init=sideways").find("sideways"), std::string::npos) << message("dcl:dict_init=sideways");
  EXPECT_NE(message("nope:dict_init=orthogonal").find("unknown method 'nope'"), std::string::npos);
  for (const auto& row : dcl_variant_rows()) EXPECT_NO_THROW(row_config(base, row)) << row;
  CompareOptions o;
  o.out = "cmp";
  EXPECT_EQ(compare_run_dir(o, "dcl:dict_map=linear", 2), "cmp/dcl.dict_map=linear-seed2");
}

TEST(Compare, LearningCurvesAreTheMeanTestErrorPerEpochOverTheSeeds) {
  CompareOptions o;
  o.methods = {"dcl", "ff", "bp"};
  o.seeds = 2;
  o.out = (std::filesystem::temp_directory_path() / ("dcl-curves-" + std::to_string(::getpid()))).string();
  auto write = [&](const std::string& method, uint64_t seed, const std::vector<double>& accuracies) {
    std::string dir = compare_run_dir(o, method, seed);
    std::filesystem::create_directories(dir);
    std::ofstream out(dir + "/metrics.jsonl");
    for (size_t e = 0; e < accuracies.size(); ++e)
      out << nlohmann::json{{"epoch", e + 1}, {"test", {{"head_accuracy", accuracies[e]}}}}.dump() << "\n";
  };
  write("dcl", 1, {0.80, 0.90});
  write("dcl", 2, {0.70, 0.86});
  write("ff", 1, {0.5});  // the second seed has not finished an epoch yet
  // bp has no runs: no series
  plot::LinePlot p = learning_curves(o);
  std::filesystem::remove_all(o.out);
  ASSERT_EQ(p.series.size(), 2u);
  EXPECT_EQ(p.series[0].name, "dcl");
  EXPECT_EQ(p.series[0].x, (std::vector<double>{1, 2}));
  EXPECT_NEAR(p.series[0].y[0], 25.0, 1e-9);  // (20 + 30) / 2
  EXPECT_NEAR(p.series[0].y[1], 12.0, 1e-9);  // (10 + 14) / 2
  EXPECT_EQ(p.series[1].name, "ff");
  EXPECT_NEAR(p.series[1].y.at(0), 50.0, 1e-9);
}
