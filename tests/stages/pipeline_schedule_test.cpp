// The block pipeline: the same updates as the sequential schedule where the method allows it,
// results in order, errors carried back to the trainer's thread.
#include <gtest/gtest.h>

#include "dcl/stages/intra_op_threads.h"
#include "dcl/stages/pipeline_schedule.h"
#include "test_models.h"

using namespace dcl;
using namespace test_models;

namespace {

struct Batches {
  std::vector<torch::Tensor> x, y;
};

Batches batches(int count, int size = 16) {
  torch::manual_seed(3);
  Batches b;
  for (int i = 0; i < count; ++i) {
    b.x.push_back(torch::randn({size, 1, 28, 28}));
    b.y.push_back(torch::randint(10, {size}, torch::kInt64));
  }
  return b;
}

// Trains `m` on the batches through its schedule's trainer entry (push, then drain).
std::vector<StepResult> train(Model& m, const Batches& b) {
  std::vector<StepResult> out;
  for (size_t i = 0; i < b.x.size(); ++i)
    for (auto& r : m.schedule->push(b.x[i], b.y[i])) out.push_back(r);
  for (auto& r : m.schedule->drain()) out.push_back(r);
  return out;
}

void expect_same_state(Model& a, Model& b, const std::string& what) {
  auto sa = a.named_state(), sb = b.named_state();
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i)
    EXPECT_TRUE(torch::equal(sa[i].second, sb[i].second)) << what << ": " << sa[i].first << " differs";
}

PipelineOptions options(bool synchronous, int depth = 1, int groups = 0) {
  PipelineOptions o;
  o.synchronous = synchronous;
  o.depth = depth;
  o.groups = groups;
  o.intra_op_threads = 1;
  return o;
}

}  // namespace

TEST(PipelineSchedule, StagesSplitIntoContiguousEvenRuns) {
  using Runs = std::vector<std::vector<size_t>>;
  EXPECT_EQ(split_stages(3, 0), (Runs{{0}, {1}, {2}}));
  EXPECT_EQ(split_stages(3, 2), (Runs{{0, 1}, {2}}));
  EXPECT_EQ(split_stages(8, 3), (Runs{{0, 1, 2}, {3, 4, 5}, {6, 7}}));
  EXPECT_EQ(split_stages(2, 5), (Runs{{0}, {1}}));
}

TEST(PipelineSchedule, BalancedSplitMinimisesTheSlowestRun) {
  using Runs = std::vector<std::vector<size_t>>;
  EXPECT_EQ(balanced_split({1, 1, 0.2}, 2), (Runs{{0}, {1, 2}}));  // fc: two blocks and a small head
  EXPECT_EQ(balanced_split({5, 1, 1, 1}, 2), (Runs{{0}, {1, 2, 3}}));
  EXPECT_EQ(balanced_split({1, 1, 1, 1, 4}, 2), (Runs{{0, 1, 2, 3}, {4}}));
  EXPECT_EQ(balanced_split({3, 1, 1, 1, 1, 1}, 3), (Runs{{0}, {1, 2, 3}, {4, 5}}));  // a tie: more stages early
  EXPECT_EQ(balanced_split({1, 2}, 0), (Runs{{0}, {1}}));
}

// Queue depth 1, synchronous: bit for bit the sequential schedule, the adaptive dictionary included.
TEST(PipelineSchedule, SynchronousModeEqualsSequentialBitForBit) {
  set_intra_op_threads(1);  // LibTorch and OpenBLAS: results depend on both counts
  Batches b = batches(5);
  for (int groups : {0, 2}) {
    Model sequential = model("dcl"), pipelined = model("dcl");
    auto want = train(sequential, b);
    use_pipeline(pipelined, "dcl", options(true, 1, groups));
    auto got = train(pipelined, b);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].train_loss, want[i].train_loss) << "batch " << i;
      EXPECT_EQ(got[i].block_losses, want[i].block_losses);
      EXPECT_EQ(got[i].correct, want[i].correct);
      EXPECT_EQ(got[i].samples, 16);
    }
    expect_same_state(sequential, pipelined, "dcl, groups " + std::to_string(groups));
  }
}

