// Saliency maps and the mutual-information probe against hand computations and known answers.
#include <gtest/gtest.h>

#include <cmath>

#include "dcl/analysis/mutual_information.h"
#include "dcl/analysis/saliency.h"

using namespace dcl;

namespace {

// A dictionary of 3 labels in 4 dims; a block of C = 2 channels sees pool(t) = (mean of dims 0-1,
// mean of dims 2-3): label 0 -> (1, 0), label 1 -> (0, 2), label 2 -> (-1, -1).
Dictionary hand_dictionary() {
  DictionaryOptions o;
  o.classes = 3;
  o.dim = 4;
  o.adaptive = false;
  Dictionary d(o);
  d->embeddings.copy_(
      torch::tensor({{1.0f, 1.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 2.0f, 2.0f}, {-1.0f, -1.0f, -1.0f, -1.0f}}));
  return d;
}

TEST(Saliency, ConvMapIsTheInnerProductWithThePooledEmbeddingPerPosition) {
  DictionaryLoss loss(hand_dictionary(), {BlockShape{2, 0}, DictMap::Pool, Similarity::Dot, 0.07});
  // One image, 2 channels over 2x2 positions: v_k = (h[0][k], h[1][k]).
  torch::Tensor h = torch::tensor({3.0f, 0.0f, 1.0f, -1.0f, 0.0f, 1.0f, 2.0f, 0.5f}).view({1, 2, 2, 2});
  // <v_k, (1,0)> = (3, 0, 1, -1): mean 0.75; <v_k, (0,2)> = (0, 2, 4, 1): mean 1.75;
  // <v_k, (-1,-1)> = (-3, -1, -3, 0.5): mean -1.625. Top-1 is label 1, top-2 label 0.
  analysis::Saliency s = analysis::dictionary_saliency(loss, h);
  EXPECT_EQ(s.labels[0][0].item<int64_t>(), 1);
  EXPECT_EQ(s.labels[0][1].item<int64_t>(), 0);
  EXPECT_NEAR(s.scores[0][0].item<double>(), 1.75, 1e-6);
  EXPECT_NEAR(s.scores[0][1].item<double>(), 0.75, 1e-6);
  ASSERT_EQ(s.maps.sizes(), (std::vector<int64_t>{1, 2, 2, 2}));
  EXPECT_TRUE(torch::allclose(s.maps[0][0], torch::tensor({0.0f, 2.0f, 4.0f, 1.0f}).view({2, 2})));
  EXPECT_TRUE(torch::allclose(s.maps[0][1], torch::tensor({3.0f, 0.0f, 1.0f, -1.0f}).view({2, 2})));
  double e1 = std::exp(1.75), e0 = std::exp(0.75), e2 = std::exp(-1.625);
  EXPECT_NEAR(s.probabilities[0][0].item<double>(), e1 / (e0 + e1 + e2), 1e-6);
  // The maps' means are the scores the loss trains with.
  EXPECT_TRUE(torch::allclose(loss.position_scores(h).mean(2), loss.scores(h), 1e-6, 1e-6));
}

TEST(Saliency, FcMapsArePerPatchAndCosMapsAreUnitLengthOverTemperature) {
  DictionaryLoss loss(hand_dictionary(), {BlockShape{2, 2}, DictMap::Pool, Similarity::Cos, 0.5});
  // Two patches (3, 4) and (0, -2). With cos, the dictionary is normalised before pooling:
  // t0/|t0| = (.5,.5,0,0)*sqrt2 ... pooled: label 0 -> (1/sqrt2, 0), label 1 -> (0, 1/sqrt2).
  torch::Tensor h = torch::tensor({{3.0f, 4.0f, 0.0f, -2.0f}});
  torch::Tensor c = loss.position_scores(h);  // [1, 3, 2]
  double r = 1 / std::sqrt(2.0);
  EXPECT_NEAR(c[0][0][0].item<double>(), 0.6 * r / 0.5, 1e-6);  // <(0.6, 0.8), (r, 0)> / T
  EXPECT_NEAR(c[0][1][0].item<double>(), 0.8 * r / 0.5, 1e-6);
  EXPECT_NEAR(c[0][0][1].item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(c[0][1][1].item<double>(), -r / 0.5, 1e-6);  // <(0, -1), (0, r)> / T
  EXPECT_TRUE(torch::allclose(c.mean(2), loss.scores(h), 1e-6, 1e-6));
  analysis::Saliency s = analysis::dictionary_saliency(loss, h);
  EXPECT_EQ(s.maps.sizes(), (std::vector<int64_t>{1, 2, 2}));
}

TEST(Saliency, DisplayMapsSpanZeroToOneAtTheInputSize) {
  torch::Tensor maps = torch::tensor({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 5.0f, 5.0f, 5.0f}).view({1, 2, 2, 2});
  torch::Tensor shown = analysis::display_maps(maps, 8, 8);
  ASSERT_EQ(shown.sizes(), (std::vector<int64_t>{1, 2, 8, 8}));
  EXPECT_FLOAT_EQ(shown[0][0].min().item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(shown[0][0].max().item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(shown[0][1].abs().max().item<float>(), 0.0f);  // a constant map shows nothing
  // The bilinear resize keeps the corners' order: top-left lowest, bottom-right highest.
  EXPECT_LT(shown[0][0][0][0].item<float>(), shown[0][0][7][7].item<float>());
}

TEST(MutualInformation, AProbeRecoversAllOrNoneOfTheLabel) {
  torch::manual_seed(3);
  const int z = 10;
  auto labels = [&](int64_t n) { return torch::randint(z, {n}, torch::kLong); };
  torch::Tensor ytr = labels(4000), yte = labels(2000);
  // Features that carry exactly y (a noisy one-hot code) and features independent of it.
  auto carrying = [&](const torch::Tensor& y) {
    return torch::one_hot(y, z).to(torch::kFloat) * 4 + 0.1 * torch::randn({y.size(0), z});
  };
  analysis::ProbeBudget b;
  analysis::InformationEstimate full = analysis::probe_information(carrying(ytr), ytr, carrying(yte), yte, z, b);
  double h = full.entropy;
  EXPECT_NEAR(h, std::log(10.0), 0.02);  // uniform labels: H(y) = log 10 nats
  EXPECT_GT(full.bound, h - 0.05);
  EXPECT_LE(full.bound, h + 1e-9);  // a lower bound never exceeds the entropy
  EXPECT_GT(full.accuracy, 0.99);
  analysis::InformationEstimate none =
      analysis::probe_information(torch::randn({4000, 20}), ytr, torch::randn({2000, 20}), yte, z, b);
  EXPECT_NEAR(none.bound, 0.0, 0.05);
  // Half the information: features that tell only y's parity (log 2 of the log 10 nats).
  auto parity = [&](const torch::Tensor& y) {
    return torch::one_hot(y.remainder(2), 2).to(torch::kFloat) * 4 + 0.1 * torch::randn({y.size(0), 2});
  };
  analysis::InformationEstimate half = analysis::probe_information(parity(ytr), ytr, parity(yte), yte, z, b);
  // A lower bound: close below log 2, never clearly above what the features hold.
  EXPECT_GT(half.bound, std::log(2.0) - 0.1);
  EXPECT_LT(half.bound, std::log(2.0) + 0.02);
}

TEST(MutualInformation, NuisancePatternsHaveTheAmplitudeAndDiffer) {
  torch::Tensor p = analysis::nuisance_patterns({3, 32, 32}, 4, 0.5, 7);
  ASSERT_EQ(p.sizes(), (std::vector<int64_t>{4, 3, 32, 32}));
  for (int r = 0; r < 4; ++r) EXPECT_NEAR(p[r].std().item<double>(), 0.5, 1e-4);
  EXPECT_GT((p[0] - p[1]).abs().mean().item<double>(), 0.1);
  EXPECT_TRUE(torch::equal(p, analysis::nuisance_patterns({3, 32, 32}, 4, 0.5, 7)));  // a pure function of the seed
}

TEST(MutualInformation, ProbeFeaturesPoolConvOutputsToTheLimit) {
  EXPECT_EQ(analysis::probe_features(torch::zeros({2, 256, 28, 28})).sizes(), (std::vector<int64_t>{2, 256 * 2 * 2}));
  EXPECT_EQ(analysis::probe_features(torch::zeros({2, 1, 28, 28})).sizes(), (std::vector<int64_t>{2, 784}));
  EXPECT_EQ(analysis::probe_features(torch::zeros({2, 100})).sizes(), (std::vector<int64_t>{2, 100}));
}

}  // namespace
