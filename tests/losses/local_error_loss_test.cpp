// The local-learning comparison losses (spec section 5) against values computed by hand with
// plain loops; feedback alignment; auxiliary gradients; checkpointed feedback matrices.
#include <gtest/gtest.h>

#include <cmath>

#include "dcl/losses/infopro_loss.h"
#include "dcl/losses/local_error_loss.h"
#include "dcl/losses/similarity_matching.h"
#include "dcl/losses/supcon_loss.h"
#include "dcl/methods/method.h"
#include "dcl/nn/feedback_alignment.h"
#include "losses/by_hand.h"
#include "test_models.h"

using namespace dcl;

namespace {

using Matrix = std::vector<std::vector<double>>;

Matrix to_matrix(const torch::Tensor& t) {
  auto d = t.to(torch::kFloat64).contiguous();
  Matrix m(size_t(d.size(0)), std::vector<double>(size_t(d.size(1))));
  for (int64_t i = 0; i < d.size(0); ++i)
    for (int64_t j = 0; j < d.size(1); ++j) m[size_t(i)][size_t(j)] = d[i][j].item<double>();
  return m;
}

// Row-centred, row-normalised similarity, by hand.
Matrix similarity_by_hand(const Matrix& x) {
  Matrix u = x;
  for (auto& row : u) {
    double mean = 0, norm = 0;
    for (double v : row) mean += v / double(row.size());
    for (double& v : row) v -= mean;
    for (double v : row) norm += v * v;
    for (double& v : row) v /= std::sqrt(norm) + 1e-8;
  }
  Matrix s(u.size(), std::vector<double>(u.size()));
  for (size_t i = 0; i < u.size(); ++i)
    for (size_t j = 0; j < u.size(); ++j) {
      double dot = 0;
      for (size_t k = 0; k < u[i].size(); ++k) dot += u[i][k] * u[j][k];
      s[i][j] = std::max(-1.0, std::min(1.0, dot));
    }
  return s;
}

// Unbiased std of each channel over the positions of h [N, C, H, W].
Matrix spatial_std_by_hand(const torch::Tensor& h) {
  Matrix out;
  for (int64_t n = 0; n < h.size(0); ++n) {
    std::vector<double> row;
    for (int64_t c = 0; c < h.size(1); ++c) {
      std::vector<double> v;
      for (int64_t i = 0; i < h.size(2); ++i)
        for (int64_t j = 0; j < h.size(3); ++j) v.push_back(h[n][c][i][j].item<double>());
      double mean = 0, ss = 0;
      for (double a : v) mean += a / double(v.size());
      for (double a : v) ss += (a - mean) * (a - mean);
      row.push_back(std::sqrt(ss / double(v.size() - 1)));
    }
    out.push_back(row);
  }
  return out;
}

double sim_loss_by_hand(const Matrix& features, const std::vector<int>& y, int classes) {
  Matrix onehot(y.size(), std::vector<double>(size_t(classes), 0.0));
  for (size_t n = 0; n < y.size(); ++n) onehot[n][size_t(y[n])] = 1;
  Matrix a = similarity_by_hand(features), b = similarity_by_hand(onehot);
  double sum = 0;
  for (size_t i = 0; i < y.size(); ++i)
    for (size_t j = 0; j < y.size(); ++j) sum += (a[i][j] - b[i][j]) * (a[i][j] - b[i][j]);
  return sum / double(y.size() * y.size());
}

torch::Tensor labels(const std::vector<int>& y) {
  return torch::tensor(std::vector<int64_t>(y.begin(), y.end()), torch::kInt64);
}

}  // namespace

TEST(SimilarityMatching, StdOperatorIsPerChannelUnbiasedStdOverPositions) {
  torch::manual_seed(5);
  torch::Tensor h = torch::randn({2, 4, 2, 3});
  Matrix want = spatial_std_by_hand(h), got = to_matrix(spatial_std(h));
  for (size_t n = 0; n < 2; ++n)
    for (size_t c = 0; c < 4; ++c) EXPECT_NEAR(got[n][c], want[n][c], 1e-5);
}