// Stages that share nothing (DCL-S's dictionary is fixed) see the same inputs in the same order
// however the batches overlap: the asynchronous pipeline is exact too.
TEST(PipelineSchedule, AsynchronousModeIsExactWhenStagesShareNothing) {
  set_intra_op_threads(1);  // LibTorch and OpenBLAS: results depend on both counts
  Batches b = batches(6);
  Model sequential = model("dcl-s"), pipelined = model("dcl-s");
  auto want = train(sequential, b);
  use_pipeline(pipelined, "dcl-s", options(false, 2));
  auto got = train(pipelined, b);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].train_loss, want[i].train_loss) << "batch " << i;
  expect_same_state(sequential, pipelined, "dcl-s asynchronous");
}

// The ResNet methods whose stages share nothing, DGL's and AugLocal's last module trained with the
// classifier as one stage included: the asynchronous pipeline is exact for them too.
TEST(PipelineSchedule, ResNetModulesPipelineExactlyWhenTheyShareNothing) {
  set_intra_op_threads(1);
  Batches b = batches(4, 8);
  for (const char* method : {"dcl-s", "dgl", "auglocal"}) {
    RunConfig c = config(method, "resnet32");
    c.local_modules = 4;
    Model sequential = model(c), pipelined = model(c);
    auto want = train(sequential, b);
    use_pipeline(pipelined, method, options(false, 2));
    auto got = train(pipelined, b);
    ASSERT_EQ(got.size(), want.size()) << method;
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].train_loss, want[i].train_loss) << method << " " << i;
    expect_same_state(sequential, pipelined, std::string(method) + " on resnet32, asynchronous");
  }
}

// The adaptive dictionary is updated under the lock: every batch is trained, in order, and the
// dictionary moves; the results come back for every batch pushed.
TEST(PipelineSchedule, AsynchronousAdaptiveDictionaryTrainsEveryBatch) {
  set_intra_op_threads(1);  // LibTorch and OpenBLAS: results depend on both counts
  Batches b = batches(8);
  Model m = model("dcl");
  torch::Tensor dict = m.shared[0].second->parameters()[0];
  torch::Tensor before = dict.detach().clone();
  auto& pipeline = use_pipeline(m, "dcl", options(false, 2));
  auto got = train(m, b);
  ASSERT_EQ(got.size(), 8u);
  for (auto& r : got) {
    EXPECT_EQ(r.block_losses.size(), 2u);
    EXPECT_TRUE(std::isfinite(r.train_loss));
  }
  EXPECT_FALSE(torch::equal(before, dict.detach()));
  auto timeline = pipeline.timeline();
  ASSERT_EQ(timeline.size(), 3u);
  for (auto& g : timeline) {
    EXPECT_EQ(g.batches, 8);
    EXPECT_GT(g.compute_seconds, 0.0);
  }
  EXPECT_EQ(timeline[0].stages, std::vector<std::string>{"block0"});
}

TEST(PipelineSchedule, AStageErrorReachesTheTrainerNamingTheStage) {
  Model m = model("dcl");
  use_pipeline(m, "dcl", options(false));
  torch::Tensor nan = torch::full({4, 1, 28, 28}, std::nan(""));
  std::string message;
  try {
    for (int i = 0; i < 4; ++i) m.schedule->push(nan, torch::zeros({4}, torch::kInt64));
    m.schedule->drain();
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("stage block0"), std::string::npos) << message;
}

TEST(PipelineSchedule, RefusesMethodsWithOneStageOrTheirOwnSchedule) {
  Model bp = model("bp");
  try {
    use_pipeline(bp, "bp", options(false));
    FAIL() << "bp was pipelined";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("one stage"), std::string::npos) << e.what();
  }
  Model pff = model("pff");
  EXPECT_THROW(use_pipeline(pff, "pff", options(false)), std::invalid_argument);
}
