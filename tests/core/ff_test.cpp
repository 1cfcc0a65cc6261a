// Forward-Forward and SymBa: losses against plain loops, the label overlay, the batched Z-way
// prediction against a per-label loop, and block-local updates.
#include <gtest/gtest.h>

#include <cmath>

#include "dcl/core/ff.h"
#include "dcl/core/method.h"
#include "dcl/core/symba.h"

using namespace dcl;

namespace {

double softplus(double v) { return std::log1p(std::exp(v)); }

Model ff_model(const std::string& method, const std::string& arch, InputShape in) {
  RunConfig c;
  c.method = method;
  c.arch = arch;
  c.lr = 1e-3;
  torch::manual_seed(3);
  return build_model(c, in, 10);
}

const std::vector<double> kPos = {1.0, 3.5, 2.0, 0.25}, kNeg = {0.5, 2.5, 4.0, 0.25};

torch::Tensor tensor(const std::vector<double>& v) { return torch::tensor(v, torch::kFloat64); }

}  // namespace

TEST(FFLoss, EqualsHandComputedValue) {
  const double theta = 2.0;
  double want = 0;
  for (size_t i = 0; i < kPos.size(); ++i) want += softplus(-(kPos[i] - theta)) + softplus(kNeg[i] - theta);
  want /= double(kPos.size());
  EXPECT_NEAR(ff_loss(tensor(kPos), tensor(kNeg), theta).item<double>(), want, 1e-12);
}

TEST(SymBaLoss, EqualsHandComputedValue) {
  const double alpha = 4.0;
  double want = 0;
  for (size_t i = 0; i < kPos.size(); ++i) want += softplus(-alpha * (kPos[i] - kNeg[i]));
  want /= double(kPos.size());
  EXPECT_NEAR(symba_loss(tensor(kPos), tensor(kNeg), alpha).item<double>(), want, 1e-12);
}

TEST(Goodness, IsTheMeanSquaredActivationPerSample) {
  torch::Tensor h = torch::tensor({1.0, -2.0, 3.0, 0.0, 0.5, 4.0}, torch::kFloat64).view({2, 1, 3});
  torch::Tensor g = goodness(h);
  EXPECT_NEAR(g[0].item<double>(), (1 + 4 + 9) / 3.0, 1e-12);
  EXPECT_NEAR(g[1].item<double>(), (0 + 0.25 + 16) / 3.0, 1e-12);
}

TEST(Normalisation, GivesEverySampleUnitRms) {
  torch::Tensor h = torch::randn({3, 2, 5, 5}, torch::kFloat64) * torch::tensor({0.1, 1.0, 30.0}, torch::kFloat64).view({3, 1, 1, 1});
  torch::Tensor n = normalise_length(h);
  EXPECT_EQ(n.sizes(), h.sizes());
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(n[i].pow(2).mean().item<double>(), 1.0, 1e-5);
}

TEST(LabelOverlay, WritesExactlyTheOneHotOverTheFirstZValues) {
  torch::Tensor x = torch::randn({3, 1, 6, 6});
  torch::Tensor before = x.clone();
  torch::Tensor labels = torch::tensor({2, 0, 9}, torch::kLong);
  torch::Tensor out = overlay_label(x, labels, 10);
  ASSERT_EQ(out.sizes(), x.sizes());
  EXPECT_TRUE(torch::equal(x, before)) << "the input was modified";
  auto flat = out.reshape({3, -1}), orig = x.reshape({3, -1});
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 10; ++j)
      EXPECT_EQ(flat[i][j].item<float>(), j == labels[i].item<int64_t>() ? 1.0f : 0.0f) << i << "," << j;
    for (int j = 10; j < 36; ++j) EXPECT_EQ(flat[i][j].item<float>(), orig[i][j].item<float>());
  }
  EXPECT_THROW(overlay_label(torch::randn({1, 1, 2, 2}), torch::tensor({1}, torch::kLong), 10), std::invalid_argument);
}

