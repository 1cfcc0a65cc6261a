// Predictive Forward-Forward: its loss, its checkpointed state, block-local learning, fc only.
#include <gtest/gtest.h>

#include <cmath>

#include "dcl/losses/goodness.h"
#include "test_models.h"

using namespace dcl;
using namespace test_models;

namespace {

Model pff_model(const std::string& arch = "fc", InputShape in = {1, 28, 28}) {
  RunConfig c = config("pff", arch);
  c.fc_width = 64;
  c.fc_patches = 8;
  return model(c, in, 5);
}

}  // namespace

TEST(PffLoss, EqualsHandComputedValue) {
  // Two positives then two negatives, 2 units each; G = mean of squares.
  torch::Tensor z = torch::tensor({1.0, 1.0, 0.5, 2.0, 2.0, 0.0, 0.1, 0.2}, torch::kFloat64).view({4, 2});
  const double theta = 1.5;
  double g[4] = {1.0, 2.125, 2.0, 0.025};
  double want = (std::log1p(std::exp(g[0] - theta)) + std::log1p(std::exp(g[1] - theta)) +
                 std::log1p(std::exp(theta - g[2])) + std::log1p(std::exp(theta - g[3]))) /
                4;
  EXPECT_NEAR(pff_goodness_loss(z, 2, theta).item<double>(), want, 1e-12);
  GoodnessLoss module(GoodnessRule::Pff, theta);
  EXPECT_NEAR(module.forward(z, Target{}).loss.item<double>(), want, 1e-12);
  // The reference's scale (PffSum): θ on the sum of squares, here twice the mean.
  double sum_want = 0;
  for (int i = 0; i < 4; ++i) sum_want += std::log1p(std::exp(i < 2 ? 2 * g[i] - theta : theta - 2 * g[i])) / 4;
  EXPECT_NEAR(pff_goodness_loss(z, 2, theta, true).item<double>(), sum_want, 1e-12);
  GoodnessLoss sum_module(GoodnessRule::PffSum, theta);
  EXPECT_NEAR(sum_module.forward(z, Target{}).loss.item<double>(), sum_want, 1e-12);
}

TEST(Pff, TheReferencesGoodnessScaleNormalisesEveryInputToUnitLength) {
  RunConfig c = config("pff");
  c.fc_width = 64;
  c.fc_patches = 8;
  c.methods.set("pff_sum_goodness", true);
  Model m = model(c, {1, 28, 28}, 5);
  // The prediction: the feedforward pass with every layer's input of unit length, then the head.
  m.train(false);
  torch::Tensor x = torch::rand({4, 1, 28, 28});
  auto unit = [](const torch::Tensor& h) { return h / h.norm(2, 1, true); };
  auto& b0 = *m.net->blocks[0];
  auto& b1 = *m.net->blocks[1];
  torch::NoGradGuard no_grad;
  torch::Tensor h0 = torch::relu(b0.ptr(1)->as<torch::nn::Linear>()->forward(unit(x.flatten(1))));
  torch::Tensor a1 =
      b1.ptr(1)->as<torch::nn::Linear>()->forward(b1.ptr(0)->as<torch::nn::LayerNorm>()->forward(unit(h0)));
  torch::Tensor want = m.net->head->forward(unit(torch::relu(a1)));
  EXPECT_TRUE(torch::allclose(m.readout->predict(x).scores, want, 1e-4, 1e-5));
  torch::Tensor y = torch::randint(10, {4}, torch::kLong);
  m.train(true);
  torch::AutoGradMode grad(true);
  StepResult r = m.schedule->step(x, y);
  EXPECT_TRUE(std::isfinite(r.train_loss));
  // Its settling needs ReLU units.
  c.activation = "leaky_relu";
  EXPECT_THROW(model(c, {1, 28, 28}, 5), std::invalid_argument);
}

TEST(Pff, CircuitIsPartOfTheCheckpointedStateWithAStageOfItsOwn) {
  Model m = pff_model();
  bool top_down = false, generative = false;
  for (auto& [name, t] : m.named_state()) {
    top_down |= name == "stage.block1.block.top_down.weight";
    generative |= name.rfind("stage.generator.block.generate", 0) == 0;
  }
  EXPECT_TRUE(top_down);
  EXPECT_TRUE(generative);
  EXPECT_GT(m.auxiliary_parameters(), 0);
  // Blocks (2) + head + generative circuit, found by name.
  ASSERT_EQ(m.stages.size(), 4u);
  EXPECT_EQ(m.stage("generator").kind(), StageKind::Auxiliary);
  EXPECT_EQ(m.stage("head").kind(), StageKind::Head);
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
  StepResult r = m.schedule->step(x, y);
  ASSERT_EQ(r.block_losses.size(), 2u);
  EXPECT_TRUE(r.has_accuracy);
  auto after = snapshot();
  auto names = m.named_state();
  for (size_t i = 0; i < before.size(); ++i) {
    if (names[i].second.requires_grad()) {
      EXPECT_FALSE(torch::equal(before[i], after[i])) << names[i].first;
    }
  }
  for (auto& [name, t] : m.named_state()) EXPECT_FALSE(t.grad().defined()) << name;
  m.train(false);
  Prediction p = m.readout->predict(x);
  EXPECT_EQ(p.scores.sizes(), (std::vector<int64_t>{16, 10}));
  EXPECT_TRUE(p.layer_scores.empty());
}

TEST(Pff, SettlingStepsComeFromTheSettings) {
  // K settling steps = K updates of every stage: the head's Adam step count tells.
  RunConfig c = config("pff");
  c.fc_width = 64;
  c.fc_patches = 8;
  c.methods.set("pff_steps", 3);
  Model m = model(c);
  m.schedule->step(torch::randn({4, 1, 28, 28}), torch::randint(10, {4}, torch::kLong));
  auto& opt = m.stage("head").optimizer();
  auto& state = opt.state();
  ASSERT_FALSE(state.empty());
  auto& adam = static_cast<torch::optim::AdamWParamState&>(*state.begin()->second);
  EXPECT_EQ(adam.step(), 3);
}

TEST(Pff, ConvNetworksAreAClearError) {
  try {
    pff_model("simple256", {1, 12, 12});
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--arch fc"), std::string::npos) << e.what();
  }
}
