// The dictionary loss against values computed by hand with plain loops (spec section 1).
#include <gtest/gtest.h>

#include <cmath>

#include "dcl/core/dictionary_objective.h"

using namespace dcl;

namespace {

// Cross-entropy of one row of scores against its label, in double precision.
double cross_entropy(const std::vector<double>& s, int y) {
  double m = s[0];
  for (double v : s) m = std::max(m, v);
  double z = 0;
  for (double v : s) z += std::exp(v - m);
  return -(s[size_t(y)] - m - std::log(z));
}

// PyTorch's adaptive pooling bins: [floor(i*L/C), ceil((i+1)*L/C)).
std::vector<double> pool_by_hand(const std::vector<double>& t, int c) {
  int L = int(t.size());
  std::vector<double> out;
  for (int i = 0; i < c; ++i) {
    int a = (i * L) / c, b = ((i + 1) * L + c - 1) / c;
    double s = 0;
    for (int k = a; k < b; ++k) s += t[size_t(k)];
    out.push_back(s / (b - a));
  }
  return out;
}

std::vector<double> row(const torch::Tensor& t, int64_t r) {
  auto d = t.to(torch::kFloat64).contiguous();
  return std::vector<double>(d[r].data_ptr<double>(), d[r].data_ptr<double>() + d.size(1));
}

DictionaryObjective make(int classes, int dim, std::vector<BlockShape> shapes, std::string similarity = "dot") {
  DictionaryOptions o;
  o.classes = classes;
  o.dim = dim;
  o.similarity = similarity;
  return DictionaryObjective(o, shapes);
}

}  // namespace

TEST(DictionaryObjective, ConvLossMatchesHandComputation) {
  torch::manual_seed(3);
  auto obj = make(3, 4, {{4, 0}});
  torch::Tensor h = torch::randn({2, 4, 2, 3});  // N=2, C=4, K=6 positions
  torch::Tensor y = torch::tensor({2, 0}, torch::kInt64);
  double expected = 0;
  for (int n = 0; n < 2; ++n) {
    std::vector<double> s;
    for (int z = 0; z < 3; ++z) {
      double acc = 0;  // (1/K) sum_k <h_k, t_z>
      for (int k = 0; k < 6; ++k)
        for (int c = 0; c < 4; ++c)
          acc += h[n][c][k / 3][k % 3].item<double>() * obj.dictionary[z][c].item<double>();
      s.push_back(acc / 6);
    }
    expected += cross_entropy(s, int(y[n].item<int64_t>())) / 2;
  }
  EXPECT_NEAR(obj.loss(0, h, y).item<double>(), expected, 1e-5);
}

TEST(DictionaryObjective, FcPatchesLossMatchesHandComputation) {
  torch::manual_seed(4);
  auto obj = make(2, 3, {{3, 2}});  // P=2 patches of C=3
  torch::Tensor h = torch::randn({3, 6});
  torch::Tensor y = torch::tensor({1, 0, 1}, torch::kInt64);
  double expected = 0;
  for (int n = 0; n < 3; ++n) {
    std::vector<double> s;
    for (int z = 0; z < 2; ++z) {
      double acc = 0;
      for (int p = 0; p < 2; ++p)
        for (int c = 0; c < 3; ++c) acc += h[n][p * 3 + c].item<double>() * obj.dictionary[z][c].item<double>();
      s.push_back(acc / 2);
    }
    expected += cross_entropy(s, int(y[n].item<int64_t>())) / 3;
  }
  EXPECT_NEAR(obj.loss(0, h, y).item<double>(), expected, 1e-5);
}

