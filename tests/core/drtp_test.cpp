// DRTP: each hidden block's gradient at its output is (1/N) B_l^T y*, nothing else (spec section 5).
#include <gtest/gtest.h>

#include "dcl/core/drtp.h"
#include "dcl/core/method.h"

using namespace dcl;
namespace F = torch::nn::functional;

namespace {

RunConfig drtp_config(const std::string& arch) {
  RunConfig c;
  c.method = "drtp";
  c.arch = arch;
  c.data = "fmnist";
  c.lr = 1e-3;
  return c;
}

Model model(const std::string& arch, InputShape in) {
  torch::manual_seed(21);
  return build_model(drtp_config(arch), in, 10);
}

}  // namespace

TEST(Drtp, TargetProjectionIsTheTargetsRowOfTheFeedbackMatrixOverN) {
  Model m = model("simple256", {1, 12, 12});
  auto* drtp = dynamic_cast<DrtpObjective*>(m.objective.get());
  ASSERT_NE(drtp, nullptr);
  // Feedback matrices are fixed buffers sized to each block's output, never parameters.
  EXPECT_TRUE(drtp->parameters().empty());
  EXPECT_EQ(drtp->feedback[0].sizes(), (std::vector<int64_t>{10, 64 * 12 * 12}));
  EXPECT_EQ(drtp->feedback[1].sizes(), (std::vector<int64_t>{10, 256 * 6 * 6}));
  torch::Tensor h = torch::randn({3, 256, 6, 6}), y = torch::tensor({4, 0, 4}, torch::kInt64);
  torch::Tensor p = drtp->target_projection(1, h, y);
  ASSERT_EQ(p.sizes(), h.sizes());
  for (int n = 0; n < 3; ++n) {
    // (B^T y*)_j = Σ_z B_zj y*_z with y* one-hot: by hand over z.
    torch::Tensor onehot = torch::zeros({10});
    onehot[y[n].item<int64_t>()] = 1;
    torch::Tensor want = torch::zeros({256 * 6 * 6});
    for (int z = 0; z < 10; ++z) want += drtp->feedback[1][z] * onehot[z];
    EXPECT_TRUE(torch::allclose(p[n].flatten(), want / 3.0, 1e-6, 1e-7)) << "sample " << n;
  }
}

TEST(Drtp, EveryBlockUpdatesWithTheProjectedTargetAndTheHeadWithItsOwnError) {
  torch::manual_seed(2);
  torch::Tensor x = torch::randn({8, 1, 12, 12}), y = torch::randint(10, {8}, torch::kInt64);
  // The rule written out by hand on one model ...
  Model want = model("simple512", {1, 12, 12});
  auto* drtp = dynamic_cast<DrtpObjective*>(want.objective.get());
  torch::Tensor h = x;
  for (size_t l = 0; l < want.net->blocks.size(); ++l) {
    torch::Tensor out = want.net->blocks[l]->forward(h.detach());
    torch::Tensor by_hand = torch::zeros_like(out);
    for (int64_t n = 0; n < 8; ++n) by_hand[n] = drtp->feedback[l][y[n].item<int64_t>()].view(out[n].sizes()) / 8.0;
    out.backward(by_hand);
    // ... no gradient reaches an earlier block ...
    for (size_t k = 0; k < l; ++k)
      for (auto& p : want.net->blocks[k]->parameters()) EXPECT_FALSE(p.grad().defined()) << "block " << k;
    want.learner->optimizers[l]->step();
    for (auto& p : want.net->blocks[l]->parameters()) p.mutable_grad().reset();
    h = out.detach();
  }
  F::cross_entropy(want.net->head->forward(h), y).backward();
  want.learner->optimizers.back()->step();
  // ... equals the learner's step on an identical model.
  Model got = model("simple512", {1, 12, 12});
  got.learner->train_step(x, y);
  auto a = got.net->named_parameters(), b = want.net->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(torch::allclose(a[i].value(), b[i].value(), 1e-5, 1e-6)) << a[i].key();
  for (auto& p : got.net->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(Drtp, FeedbackMatricesAreSavedWithTheModel) {
  Model m = model("fc", {1, 28, 28});
  int found = 0;
  for (auto& [name, t] : m.named_state())
    if (name.find("objective.feedback") == 0) ++found;
  EXPECT_EQ(found, 2);
}
