// SupCon (FEAT, CONTRAST) against a value computed by hand with plain loops (spec section 5).
#include <gtest/gtest.h>

#include <cmath>

#include "dcl/losses/contrastive_loss.h"
#include "dcl/losses/supcon_loss.h"

using namespace dcl;

namespace {

// ℓ_n = -(1/max(|P(n)|,1)) Σ_{p in P(n)} [a_np - log Σ_{a != n} exp a_na], a = cos / T; mean over n.
double supcon_by_hand(const torch::Tensor& f, const std::vector<int>& y, double t) {
  int n = int(f.size(0)), d = int(f.size(1));
  std::vector<std::vector<double>> u(static_cast<size_t>(n), std::vector<double>(static_cast<size_t>(d)));
  for (int i = 0; i < n; ++i) {
    double norm = 0;
    for (int k = 0; k < d; ++k) norm += f[i][k].item<double>() * f[i][k].item<double>();
    for (int k = 0; k < d; ++k) u[i][k] = f[i][k].item<double>() / std::sqrt(norm);
  }
  auto a = [&](int i, int j) {
    double s = 0;
    for (int k = 0; k < d; ++k) s += u[i][k] * u[j][k];
    return s / t;
  };
  double total = 0;
  for (int i = 0; i < n; ++i) {
    double z = 0;
    for (int j = 0; j < n; ++j)
      if (j != i) z += std::exp(a(i, j));
    double sum = 0;
    int positives = 0;
    for (int j = 0; j < n; ++j)
      if (j != i && y[j] == y[i]) {
        sum += a(i, j) - std::log(z);
        ++positives;
      }
    total += positives == 0 ? 0.0 : -sum / positives;
  }
  return total / n;
}

}  // namespace

TEST(SupCon, MatchesHandComputationWithSeveralPositivesAndAnAnchorWithout) {
  torch::manual_seed(5);
  // Class 0 has three members (two positives each), class 1 two, class 2 one: its anchor has no
  // positive, contributes 0 and still counts in the mean.
  std::vector<int> labels = {0, 1, 0, 2, 0, 1};
  torch::Tensor f = torch::randn({6, 4}, torch::kFloat64);
  torch::Tensor y = torch::tensor(std::vector<int64_t>(labels.begin(), labels.end()));
  double want = supcon_by_hand(f, labels, 0.07);
  EXPECT_NEAR(supcon_loss(f, y, 0.07).item<double>(), want, 1e-9);
  // The same in float through the FEAT loss on an fc output.
  SupConBlockLoss feat({2, 2}, false);
  EXPECT_NEAR(feat.forward(f.to(torch::kFloat32), Target{y, {}}).loss.item<double>(), want,
              1e-4 * std::abs(want) + 1e-5);
}

TEST(SupCon, AllAnchorsWithoutPositivesGiveZero) {
  torch::Tensor f = torch::randn({3, 5});
  EXPECT_EQ(supcon_loss(f, torch::tensor({0, 1, 2}, torch::kInt64)).item<double>(), 0.0);
}

TEST(SupCon, FeatUsesTheSpatialMeanOfConvOutputs) {
  torch::Tensor h = torch::randn({4, 3, 5, 5}), y = torch::tensor({1, 1, 0, 0}, torch::kInt64);
  SupConBlockLoss feat({3, 0}, false);
  EXPECT_TRUE(feat.parameters().empty());
  EXPECT_NEAR(feat.forward(h, Target{y, {}}).loss.item<double>(), supcon_loss(h.mean({2, 3}), y).item<double>(), 1e-6);
}

TEST(SupCon, ContrastProjectsEveryBlockTo128DimsThroughItsOwnHead) {
  torch::manual_seed(5);
  // 32 channels: the head's hidden layer is as wide as the block, and with 8 units every ReLU could
  // be dead for a handful of samples (a zero gradient that depends on the last bits of BatchNorm).
  SupConBlockLoss conv({32, 0}, true), fc({16, 4}, true);
  EXPECT_EQ(conv.features(torch::randn({2, 32, 6, 6})).sizes(), (std::vector<int64_t>{2, 128}));
  EXPECT_EQ(fc.features(torch::randn({2, 64})).sizes(), (std::vector<int64_t>{2, 128}));
  EXPECT_FALSE(conv.parameters().empty());
  EXPECT_EQ(fc.parameters()[0].sizes(), (std::vector<int64_t>{512, 64}));
  // The loss's gradient reaches the block output through the head.
  torch::Tensor h = torch::randn({8, 32, 6, 6}, torch::requires_grad());
  conv.forward(h, Target{torch::tensor({0, 0, 1, 1, 2, 2, 3, 3}, torch::kInt64), {}}).loss.backward();
  EXPECT_GT(h.grad().abs().sum().item<double>(), 0);
}
