// --memory-budget: sizes parse, plans fit the budget they were made for, and what cannot fit says so.
#include <gtest/gtest.h>

#include "dcl/nn/conv_block.h"
#include "dcl/runtime/memory_tracker.h"
#include "dcl/training/memory_plan.h"
#include "test_models.h"

using namespace dcl;

TEST(MemoryBudget, SizesParseWithBinaryAndDecimalUnits) {
  EXPECT_EQ(parse_memory_size("300MiB"), 300ll << 20);
  EXPECT_EQ(parse_memory_size("300M"), 300ll << 20);
  EXPECT_EQ(parse_memory_size("800MB"), 800000000ll);
  EXPECT_EQ(parse_memory_size("1.5GiB"), 3ll << 29);
  EXPECT_EQ(parse_memory_size("4096"), 4096);
  EXPECT_EQ(parse_memory_size("1TiB"), 1ll << 40);
  EXPECT_EQ(parse_memory_size("2TB"), 2000000000000ll);
  for (const char* bad : {"", "lots", "-1MiB", "3 PiB", "1e9"}) {
    try {
      parse_memory_size(bad);
      ADD_FAILURE() << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos) << e.what();
    }
  }
}

namespace {

struct VggRun {
  RunConfig cfg = test_models::config("dcl", "vgg8b");
  InputShape input{3, 32, 32};
  Model model;
  explicit VggRun(int batch) {
    cfg.batch_size = batch;
    model = test_models::model(cfg, input);
  }
  std::vector<ConvBlockImpl*> conv_blocks() {
    std::vector<ConvBlockImpl*> v;
    for (auto& b : model.net->blocks)
      for (auto& m : b->modules(false))
        if (auto* c = dynamic_cast<ConvBlockImpl*>(m.get())) v.push_back(c);
    return v;
  }
};

}  // namespace

TEST(MemoryBudget, ARoomyBudgetKeepsEveryConvOutputAndATightOneRecomputesWhereThePeakIs) {
  VggRun run(16);
  auto roomy = plan_memory(run.model, run.cfg, run.input, 4ll << 30);
  ASSERT_EQ(roomy.size(), 6u);
  for (const auto& p : roomy) {
    EXPECT_FALSE(p.recompute) << p.block;
    EXPECT_EQ(p.chunk, 16) << p.block;  // the whole batch in one convolution
  }
  // Just under the largest estimate: that block (the 128 -> 256 conv at 32x32) gives way first.
  int64_t largest = 0;
  int where = -1;
  for (const auto& p : roomy)
    if (p.estimated_peak > largest) largest = p.estimated_peak, where = p.block;
  EXPECT_EQ(where, 1);
  auto tight = plan_memory(run.model, run.cfg, run.input, largest - 1);
  for (const auto& p : tight) {
    EXPECT_LE(p.estimated_peak, largest - 1);
    if (p.block == where) {
      EXPECT_TRUE(p.recompute || p.chunk < 16);
    }
  }
  auto blocks = run.conv_blocks();
  EXPECT_EQ(blocks[1]->recompute(), tight[1].recompute);
  EXPECT_EQ(blocks[1]->chunk(), tight[1].chunk);
}

TEST(MemoryBudget, WithoutABudgetOnlyTheBlockThatSetsThePeakKeepsItsChunks) {
  VggRun run(128);
  auto plans = plan_memory(run.model, run.cfg, run.input, -1);
  ASSERT_EQ(plans.size(), 6u);
  int64_t natural = 0;
  for (const auto& p : plans) {
    EXPECT_FALSE(p.recompute);
    natural = std::max(natural, p.estimated_peak);
  }
  EXPECT_EQ(plans[1].chunk, 32);   // the peak: the fixed plan's chunks
  EXPECT_EQ(plans[5].chunk, 128);  // 512 channels at 4x4: far below it, one convolution
  for (const auto& p : plans) EXPECT_LE(p.estimated_peak, natural);
  // BP keeps the fixed chunks: nothing is planned.
  RunConfig bp = test_models::config("bp", "vgg8b");
  bp.batch_size = 128;
  Model bp_model = test_models::model(bp, run.input);
  EXPECT_TRUE(plan_memory(bp_model, bp, run.input, -1).empty());
}

TEST(MemoryBudget, TheMeasuredPeakOfATrainingStepStaysUnderTheBudget) {
  VggRun run(32);
  MemoryTracker memory("cpu");
  torch::Tensor x = torch::randn({32, 3, 32, 32}), y = torch::randint(10, {32}, torch::kInt64);
  run.model.schedule->step(x, y);  // optimiser state exists from here on
  memory.reset_peak();
  run.model.schedule->step(x, y);
  const int64_t unplanned = memory.peak_bytes();
  const int64_t budget = unplanned * 3 / 4;
  plan_memory(run.model, run.cfg, run.input, budget);
  memory.reset_peak();
  run.model.schedule->step(x, y);
  EXPECT_LE(memory.peak_bytes(), budget) << "unplanned peak " << unplanned;
}

namespace {

// The peak of one training step after a first one (which creates the optimiser's state).
int64_t step_peak(VggRun& run) {
  MemoryTracker memory("cpu");
  torch::manual_seed(5);
  torch::Tensor x = torch::randn({32, 3, 32, 32}), y = torch::randint(10, {32}, torch::kInt64);
  run.model.schedule->step(x, y);
  memory.reset_peak();
  run.model.schedule->step(x, y);
  return memory.peak_bytes();
}

}  // namespace

// --amp bf16 keeps the fused conv blocks, whose conv outputs are kept in bfloat16: the step's peak
// falls below float32's, the plan counts it, and a budget still holds.
TEST(MemoryBudget, UnderBf16TheKeptConvOutputsTakeHalfTheBytesAndABudgetHolds) {
  MemoryTracker counting("cpu");  // counts from here: both models' parameters are in their peaks
  std::vector<BlockMemoryPlan> plan32;
  int64_t peak32 = 0;
  {  // one model alive at a time: the peaks are the whole process's
    VggRun fp32(32);
    plan32 = plan_memory(fp32.model, fp32.cfg, fp32.input, -1);
    peak32 = step_peak(fp32);
  }
  VggRun bf16(32);
  bf16.cfg.amp = Amp::Bf16;
  bf16.model.set_amp(Amp::Bf16, torch::kCPU);
  auto plan16 = plan_memory(bf16.model, bf16.cfg, bf16.input, -1);
  ASSERT_EQ(plan16.size(), plan32.size());
  for (size_t b = 0; b < plan32.size(); ++b) EXPECT_LT(plan16[b].estimated_peak, plan32[b].estimated_peak) << b;
  const int64_t peak16 = step_peak(bf16);
  EXPECT_LT(peak16, peak32);
  const int64_t budget = peak16 * 3 / 4;
  plan_memory(bf16.model, bf16.cfg, bf16.input, budget);
  EXPECT_LE(step_peak(bf16), budget) << "float32 peak " << peak32 << ", bf16 unplanned " << peak16;
}

TEST(MemoryBudget, AnImpossibleBudgetOrAnEndToEndMethodIsRefusedWithTheReason) {
  VggRun run(16);
  try {
    plan_memory(run.model, run.cfg, run.input, 10ll << 20);
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("below what block 0 needs at the least"), std::string::npos) << e.what();
  }
  RunConfig bp = test_models::config("bp", "vgg8b");
  Model bp_model = test_models::model(bp, run.input);
  try {
    plan_memory(bp_model, bp, run.input, 4ll << 30);
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("applies to local methods"), std::string::npos) << e.what();
  }
}
