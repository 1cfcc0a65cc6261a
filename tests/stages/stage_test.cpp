// Stage::update, the one place a local update is written: what it reads, steps, releases and refuses.
#include <gtest/gtest.h>

#include <cmath>

#include "dcl/optim/optimizer.h"
#include "dcl/stages/stage.h"

using namespace dcl;
namespace nn = torch::nn;

namespace {

// A linear block judged by cross-entropy, with an optimiser over its parameters.
std::shared_ptr<Stage> linear_stage(nn::Linear block, bool frozen = false, double lr = 0.1) {
  auto stage = std::make_shared<Stage>("block0", StageKind::Block, stage_block(block),
                                       std::make_shared<CrossEntropyLoss>(), frozen);
  stage->set_optimizer(optimizer_factory({OptimizerKind::Sgd, lr, 0.0, 0.0})(stage->parameters()));
  return stage;
}

}  // namespace

TEST(Stage, UpdateIsOneSgdStepOnItsOwnLossAndReleasesTheGradients) {
  torch::manual_seed(1);
  nn::Linear block(4, 3);
  auto stage = linear_stage(block);
  torch::Tensor x = torch::randn({5, 4}, torch::requires_grad()), y = torch::randint(3, {5}, torch::kInt64);
  // The same step by hand on a copy.
  torch::Tensor w = block->weight.detach().clone().requires_grad_(true);
  torch::Tensor b = block->bias.detach().clone().requires_grad_(true);
  torch::Tensor logits = torch::matmul(x.detach(), w.t()) + b;
  torch::nn::functional::cross_entropy(logits, y).backward();
  StageResult r = stage->update(x, Target{y, {}});
  EXPECT_TRUE(torch::allclose(block->weight, w - 0.1 * w.grad(), 1e-6, 1e-7));
  EXPECT_TRUE(torch::allclose(block->bias, b - 0.1 * b.grad(), 1e-6, 1e-7));
  EXPECT_NEAR(r.loss, torch::nn::functional::cross_entropy(logits, y).item<double>(), 1e-6);
  EXPECT_FALSE(r.output.requires_grad());                                // the next stage's input is detached
  EXPECT_TRUE(torch::allclose(r.scores, logits.detach(), 1e-5, 1e-6));   // the loss's scores come back
  EXPECT_FALSE(x.grad().defined());                                      // nothing flowed into the input
  for (auto& p : block->parameters()) EXPECT_FALSE(p.grad().defined());  // gradients released
}

TEST(Stage, NonFiniteLossIsAnErrorNamingTheStageAndNoWeightChanges) {
  nn::Linear block(4, 3);
  auto stage = linear_stage(block);
  torch::Tensor before = block->weight.detach().clone();
  torch::Tensor x = torch::full({2, 4}, std::nan("")), y = torch::zeros({2}, torch::kInt64);
  try {
    stage->update(x, Target{y, {}});
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("stage block0"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nan"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(torch::equal(before, block->weight));
}

TEST(Stage, AFrozenBlockNeitherLearnsNorLeavesEvalMode) {
  nn::Sequential block(nn::Linear(4, 4), nn::BatchNorm1d(4));
  auto loss_head = std::make_shared<CrossEntropyLoss>();
  Stage stage("block0", StageKind::Block, stage_block(block), loss_head, /*frozen=*/true);
  EXPECT_TRUE(stage.parameters().empty());  // the optimiser gets nothing of the block
  stage.train(true);
  EXPECT_FALSE(block->is_training());
  torch::Tensor out = stage.forward(torch::randn({3, 4}));
  EXPECT_FALSE(out.requires_grad());
}

TEST(Stage, SharedStateJoinsTheOptimiserAndIsNamed) {
  nn::Linear block(2, 2);
  torch::Tensor shared = torch::zeros({3}, torch::requires_grad());
  Stage stage("block0", StageKind::Block, stage_block(block), std::make_shared<CrossEntropyLoss>(), false);
  stage.add_shared("dictionary", {shared});
  auto params = stage.parameters();
  ASSERT_EQ(params.size(), 3u);
  EXPECT_TRUE(params.back().is_same(shared));
  EXPECT_EQ(stage.shared_state(), std::vector<std::string>{"dictionary"});
}

TEST(Stage, TheObserverSeesEveryPhaseInOrder) {
  nn::Linear block(4, 3);
  auto stage = linear_stage(block);
  std::vector<std::string> events;
  bool grads_during_step = false;
  Stage::set_observer([&](const Stage& s, StagePhase phase) {
    events.push_back(s.name() + ":" + name_of(phase));
    if (phase == StagePhase::Step) grads_during_step = block->weight.grad().defined();
  });
  stage->update(torch::randn({2, 4}), Target{torch::zeros({2}, torch::kInt64), {}});
  Stage::set_observer(nullptr);
  EXPECT_EQ(events, (std::vector<std::string>{"block0:forward", "block0:loss", "block0:backward", "block0:step",
                                              "block0:done"}));
  EXPECT_TRUE(grads_during_step);  // the step phase starts after backward has written the gradients
}

TEST(Stage, TheGradientHookRunsBetweenBackwardAndStep) {
  nn::Linear block(4, 3);
  auto stage = linear_stage(block);
  torch::Tensor before = block->weight.detach().clone();
  bool called = false;
  stage->set_gradient_hook([&](Stage& s) {
    called = true;
    EXPECT_TRUE(torch::equal(block->weight, before));  // not stepped yet
    ASSERT_TRUE(block->weight.grad().defined());
    for (auto& p : s.parameters()) p.mutable_grad().zero_();  // e.g. an all-reduce replaces them
  });
  stage->update(torch::randn({2, 4}), Target{torch::zeros({2}, torch::kInt64), {}});
  EXPECT_TRUE(called);
  EXPECT_TRUE(torch::equal(block->weight, before));  // SGD without momentum on zero gradients
}
