// Predictive Forward-Forward: its loss, its checkpointed state, block-local learning, fc only.
#include <gtest/gtest.h>

#include <cmath>

#include "dcl/core/method.h"
#include "dcl/core/pff.h"

using namespace dcl;

namespace {

Model pff_model(const std::string& arch = "fc", InputShape in = {1, 28, 28}) {
  RunConfig c;
  c.method = "pff";
  c.arch = arch;
  c.fc_width = 64;
  c.fc_patches = 8;
  torch::manual_seed(5);
  return build_model(c, in, 10);
}

}  // namespace

TEST(PffLoss, EqualsHandComputedValue) {
  // Two positives then two negatives, 2 units each; G = mean of squares.
  torch::Tensor z = torch::tensor({1.0, 1.0, 0.5, 2.0, 2.0, 0.0, 0.1, 0.2}, torch::kFloat64).view({4, 2});
  const double theta = 1.5;
  double g[4] = {1.0, 2.125, 2.0, 0.025};
  double want = (std::log1p(std::exp(g[0] - theta)) + std::log1p(std::exp(g[1] - theta)) +
                 std::log1p(std::exp(theta - g[2])) + std::log1p(std::exp(theta - g[3]))) / 4;
  EXPECT_NEAR(pff_goodness_loss(z, 2, theta).item<double>(), want, 1e-12);
}

TEST(Pff, CircuitIsPartOfTheCheckpointedState) {
  Model m = pff_model();
  bool top_down = false, generative = false;
  for (auto& [name, t] : m.named_state()) {
    top_down |= name.rfind("objective.top_down", 0) == 0;
    generative |= name.rfind("objective.generate", 0) == 0;
  }
  EXPECT_TRUE(top_down);
  EXPECT_TRUE(generative);
  EXPECT_GT(m.auxiliary_parameters(), 0);
  // Blocks (2) + head + generative circuit.
  EXPECT_EQ(m.learner->optimizers.size(), 4u);
}

TEST(Pff, TrainsEveryPartAndPredictsWithTheHead) {
  Model m = pff_model();
  torch::Tensor x = torch::randn({16, 1, 28, 28}), y = torch::randint(10, {16}, torch::kLong);
  auto snapshot = [&] {
    std::vector<torch::Tensor> v;
    for (auto& [name, t] : m.named_state()) v.push_back(t.detach().clone());
    return v;
  };
  auto before = snapshot();
  StepResult r = m.learner->train_step(x, y);
  ASSERT_EQ(r.block_losses.size(), 2u);
  auto after = snapshot();
  auto names = m.named_state();
  for (size_t i = 0; i < before.size(); ++i)
    if (names[i].second.requires_grad()) EXPECT_FALSE(torch::equal(before[i], after[i])) << names[i].first;
  for (auto& p : m.net->parameters()) EXPECT_FALSE(p.grad().defined());
  m.train(false);
  torch::Tensor s = m.learner->predict(x, {});
  EXPECT_EQ(s.sizes(), (std::vector<int64_t>{16, 10}));
}

TEST(Pff, ConvNetworksAreAClearError) {
  try {
    pff_model("simple256", {1, 12, 12});
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--arch fc"), std::string::npos) << e.what();
  }
}