TEST(WrongLabels, AreNeverTheTrueOneAndCoverTheOthers) {
  torch::Tensor y = torch::randint(10, {5000}, torch::kLong);
  torch::Tensor w = wrong_labels(y, 10);
  EXPECT_FALSE(w.eq(y).any().item<bool>());
  EXPECT_TRUE(w.ge(0).all().item<bool>() && w.lt(10).all().item<bool>());
  torch::Tensor counts = torch::bincount(w.masked_select(y.eq(3)), {}, 10);
  EXPECT_EQ(counts[3].item<int64_t>(), 0);
  EXPECT_EQ(counts.gt(0).sum().item<int64_t>(), 9);
}

class FFPrediction : public ::testing::TestWithParam<std::string> {};

TEST_P(FFPrediction, BatchedZWayEvaluationEqualsAPerLabelLoop) {
  bool conv = GetParam() == "simple256";
  InputShape in = conv ? InputShape{1, 12, 12} : InputShape{1, 28, 28};
  Model m = ff_model("ff", GetParam(), in);
  auto* ff = dynamic_cast<FFLearner*>(m.learner.get());
  ASSERT_NE(ff, nullptr);
  // A few updates so that the goodness depends on the label.
  torch::Tensor xt = torch::randn({32, in.channels, in.height, in.width}), yt = torch::randint(10, {32}, torch::kLong);
  for (int i = 0; i < 3; ++i) m.learner->train_step(xt, yt);
  m.train(false);
  torch::NoGradGuard no_grad;
  // 900 samples: the fc batch of 9000 rows is split into label chunks (9 + 1).
  int64_t n = conv ? 20 : 900;
  torch::Tensor x = torch::randn({n, in.channels, in.height, in.width});
  torch::Tensor batched = m.learner->predict(x, {});
  ASSERT_EQ(batched.sizes(), (std::vector<int64_t>{n, 10}));
  for (int z = 0; z < 10; ++z) {
    torch::Tensor g = ff->label_goodness(x, torch::full({n}, z, torch::kLong));
    EXPECT_TRUE(torch::allclose(batched.select(1, z), g, 1e-4, 1e-5)) << "label " << z;
  }
  torch::Tensor loop = torch::stack(
      [&] {
        std::vector<torch::Tensor> cols;
        for (int z = 0; z < 10; ++z) cols.push_back(ff->label_goodness(x, torch::full({n}, z, torch::kLong)));
        return cols;
      }(),
      1);
  EXPECT_TRUE(torch::equal(batched.argmax(1), loop.argmax(1)));
}

INSTANTIATE_TEST_SUITE_P(Archs, FFPrediction, ::testing::Values("fc", "simple256"));

class FFLocality : public ::testing::TestWithParam<std::string> {};

TEST_P(FFLocality, ABlockUpdateDependsOnlyOnItsOwnLoss) {
  // Two copies differ only in block 1. If any gradient of block 1's loss reached block 0, block
  // 0's update would differ between them.
  torch::Tensor x = torch::randn({16, 1, 28, 28}), y = torch::randint(10, {16}, torch::kLong);
  Model a = ff_model(GetParam(), "fc", {1, 28, 28});
  Model b = ff_model(GetParam(), "fc", {1, 28, 28});
  {
    torch::NoGradGuard no_grad;
    for (auto& p : b.net->blocks[1]->parameters()) p.add_(torch::randn_like(p));
  }
  torch::Tensor b1_before = b.net->blocks[1]->parameters()[0].detach().clone();
  torch::manual_seed(42);
  a.learner->train_step(x, y);
  torch::manual_seed(42);
  b.learner->train_step(x, y);
  auto pa = a.net->blocks[0]->parameters(), pb = b.net->blocks[0]->parameters();
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_TRUE(torch::equal(pa[i], pb[i])) << "block 0 parameter " << i;
    EXPECT_FALSE(pa[i].grad().defined()) << "gradients are released after each block's step";
  }
  EXPECT_FALSE(torch::equal(b1_before, b.net->blocks[1]->parameters()[0])) << "block 1 did not learn";
}

INSTANTIATE_TEST_SUITE_P(Methods, FFLocality, ::testing::Values("ff", "symba"));
