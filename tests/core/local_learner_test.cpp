// The local learner: no gradient crosses a block boundary; DCL-S never changes its dictionary.
#include <gtest/gtest.h>

#include "dcl/core/dictionary_objective.h"
#include "dcl/core/method.h"

using namespace dcl;

namespace {

RunConfig config(const std::string& method, const std::string& arch = "fc") {
  RunConfig c;
  c.method = method;
  c.arch = arch;
  c.data = "fmnist";
  c.lr = 1e-3;
  return c;
}

Model model_for(const RunConfig& c, InputShape in = {1, 28, 28}) {
  torch::manual_seed(11);
  return build_model(c, in, 10);
}

std::vector<torch::Tensor> clones(const std::vector<torch::Tensor>& v) {
  std::vector<torch::Tensor> out;
  for (const auto& t : v) out.push_back(t.detach().clone());
  return out;
}

// Block 0's parameters after one update driven by block 0's own loss alone, on a copy of the model.
std::vector<torch::Tensor> first_block_after_own_update(const RunConfig& c, const torch::Tensor& x, const torch::Tensor& y) {
  Model m = model_for(c, {int(x.size(1)), int(x.size(2)), int(x.size(3))});
  m.objective->set_input(x);
  m.objective->loss(0, m.net->blocks[0]->forward(x), y).backward();
  m.learner->optimizers[0]->step();
  return clones(m.net->blocks[0]->parameters());
}

}  // namespace

class NoGradientAcrossBlocks : public ::testing::TestWithParam<std::string> {};

TEST_P(NoGradientAcrossBlocks, LaterLossesLeaveEarlierBlocksUntouched) {
  RunConfig c = config(GetParam(), "simple512");
  torch::manual_seed(1);
  torch::Tensor x = torch::randn({8, 1, 12, 12}), y = torch::randint(10, {8}, torch::kInt64);
  auto want = first_block_after_own_update(c, x, y);
  Model m = model_for(c, {1, 12, 12});
  m.learner->train_step(x, y);
  // Each block's gradients are released after its update: any later backward that reached an
  // earlier block would leave a gradient behind.
  for (size_t l = 0; l < m.net->blocks.size(); ++l)
    for (auto& p : m.net->blocks[l]->parameters()) EXPECT_FALSE(p.grad().defined()) << "block " << l;
  auto got = m.net->blocks[0]->parameters();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_TRUE(torch::allclose(got[i], want[i], 1e-5, 1e-6)) << "block 0 parameter " << i;
}

INSTANTIATE_TEST_SUITE_P(LocalMethods, NoGradientAcrossBlocks,
                         ::testing::Values("dcl", "dcl-s", "feat", "contrast", "cafo", "drtp", "ll-pred", "ll-sim",
                                           "ll-predsim", "ll-bpf", "ll-cont", "ll-contrec"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& ch : name) ch = ch == '-' ? '_' : ch;
                           return name;
                         });

TEST(NoGradientAcrossBlocksControl, BackpropagationUpdatesTheFirstBlockFromLaterLosses) {
  // The same comparison fails for BP, which shows the check above can detect a leak.
  torch::manual_seed(1);
  torch::Tensor x = torch::randn({8, 1, 12, 12}), y = torch::randint(10, {8}, torch::kInt64);
  auto own = first_block_after_own_update(config("dcl", "simple512"), x, y);
  Model bp = model_for(config("bp", "simple512"), {1, 12, 12});
  bp.learner->train_step(x, y);
  EXPECT_TRUE(bp.net->blocks[1]->parameters()[0].grad().defined());
  EXPECT_FALSE(torch::allclose(bp.net->blocks[0]->parameters()[0], own[0], 1e-5, 1e-6));
}

TEST(LocalLearner, StaticDictionaryStaysBitIdenticalAdaptiveOneChanges) {
  torch::Tensor x = torch::randn({16, 1, 28, 28}), y = torch::randint(10, {16}, torch::kInt64);
  for (std::string method : {"dcl-s", "dcl"}) {
    Model m = model_for(config(method));
    auto* dict = dynamic_cast<DictionaryObjective*>(m.objective.get());
    ASSERT_NE(dict, nullptr);
    torch::Tensor before = dict->dictionary.detach().clone();
    for (int i = 0; i < 3; ++i) m.learner->train_step(x, y);
    bool identical = torch::equal(before, dict->dictionary.detach());
    if (method == "dcl-s")
      EXPECT_TRUE(identical) << "DCL-S changed its dictionary";
    else
      EXPECT_FALSE(identical) << "DCL did not learn its dictionary";
  }
}

TEST(LocalLearner, NaNLossIsAnErrorNamingTheBlockAndNoWeightChanges) {
  Model m = model_for(config("dcl"));
  torch::Tensor x = torch::full({4, 1, 28, 28}, std::nan("")), y = torch::zeros({4}, torch::kInt64);
  auto before = clones(m.net->parameters());
  try {
    m.learner->train_step(x, y);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("block 0"), std::string::npos) << e.what();
  }
  auto after = m.net->parameters();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(torch::equal(before[i], after[i].detach()));
}

TEST(Networks, ParameterCountsMatchTheArchitectures) {
  // fc on 28x28: 784*1024+1024 + (2*1024 + 1024*1024+1024) + (2*1024 + 1024*10+10)
  Model fc = model_for(config("bp", "fc"));
  EXPECT_EQ(fc.network_parameters(), 784 * 1024 + 1024 + 2 * 1024 + 1024 * 1024 + 1024 + 2 * 1024 + 1024 * 10 + 10);
  // vgg8b on 32x32: flatten 2048 into the fc block.
  Model vgg = model_for(config("bp", "vgg8b"), {3, 32, 32});
  int64_t convs = (3 * 9 * 128 + 128) + (128 * 9 * 256 + 256) + (256 * 9 * 256 + 256) + (256 * 9 * 512 + 512) +
                  2 * (512 * 9 * 512 + 512);
  int64_t bns = 2 * (128 + 256 + 256 + 512 + 512 + 512) + 2 * 1024;
  EXPECT_EQ(vgg.network_parameters(), convs + bns + (2048 * 1024 + 1024) + (1024 * 10 + 10));
}

TEST(Networks, BadArchitecturesAndShapesAreClearErrors) {
  auto message = [](auto fn) {
    try {
      fn();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([] { model_for(config("dcl", "resnet")); }).find("valid: fc, simple256"), std::string::npos);
  EXPECT_NE(message([] { model_for(config("magic")); }).find("valid: bp, dcl"), std::string::npos);
  EXPECT_NE(message([] { model_for(config("dcl", "vgg8b"), {1, 20, 20}); }).find("1x20x20"), std::string::npos);
}
