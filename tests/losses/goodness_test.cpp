// The Forward-Forward family's pieces: losses against plain loops, goodness, normalisation, the
// label overlay and wrong labels.
#include <gtest/gtest.h>

#include <cmath>

#include "dcl/losses/goodness.h"

using namespace dcl;

namespace {

double softplus(double v) { return std::log1p(std::exp(v)); }

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
  torch::Tensor h =
      torch::randn({3, 2, 5, 5}, torch::kFloat64) * torch::tensor({0.1, 1.0, 30.0}, torch::kFloat64).view({3, 1, 1, 1});
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

TEST(GoodnessLoss, SplitsTheBatchIntoPositivesThenNegativesWithLogitsOnTheSumOfSquares) {
  torch::Tensor pos = torch::randn({4, 6}, torch::kFloat64), neg = torch::randn({4, 6}, torch::kFloat64);
  torch::Tensor h = torch::cat({pos, neg});
  GoodnessLoss ff(GoodnessRule::FF, 1.5), symba(GoodnessRule::SymBa, 4.0);
  // Hinton's goodness is the sum of squares over the D = 6 units, against θ per unit times D.
  torch::Tensor sum_pos = pos.pow(2).sum(1), sum_neg = neg.pow(2).sum(1);
  EXPECT_NEAR(ff.forward(h, Target{}).loss.item<double>(), ff_loss(sum_pos, sum_neg, 1.5 * 6).item<double>(), 1e-12);
  EXPECT_NEAR(symba.forward(h, Target{}).loss.item<double>(), symba_loss(sum_pos, sum_neg, 4.0).item<double>(), 1e-12);
}

TEST(GoodnessLoss, PeerNormalisationPullsEveryUnitsRunningMeanTowardsTheLayersMean) {
  torch::Tensor pos = torch::rand({4, 3}, torch::kFloat64), neg = torch::rand({4, 3}, torch::kFloat64);
  torch::Tensor h = torch::cat({pos, neg});
  GoodnessLoss plain(GoodnessRule::FF, 1.0), peer(GoodnessRule::FF, 1.0, 0.03, 3);
  peer.to(torch::kFloat64);
  ASSERT_TRUE(peer.running_means.defined());
  EXPECT_TRUE(torch::equal(peer.running_means, torch::full({3}, 0.5, torch::kFloat64)));
  // By hand: r = 0.9 * 0.5 + 0.1 * (mean activity of each unit over the positives only).
  torch::Tensor r = 0.45 + 0.1 * pos.mean(0);
  double want = plain.forward(h, Target{}).loss.item<double>() + 0.03 * (r.mean() - r).pow(2).mean().item<double>();
  EXPECT_NEAR(peer.forward(h, Target{}).loss.item<double>(), want, 1e-12);
  EXPECT_TRUE(torch::allclose(peer.running_means, r));  // kept for the next step
  EXPECT_THROW(peer.forward(torch::rand({8, 5}, torch::kFloat64), Target{}), std::invalid_argument);
}