TEST(SimilarityMatching, FlatLossMatchesHandComputation) {
  torch::manual_seed(6);
  torch::Tensor h = torch::randn({5, 7});
  std::vector<int> y = {0, 2, 0, 1, 2};
  EXPECT_NEAR(similarity_matching_loss(h, labels(y), 3).item<double>(), sim_loss_by_hand(to_matrix(h), y, 3), 1e-6);
  // The matrix itself: unit diagonal, symmetric, equal to the loops.
  Matrix s = to_matrix(similarity_matrix(h)), want = similarity_by_hand(to_matrix(h));
  for (size_t i = 0; i < 5; ++i)
    for (size_t j = 0; j < 5; ++j) EXPECT_NEAR(s[i][j], want[i][j], 1e-6);
}

TEST(SimilarityMatching, FeatureMapLossGoesThroughTheStdOperator) {
  torch::manual_seed(7);
  torch::Tensor h = torch::randn({4, 5, 3, 3});  // C > 3 and H > 1: per-channel std
  std::vector<int> y = {1, 1, 0, 3};
  EXPECT_NEAR(similarity_matching_loss(h, labels(y), 4).item<double>(), sim_loss_by_hand(spatial_std_by_hand(h), y, 4),
              1e-6);
  // Three channels (an RGB-like map) are flattened instead, as in the reference.
  torch::Tensor rgb = torch::randn({4, 3, 2, 2});
  EXPECT_NEAR(similarity_matching_loss(rgb, labels(y), 4).item<double>(),
              sim_loss_by_hand(to_matrix(rgb.flatten(1)), y, 4), 1e-6);
}

TEST(SupCon, SeveralPositivesAndAnAnchorWithoutPositivesMatchHandComputation) {
  torch::manual_seed(8);
  torch::Tensor f = torch::randn({6, 4});
  std::vector<int> y = {0, 0, 0, 1, 1, 2};  // anchors 0-2: two positives; 3-4: one; 5: none
  const double t = 0.07;
  Matrix x = to_matrix(f);
  for (auto& row : x) {
    double norm = 0;
    for (double v : row) norm += v * v;
    for (double& v : row) v /= std::sqrt(norm);
  }
  double total = 0;
  for (size_t i = 0; i < 6; ++i) {
    std::vector<double> s(6);
    for (size_t j = 0; j < 6; ++j) {
      s[j] = 0;
      for (size_t k = 0; k < 4; ++k) s[j] += x[i][k] * x[j][k] / t;
    }
    double denom = 0;
    for (size_t j = 0; j < 6; ++j)
      if (j != i) denom += std::exp(s[j]);
    double sum = 0;
    int positives = 0;
    for (size_t j = 0; j < 6; ++j)
      if (j != i && y[j] == y[i]) {
        sum += s[j] - std::log(denom);
        ++positives;
      }
    if (positives > 0) total += -sum / positives;  // no positives: contributes 0, still counted
  }
  EXPECT_NEAR(supcon_loss(f, labels(y), t).item<double>(), total / 6, 1e-4);
}

