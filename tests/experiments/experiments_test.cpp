// bench and compare without training a real dataset: the bench rows and their ratios to BP, the
// compare statistics, tables and the paper's reference numbers.
#include <gtest/gtest.h>

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
  EXPECT_DOUBLE_EQ(*reference_error("bp", "fmnist"), 4.53);
  EXPECT_DOUBLE_EQ(*reference_error("dcl", "stl10"), 22.87);
  EXPECT_FALSE(reference_error("ff", "cifar10").has_value());
  EXPECT_DOUBLE_EQ(*reference_memory_mib("dcl", "cifar10"), 747);
}
