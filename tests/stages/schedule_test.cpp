// Schedules and readouts: the sequential order, the training prediction, the shared dictionary.
#include <gtest/gtest.h>

#include "dcl/losses/dictionary_loss.h"
#include "test_models.h"

using namespace dcl;
using namespace test_models;

TEST(SequentialSchedule, StagesUpdateInOrderEachOnThePreviousOutput) {
  Model m = model("dcl");
  std::vector<std::string> order;
  Stage::set_observer([&](const Stage& s, StagePhase phase) {
    if (phase == StagePhase::Backward) order.push_back(s.name());
  });
  torch::Tensor x = torch::randn({8, 1, 28, 28}), y = torch::randint(10, {8}, torch::kInt64);
  StepResult r = m.schedule->step(x, y);
  Stage::set_observer(nullptr);
  EXPECT_EQ(order, (std::vector<std::string>{"block0", "block1", "head"}));
  EXPECT_EQ(r.block_losses.size(), 2u);
  EXPECT_TRUE(r.has_accuracy);
  EXPECT_GE(r.correct, 0);
  EXPECT_LE(r.correct, 8);
}

TEST(SequentialSchedule, TheTrainingPredictionIsTheHeadsOrTheMeanOfTheLayerDistributions) {
  torch::Tensor a = torch::tensor({{2.0, 0.0}, {0.0, 1.0}}), b = torch::tensor({{0.0, 1.0}, {0.0, 3.0}});
  torch::Tensor m = mean_distribution({a, b});
  torch::Tensor want = ((torch::softmax(a, 1) + torch::softmax(b, 1)) / 2).log();
  EXPECT_TRUE(torch::allclose(m, want, 1e-6, 1e-7));
  // FF has neither a head nor layer scores: no training accuracy.
  Model ff = model("ff");
  StepResult r = ff.schedule->step(torch::randn({4, 1, 28, 28}), torch::randint(10, {4}, torch::kInt64));
  EXPECT_FALSE(r.has_accuracy);
}

TEST(SharedDictionary, StaticStaysBitIdenticalAdaptiveOneChangesAndIsDeclaredShared) {
  torch::Tensor x = torch::randn({16, 1, 28, 28}), y = torch::randint(10, {16}, torch::kInt64);
  for (std::string method : {"dcl-s", "dcl"}) {
    Model m = model(method);
    ASSERT_EQ(m.shared.size(), 1u);
    auto& dict = *m.shared[0].second->as<DictionaryImpl>();
    torch::Tensor before = dict.embeddings.detach().clone();
    for (int i = 0; i < 3; ++i) m.schedule->step(x, y);
    bool identical = torch::equal(before, dict.embeddings.detach());
    bool adaptive = method == "dcl";
    EXPECT_EQ(identical, !adaptive) << method;
    // Every block stage of DCL names the dictionary it updates; DCL-S's none.
    for (auto& s : m.stages) {
      if (s->kind() == StageKind::Block) {
        EXPECT_EQ(s->shared_state().size(), adaptive ? 1u : 0u) << method << " " << s->name();
      }
    }
  }
}

TEST(ChainReadout, LayerScoresAreTheDictionaryArgmaxAndTheScoresTheHeads) {
  Model m = model("dcl-s");
  m.train(false);
  torch::Tensor x = torch::randn({6, 1, 28, 28});
  Prediction p = m.readout->predict(x);
  torch::NoGradGuard no_grad;
  torch::Tensor h0 = m.net->blocks[0]->forward(x), h1 = m.net->blocks[1]->forward(h0);
  ASSERT_EQ(p.layer_scores.size(), 2u);
  EXPECT_TRUE(torch::allclose(p.layer_scores[1], m.stage("block1").loss().scores(h1)));
  EXPECT_TRUE(torch::allclose(p.scores, m.net->head->forward(h1)));
}
