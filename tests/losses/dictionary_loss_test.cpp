// The dictionary loss against values computed by hand with plain loops (spec section 1).
#include <gtest/gtest.h>

#include <cmath>

#include "dcl/losses/dictionary_loss.h"
#include "losses/by_hand.h"

using namespace dcl;

namespace {

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

// One dictionary and one loss per block shape, as DCL builds them.
struct Fixture {
  Dictionary dict{nullptr};
  std::vector<std::shared_ptr<DictionaryLoss>> losses;
  torch::Tensor dictionary;
  torch::Tensor loss(int l, const torch::Tensor& h, const torch::Tensor& y) {
    return losses[size_t(l)]->forward(h, Target{y, {}}).loss;
  }
  torch::Tensor mapped_dictionary(int l) { return losses[size_t(l)]->mapped_dictionary(); }
};

Fixture make(int classes, int dim, std::vector<BlockShape> shapes, Similarity similarity = Similarity::Dot) {
  DictionaryOptions o;
  o.classes = classes;
  o.dim = dim;
  Fixture f;
  f.dict = Dictionary(o);
  f.dictionary = f.dict->embeddings;
  for (const auto& shape : shapes)
    f.losses.push_back(
        std::make_shared<DictionaryLoss>(f.dict, DictionaryLossOptions{shape, DictMap::Pool, similarity, 0.07}));
  return f;
}

}  // namespace

TEST(DictionaryLoss, ConvLossMatchesHandComputation) {
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
        for (int c = 0; c < 4; ++c) acc += h[n][c][k / 3][k % 3].item<double>() * obj.dictionary[z][c].item<double>();
      s.push_back(acc / 6);
    }
    expected += by_hand::cross_entropy(s, int(y[n].item<int64_t>())) / 2;
  }
  EXPECT_NEAR(obj.loss(0, h, y).item<double>(), expected, 1e-5);
}

TEST(DictionaryLoss, FcPatchesLossMatchesHandComputation) {
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
    expected += by_hand::cross_entropy(s, int(y[n].item<int64_t>())) / 3;
  }
  EXPECT_NEAR(obj.loss(0, h, y).item<double>(), expected, 1e-5);
}

TEST(DictionaryLoss, UnevenPoolingUsesPyTorchBins) {
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

TEST(DictionaryLoss, PooledConvLossMatchesHandComputation) {
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
    expected += by_hand::cross_entropy(s, int(y[n].item<int64_t>())) / 2;
  }
  EXPECT_NEAR(obj.loss(0, h, y).item<double>(), expected, 1e-5);
}

TEST(DictionaryLoss, CosineLossMatchesHandComputation) {
  torch::manual_seed(7);
  auto obj = make(2, 4, {{2, 0}}, Similarity::Cos);  // normalise t (4 dims), then pool 4 -> 2
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
    expected += by_hand::cross_entropy(s, int(y[n].item<int64_t>())) / 2;
  }
  EXPECT_NEAR(obj.loss(0, h, y).item<double>(), expected, 1e-4);
}

TEST(DictionaryLoss, OrthogonalInitHasOrthogonalRowsOfTheGivenScale) {
  DictionaryOptions o;
  o.classes = 10;
  o.dim = 64;
  o.init = DictInit::Orthogonal;
  o.orthogonal_scale = 3.0;
  Dictionary d(o);
  torch::Tensor gram = torch::matmul(d->embeddings, d->embeddings.t());
  EXPECT_TRUE(torch::allclose(gram, 9.0 * torch::eye(10), 1e-4, 1e-3));
}

TEST(DictionaryLoss, StaticDictionaryIsNotAParameter) {
  DictionaryOptions o;
  o.classes = 4;
  o.dim = 8;
  o.adaptive = false;
  Dictionary d(o);
  EXPECT_TRUE(d->parameters().empty());
  EXPECT_EQ(d->buffers().size(), 1u);
  EXPECT_FALSE(d->embeddings.requires_grad());
}

TEST(DictionaryLoss, ScoresAreTheLossesByproductAndALinearMapIsTheBlocksOwnParameter) {
  torch::manual_seed(8);
  DictionaryOptions o;
  o.classes = 3;
  o.dim = 8;
  Dictionary d(o);
  DictionaryLoss pooled(d, {{4, 0}, DictMap::Pool, Similarity::Dot, 0.07});
  DictionaryLoss mapped(d, {{4, 0}, DictMap::Linear, Similarity::Dot, 0.07});
  EXPECT_TRUE(pooled.parameters().empty());  // the shared dictionary belongs to the model, not the loss
  ASSERT_EQ(mapped.parameters().size(), 1u);
  EXPECT_EQ(mapped.parameters()[0].sizes(), (std::vector<int64_t>{4, 8}));
  torch::Tensor h = torch::randn({5, 4, 2, 2}), y = torch::randint(3, {5}, torch::kInt64);
  LossOutput out = pooled.forward(h, Target{y, {}});
  EXPECT_TRUE(torch::allclose(out.scores, pooled.scores(h)));
  EXPECT_NEAR(out.loss.item<double>(), torch::nn::functional::cross_entropy(out.scores, y).item<double>(), 1e-6);
}

TEST(DictionaryLoss, AnOutputThatIsNotKVectorsIsAClearError) {
  DictionaryOptions o;
  o.classes = 3;
  o.dim = 4;
  DictionaryLoss loss(Dictionary(o), {{4, 3}, DictMap::Pool, Similarity::Dot, 0.07});
  try {
    loss.scores(torch::randn({2, 10}));
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("P = 3"), std::string::npos) << e.what();
  }
}
