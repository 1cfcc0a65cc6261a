// CaFo: frozen random blocks, trained per-block predictors, summed prediction (spec section 5).
#include <gtest/gtest.h>

#include "dcl/core/cafo.h"
#include "dcl/core/method.h"

using namespace dcl;

namespace {

Model cafo_model(const std::string& arch, InputShape in) {
  RunConfig c;
  c.method = "cafo";
  c.arch = arch;
  c.data = "fmnist";
  c.lr = 1e-3;
  torch::manual_seed(31);
  return build_model(c, in, 10);
}

std::vector<torch::Tensor> clones(const std::vector<torch::Tensor>& v) {
  std::vector<torch::Tensor> out;
  for (const auto& t : v) out.push_back(t.detach().clone());
  return out;
}

}  // namespace

TEST(Cafo, BlocksStayBitIdenticalWhilePredictorsLearn) {
  Model m = cafo_model("simple256", {1, 12, 12});
  auto* cafo = dynamic_cast<CafoObjective*>(m.objective.get());
  ASSERT_NE(cafo, nullptr);
  auto blocks_before = clones(m.net->parameters());
  auto buffers_before = clones(m.net->buffers());  // BatchNorm running statistics too
  auto predictors_before = clones(cafo->parameters());
  torch::manual_seed(3);
  torch::Tensor x = torch::randn({16, 1, 12, 12}), y = torch::randint(10, {16}, torch::kInt64);
  for (int i = 0; i < 3; ++i) {
    m.train(true);  // as the trainer does every epoch
    m.learner->train_step(x, y);
  }
  auto blocks_after = m.net->parameters();
  for (size_t i = 0; i < blocks_before.size(); ++i) EXPECT_TRUE(torch::equal(blocks_before[i], blocks_after[i].detach()));
  auto buffers_after = m.net->buffers();
  for (size_t i = 0; i < buffers_before.size(); ++i) EXPECT_TRUE(torch::equal(buffers_before[i], buffers_after[i]));
  auto predictors_after = cafo->parameters();
  for (size_t i = 0; i < predictors_before.size(); ++i)
    EXPECT_FALSE(torch::equal(predictors_before[i], predictors_after[i].detach())) << "predictor tensor " << i;
  // Only the predictors have optimisers; the head is not part of CaFo.
  EXPECT_EQ(m.learner->optimizers.size(), m.net->blocks.size());
}

TEST(Cafo, PredictionIsTheSumOfThePredictorsDistributions) {
  Model m = cafo_model("fc", {1, 28, 28});
  auto* cafo = dynamic_cast<CafoObjective*>(m.objective.get());
  torch::NoGradGuard no_grad;
  m.train(false);
  torch::Tensor x = torch::randn({5, 1, 28, 28});
  std::vector<torch::Tensor> outs;
  torch::Tensor h = x;
  for (auto& b : m.net->blocks) outs.push_back(h = b->forward(h));
  EXPECT_EQ(cafo->predictors[0]->weight.sizes(), (std::vector<int64_t>{10, 1024}));
  torch::Tensor sum = torch::softmax(cafo->scores(0, outs[0]), 1) + torch::softmax(cafo->scores(1, outs[1]), 1);
  torch::Tensor got = m.learner->predict(x, outs);
  EXPECT_TRUE(torch::allclose(got.exp() * 2, sum, 1e-5, 1e-6));
  EXPECT_TRUE(torch::equal(got.argmax(1), sum.argmax(1)));
}