TEST(DictionaryObjective, UnevenPoolingUsesPyTorchBins) {
  torch::manual_seed(5);
  auto obj = make(10, 512, {{96, 0}, {5, 0}});
  torch::Tensor mapped = obj.mapped_dictionary(0);
  ASSERT_EQ(mapped.size(1), 96);
  for (int z = 0; z < 10; ++z) {
    auto want = pool_by_hand(row(obj.dictionary, z), 96);
    auto got = row(mapped, z);
    for (int i = 0; i < 96; ++i) ASSERT_NEAR(got[size_t(i)], want[size_t(i)], 1e-5) << "class " << z << " bin " << i;
  }
  // 512 -> 5: bins overlap ([0,103), [102,205), ...), which a naive reshape would get wrong.
  auto got5 = row(obj.mapped_dictionary(1), 0);
  auto want5 = pool_by_hand(row(obj.dictionary, 0), 5);
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(got5[size_t(i)], want5[size_t(i)], 1e-5);
}

TEST(DictionaryObjective, PooledConvLossMatchesHandComputation) {
  torch::manual_seed(6);
  auto obj = make(3, 7, {{3, 0}});  // 7 -> 3: bins [0,3), [2,5), [4,7)
  torch::Tensor h = torch::randn({2, 3, 1, 2});
  torch::Tensor y = torch::tensor({0, 2}, torch::kInt64);
  double expected = 0;
  for (int n = 0; n < 2; ++n) {
    std::vector<double> s;
    for (int z = 0; z < 3; ++z) {
      auto t = pool_by_hand(row(obj.dictionary, z), 3);
      double acc = 0;
      for (int k = 0; k < 2; ++k)
        for (int c = 0; c < 3; ++c) acc += h[n][c][0][k].item<double>() * t[size_t(c)];
      s.push_back(acc / 2);
    }
    expected += cross_entropy(s, int(y[n].item<int64_t>())) / 2;
  }
  EXPECT_NEAR(obj.loss(0, h, y).item<double>(), expected, 1e-5);
}

TEST(DictionaryObjective, CosineLossMatchesHandComputation) {
  torch::manual_seed(7);
  auto obj = make(2, 4, {{2, 0}}, "cos");  // normalise t (4 dims), then pool 4 -> 2
  torch::Tensor h = torch::randn({2, 2, 1, 3});
  torch::Tensor y = torch::tensor({1, 0}, torch::kInt64);
  double expected = 0;
  for (int n = 0; n < 2; ++n) {
    std::vector<double> s;
    for (int z = 0; z < 2; ++z) {
      auto t = row(obj.dictionary, z);
      double norm = 0;
      for (double v : t) norm += v * v;
      for (double& v : t) v /= std::sqrt(norm);
      auto tp = pool_by_hand(t, 2);
      double acc = 0;
      for (int k = 0; k < 3; ++k) {
        double a = h[n][0][0][k].item<double>(), b = h[n][1][0][k].item<double>();
        double hn = std::sqrt(a * a + b * b);
        acc += (a * tp[0] + b * tp[1]) / hn;
      }
      s.push_back(acc / 3 / 0.07);
    }
    expected += cross_entropy(s, int(y[n].item<int64_t>())) / 2;
  }
  EXPECT_NEAR(obj.loss(0, h, y).item<double>(), expected, 1e-4);
}

TEST(DictionaryObjective, OrthogonalInitHasOrthogonalRowsOfTheGivenScale) {
  DictionaryOptions o;
  o.classes = 10;
  o.dim = 64;
  o.init = "orthogonal";
  o.orthogonal_scale = 3.0;
  DictionaryObjective obj(o, {{64, 0}});
  torch::Tensor gram = torch::matmul(obj.dictionary, obj.dictionary.t());
  EXPECT_TRUE(torch::allclose(gram, 9.0 * torch::eye(10), 1e-4, 1e-3));
}

TEST(DictionaryObjective, StaticDictionaryIsNotAParameter) {
  DictionaryOptions o;
  o.classes = 4;
  o.dim = 8;
  o.adaptive = false;
  DictionaryObjective obj(o, {{8, 0}});
  EXPECT_TRUE(obj.parameters().empty());
  EXPECT_TRUE(obj.shared_parameters().empty());
  EXPECT_FALSE(obj.dictionary.requires_grad());
}
