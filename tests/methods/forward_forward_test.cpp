// Forward-Forward and SymBa as methods: the batched Z-way prediction against a per-label loop,
// block-local updates, and the negative-label policy.
#include <gtest/gtest.h>

#include "dcl/losses/goodness.h"
#include "test_models.h"

using namespace dcl;
using namespace test_models;

namespace {

// Σ_l g_l(overlay(x, z)) through the network's blocks, each on its normalised input, by hand.
torch::Tensor label_goodness(Model& m, const torch::Tensor& x, int64_t z) {
  torch::Tensor h = overlay_label(x, torch::full({x.size(0)}, z, torch::kLong), 10);
  torch::Tensor total = torch::zeros({x.size(0)});
  for (auto& block : m.net->blocks) {
    h = block->forward(normalise_length(h));
    total += goodness(h);
  }
  return total;
}

}  // namespace

class FFPrediction : public ::testing::TestWithParam<std::string> {};

TEST_P(FFPrediction, BatchedZWayEvaluationEqualsAPerLabelLoop) {
  bool conv = GetParam() == "simple256";
  InputShape in = conv ? InputShape{1, 12, 12} : InputShape{1, 28, 28};
  Model m = model("ff", GetParam(), in, 3);
  // A few updates so that the goodness depends on the label.
  torch::Tensor xt = torch::randn({32, in.channels, in.height, in.width}), yt = torch::randint(10, {32}, torch::kLong);
  for (int i = 0; i < 3; ++i) m.schedule->step(xt, yt);
  m.train(false);
  torch::NoGradGuard no_grad;
  // 900 samples: the fc batch of 9000 rows is split into label chunks (9 + 1).
  int64_t n = conv ? 20 : 900;
  torch::Tensor x = torch::randn({n, in.channels, in.height, in.width});
  torch::Tensor batched = m.readout->predict(x).scores;
  ASSERT_EQ(batched.sizes(), (std::vector<int64_t>{n, 10}));
  std::vector<torch::Tensor> columns;
  for (int z = 0; z < 10; ++z) {
    columns.push_back(label_goodness(m, x, z));
    EXPECT_TRUE(torch::allclose(batched.select(1, z), columns.back(), 1e-4, 1e-5)) << "label " << z;
  }
  EXPECT_TRUE(torch::equal(batched.argmax(1), torch::stack(columns, 1).argmax(1)));
}

INSTANTIATE_TEST_SUITE_P(Archs, FFPrediction, ::testing::Values("fc", "simple256"),
                         [](const auto& info) { return info.param; });

TEST(FFNegatives, HardestNegativesAreChosenByTheModelNotByChance) {
  // With hardest negatives (and no dropout) a step draws no random numbers: two identical models
  // stepped under different generator seeds stay identical. Random negatives do not.
  torch::manual_seed(7);
  torch::Tensor x = torch::randn({16, 1, 28, 28}), y = torch::randint(10, {16}, torch::kLong);
  for (std::string policy : {"hardest", "random"}) {
    RunConfig c = config("ff");
    c.methods.set("ff_negatives", policy);
    // θ below the initial goodness (about 1/6 per unit): the negatives' logits are not saturated,
    // so which negatives were drawn changes the step (at θ = 1 only the positives would act).
    c.methods.set("ff_threshold", 0.05);
    Model a = model(c), b = model(c);
    torch::manual_seed(1);
    a.schedule->step(x, y);
    torch::manual_seed(2);
    b.schedule->step(x, y);
    bool same = torch::equal(a.net->blocks[0]->parameters()[0], b.net->blocks[0]->parameters()[0]);
    EXPECT_EQ(same, policy == "hardest") << policy;
  }
}

TEST(FFSettings, ThresholdAndAlphaReachTheLosses) {
  // The same positives and negatives through ff at two thresholds give two different losses.
  torch::Tensor x = torch::randn({8, 1, 28, 28}), y = torch::randint(10, {8}, torch::kLong);
  std::vector<double> losses;
  for (double theta : {0.5, 3.0}) {
    RunConfig c = config("ff");
    c.methods.set("ff_threshold", theta);
    Model m = model(c);
    torch::manual_seed(4);
    losses.push_back(m.schedule->step(x, y).block_losses[0]);
  }
  EXPECT_NE(losses[0], losses[1]);
}