TEST(FeedbackAlignment, InputGradientUsesTheFixedMatrixNotTheWeights) {
  torch::manual_seed(9);
  torch::Tensor x = torch::randn({4, 6}).requires_grad_(true);
  torch::Tensor w = torch::randn({3, 6}).requires_grad_(true), b = torch::randn({3}).requires_grad_(true);
  torch::Tensor fb = torch::randn({3, 6}), g = torch::randn({4, 3});
  torch::Tensor out = linear_feedback_alignment(x, w, b, fb);
  EXPECT_TRUE(torch::allclose(out, torch::matmul(x, w.t()) + b, 1e-5, 1e-6));
  (out * g).sum().backward();
  EXPECT_TRUE(torch::allclose(x.grad(), torch::matmul(g, fb), 1e-5, 1e-6));
  EXPECT_FALSE(torch::allclose(x.grad(), torch::matmul(g, w.detach()), 1e-2, 1e-2));
  EXPECT_TRUE(torch::allclose(w.grad(), torch::matmul(g.t(), x.detach()), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(b.grad(), g.sum(0), 1e-5, 1e-6));
}

TEST(LocalErrorLoss, PredPoolingKeepsAtMost2048FeaturesLikeTheReference) {
  // VGG8B on 32x32: the kernel doubles in height first, then in width.
  EXPECT_EQ(pred_pool_kernel(128, 32, 32, 2048), (std::vector<int64_t>{8, 8}));
  EXPECT_EQ(pred_pool_kernel(256, 16, 16, 2048), (std::vector<int64_t>{8, 4}));
  EXPECT_EQ(pred_pool_kernel(512, 2, 2, 2048), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(pred_pool_kernel(512, 8, 8, 2048), (std::vector<int64_t>{4, 4}));
  EXPECT_EQ(pred_pool_kernel(4096, 2, 2, 2048), (std::vector<int64_t>{2, 2}));  // C alone is too wide
}

TEST(LocalErrorLoss, PredLossMatchesHandComputation) {
  torch::manual_seed(10);
  LocalErrorOptions o;
  o.classes = 3;
  o.sim = false;
  o.max_pred_features = 16;  // 4 x 4 x 4 = 64 -> kernel {2, 2} -> 4 x 2 x 2 = 16
  LocalErrorLoss obj(o, {4, 4, 4});
  ASSERT_EQ(obj.pool_kernel(), (std::vector<int64_t>{2, 2}));
  {
    torch::NoGradGuard no_grad;
    obj.classifier->weight.normal_();
  }
  torch::Tensor h = torch::randn({2, 4, 4, 4});
  std::vector<int> y = {2, 0};
  Matrix w = to_matrix(obj.classifier->weight);
  double expected = 0;
  for (int n = 0; n < 2; ++n) {
    std::vector<double> pooled;  // flattened [C, 2, 2] in row-major order
    for (int c = 0; c < 4; ++c)
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) {
          double s = 0;
          for (int a = 0; a < 2; ++a)
            for (int b = 0; b < 2; ++b) s += h[n][c][2 * i + a][2 * j + b].item<double>() / 4;
          pooled.push_back(s);
        }
    std::vector<double> logits;
    for (int z = 0; z < 3; ++z) {
      double s = obj.classifier->bias[z].item<double>();
      for (size_t k = 0; k < pooled.size(); ++k) s += w[size_t(z)][k] * pooled[k];
      logits.push_back(s);
    }
    expected += by_hand::cross_entropy(logits, y[size_t(n)]) / 2;
  }
  EXPECT_NEAR(obj.forward(h, Target{labels(y), {}}).loss.item<double>(), expected, 1e-5);
  EXPECT_EQ(obj.scores(h).sizes(), (std::vector<int64_t>{2, 3}));
}

TEST(LocalErrorLoss, PredSimWeightsTheTwoLossesByBeta) {
  torch::manual_seed(11);
  LocalErrorOptions o;
  o.classes = 3;
  o.beta = 0.7;
  LocalErrorLoss obj(o, {8});
  torch::Tensor h = torch::randn({5, 8});
  torch::Tensor y = labels({0, 1, 2, 1, 0});
  double want = 0.3 * obj.pred_loss(h, y).item<double>() + 0.7 * obj.sim_loss(h, y).item<double>();
  EXPECT_NEAR(obj.forward(h, Target{y, {}}).loss.item<double>(), want, 1e-6);
  // fc blocks: sim through the bias-free linear map, then S of the flat output.
  torch::Tensor mapped = obj.sim_map->forward(h);
  EXPECT_NEAR(obj.sim_loss(h, y).item<double>(), sim_loss_by_hand(to_matrix(mapped), {0, 1, 2, 1, 0}, 3), 1e-6);
}

TEST(LocalErrorLoss, BackpropFreeSimUsesThePooledOutputsStdAndNoConv) {
  torch::manual_seed(12);
  LocalErrorOptions o;
  o.classes = 3;
  o.backprop_free = true;
  o.max_pred_features = 16;
  LocalErrorLoss obj(o, {4, 4, 4});
  EXPECT_FALSE(obj.sim_map);
  ASSERT_TRUE(obj.feedback.defined());
  torch::Tensor h = torch::randn({4, 4, 4, 4});
  std::vector<int> y = {0, 2, 2, 1};
  torch::Tensor pooled = torch::avg_pool2d(h, {2, 2}, {2, 2});
  EXPECT_NEAR(obj.sim_loss(h, labels(y)).item<double>(), sim_loss_by_hand(spatial_std_by_hand(pooled), y, 3), 1e-6);
}

namespace {

const std::vector<std::string> kLlMethods = {"ll-pred", "ll-sim", "ll-predsim", "ll-bpf", "ll-cont", "ll-contrec"};

dcl::Model ll_model(const std::string& method) { return test_models::model(method, "simple512", {1, 12, 12}, 14); }

}  // namespace

TEST(LocalLearningMethods, EveryAuxiliaryParameterReceivesAGradientFromItsBlocksLoss) {
  torch::manual_seed(13);
  torch::Tensor x = torch::randn({6, 1, 12, 12}), y = labels({0, 1, 0, 2, 1, 3});
  for (const auto& method : kLlMethods) {
    Model m = ll_model(method);
    EXPECT_GT(m.auxiliary_parameters(), 0) << method;
    torch::Tensor h = x;
    size_t owned = 0;
    for (size_t l = 0; l < m.net->blocks.size(); ++l) {
      Stage& stage = m.stage("block" + std::to_string(l));
      torch::Tensor out = stage.forward(h);
      stage.loss().forward(out, Target{y, x}).loss.backward();
      auto aux = stage.loss().parameters();
      EXPECT_FALSE(aux.empty()) << method << " block " << l;
      for (size_t i = 0; i < aux.size(); ++i) {
        ASSERT_TRUE(aux[i].grad().defined()) << method << " block " << l << " parameter " << i;
        EXPECT_GT(aux[i].grad().abs().sum().item<double>(), 0) << method << " block " << l << " parameter " << i;
      }
      owned += aux.size();
      h = out.detach();
    }
    // Every auxiliary parameter belongs to exactly one block's stage (the head has none).
    int64_t aux_values = 0;
    for (auto& s : m.stages)
      for (auto& p : s->loss().parameters()) aux_values += p.numel();
    EXPECT_EQ(aux_values, m.auxiliary_parameters()) << method;
    EXPECT_GT(owned, 0u);
  }
}

TEST(LocalLearningMethods, FeedbackMatricesAreCheckpointedBuffersNotParameters) {
  Model m = ll_model("ll-bpf");
  auto* loss = test_models::loss_of<LocalErrorLoss>(m, "block0");
  ASSERT_NE(loss, nullptr);
  bool found = false;
  for (const auto& [name, t] : m.named_state())
    if (name == "stage.block0.loss.feedback") found = t.is_same(loss->feedback);
  EXPECT_TRUE(found) << "feedback matrix missing from the checkpointed state";
  for (const auto& p : m.stage("block0").parameters()) EXPECT_FALSE(p.is_same(loss->feedback));
  // Training never changes B.
  torch::Tensor before = loss->feedback.clone();
  m.schedule->step(torch::randn({4, 1, 12, 12}), labels({0, 1, 2, 3}));
  EXPECT_TRUE(torch::equal(before, loss->feedback));
}

TEST(LocalLearningMethods, ContRecReconstructsTheTargetsImage) {
  Model m = ll_model("ll-contrec");
  torch::Tensor x = torch::randn({4, 1, 12, 12});
  torch::Tensor out = m.net->blocks[0]->forward(x);
  torch::Tensor y = labels({0, 1, 2, 3});
  auto* loss = test_models::loss_of<InfoProLoss>(m, "block0");
  ASSERT_NE(loss, nullptr);
  EXPECT_THROW(loss->forward(out, Target{y, {}}), std::invalid_argument);
  m.train(false);  // BatchNorm in the auxiliary networks: compare deterministic passes
  double want = loss->contrast_loss(out, y).item<double>() + 5.0 * loss->reconstruction_loss(out, x).item<double>();
  EXPECT_NEAR(loss->forward(out, Target{y, x}).loss.item<double>(), want, 1e-5);
  // simple512 has a decoder on every block; LL-cont has none.
  EXPECT_TRUE(test_models::loss_of<InfoProLoss>(m, "block2")->decoder);
  Model cont = ll_model("ll-cont");
  EXPECT_FALSE(test_models::loss_of<InfoProLoss>(cont, "block0")->decoder);
}
