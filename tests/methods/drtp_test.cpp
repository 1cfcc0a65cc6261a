// DRTP: each hidden block's gradient at its output is B_l^T y*, nothing else (spec section 5; summed
// over the batch as the authors' code).
#include <gtest/gtest.h>

#include "dcl/losses/drtp_loss.h"
#include "test_models.h"

using namespace dcl;
using namespace test_models;
namespace F = torch::nn::functional;

TEST(Drtp, TargetProjectionIsTheTargetsRowOfTheFeedbackMatrix) {
  Model m = model("drtp", "simple256", {1, 12, 12}, 21);
  auto* b0 = loss_of<DrtpLoss>(m, "block0");
  auto* b1 = loss_of<DrtpLoss>(m, "block1");
  ASSERT_TRUE(b0 && b1);
  // Feedback matrices are fixed buffers sized to each block's output, never parameters.
  EXPECT_TRUE(b1->parameters().empty());
  EXPECT_EQ(b0->feedback.sizes(), (std::vector<int64_t>{10, 64 * 12 * 12}));
  EXPECT_EQ(b1->feedback.sizes(), (std::vector<int64_t>{10, 256 * 6 * 6}));
  torch::Tensor h = torch::randn({3, 256, 6, 6}), y = torch::tensor({4, 0, 4}, torch::kInt64);
  torch::Tensor p = b1->target_projection(h, y);
  ASSERT_EQ(p.sizes(), h.sizes());
  for (int n = 0; n < 3; ++n) {
    // (B^T y*)_j = Σ_z B_zj y*_z with y* one-hot: by hand over z.
    torch::Tensor onehot = torch::zeros({10});
    onehot[y[n].item<int64_t>()] = 1;
    torch::Tensor want = torch::zeros({256 * 6 * 6});
    for (int z = 0; z < 10; ++z) want += b1->feedback[z] * onehot[z];
    EXPECT_TRUE(torch::allclose(p[n].flatten(), want, 1e-6, 1e-7)) << "sample " << n;
  }
}

TEST(Drtp, EveryBlockUpdatesWithTheProjectedTargetAndTheHeadWithItsOwnError) {
  torch::manual_seed(2);
  torch::Tensor x = torch::randn({8, 1, 12, 12}), y = torch::randint(10, {8}, torch::kInt64);
  // The rule written out by hand on one model ...
  Model want = model("drtp", "simple512", {1, 12, 12}, 21);
  torch::Tensor h = x;
  for (size_t l = 0; l < want.net->blocks.size(); ++l) {
    auto* loss = loss_of<DrtpLoss>(want, "block" + std::to_string(l));
    torch::Tensor out = want.net->blocks[l]->forward(h.detach());
    torch::Tensor by_hand = torch::zeros_like(out);
    for (int64_t n = 0; n < 8; ++n) by_hand[n] = loss->feedback[y[n].item<int64_t>()].view(out[n].sizes());
    out.backward(by_hand);
    // ... no gradient reaches an earlier block ...
    for (size_t k = 0; k < l; ++k)
      for (auto& p : want.net->blocks[k]->parameters()) EXPECT_FALSE(p.grad().defined()) << "block " << k;
    want.stages[l]->optimizer().step();
    for (auto& p : want.net->blocks[l]->parameters()) p.mutable_grad().reset();
    h = out.detach();
  }
  F::cross_entropy(want.net->head->forward(h), y).backward();
  want.stage("head").optimizer().step();
  // ... equals the schedule's step on an identical model.
  Model got = model("drtp", "simple512", {1, 12, 12}, 21);
  got.schedule->step(x, y);
  auto a = got.net->named_parameters(), b = want.net->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(torch::allclose(a[i].value(), b[i].value(), 1e-5, 1e-6)) << a[i].key();
  for (auto& p : got.net->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(Drtp, FeedbackMatricesAreSavedWithTheModelAndScaleWithTheirFlag) {
  Model m = model("drtp", "fc", {1, 28, 28}, 21);
  int found = 0;
  for (auto& [name, t] : m.named_state()) found += name.find(".loss.feedback") != std::string::npos ? 1 : 0;
  EXPECT_EQ(found, 2);
  RunConfig c = config("drtp");
  c.methods.set("drtp_feedback_scale", 3.0);
  Model scaled = model(c, {1, 28, 28}, 21);
  double bound = 3 * std::sqrt(6.0 / 1024);  // kaiming_uniform_ on [Z, S], S = 1024 outputs
  torch::Tensor b = loss_of<DrtpLoss>(scaled, "block0")->feedback;
  EXPECT_LE(b.abs().max().item<double>(), bound);
  EXPECT_GT(b.abs().max().item<double>(), 0.9 * bound);  // 1024*784 draws reach the bound
}

TEST(Drtp, TheSurrogateIsReportedAsZeroAndOnlyItsGradientActs) {
  DrtpLoss loss(10, 6);
  torch::Tensor h = torch::rand({4, 6}).requires_grad_(), y = torch::tensor({1, 7, 7, 0}, torch::kInt64);
  Target target;
  target.labels = y;
  torch::Tensor value = loss.forward(h, target).loss;
  EXPECT_EQ(value.item<double>(), 0.0);  // no minimum to report: a ReLU output could grow forever
  value.backward();
  EXPECT_TRUE(torch::allclose(h.grad(), loss.target_projection(h, y)));
  EXPECT_GT(h.grad().abs().sum().item<double>(), 0.0);
}
