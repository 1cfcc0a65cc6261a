// DGL's and AugLocal's auxiliary networks as their sources define them, and BP's memory-fair forms
// (activation checkpointing, gradient accumulation) against plain BP.
#include <gtest/gtest.h>

#include "dcl/losses/auxiliary_classifier_loss.h"
#include "test_models.h"

using namespace dcl;
using namespace test_models;

namespace {

RunConfig resnet_config(const std::string& method, int modules) {
  RunConfig c = config(method, "resnet32");
  c.local_modules = modules;
  return c;
}

std::vector<UnitSpec> auxiliary_units(Model& m, const std::string& stage) {
  std::vector<UnitSpec> out;
  for (auto& module : loss_of<AuxiliaryClassifierLoss>(m, stage)->network->children())
    if (auto* unit = module->as<ResidualUnitImpl>()) out.push_back(unit->spec());
  return out;
}

int64_t count(torch::nn::Module& m) {
  int64_t n = 0;
  for (auto& p : m.parameters()) n += p.numel();
  return n;
}

// One SGD step of `c` on a fixed batch; the model's state afterwards.
std::vector<torch::Tensor> after_one_step(RunConfig c, InputShape in, int batch = 8) {
  c.optimizer.kind = OptimizerKind::Sgd;
  c.optimizer.lr = 0.1;
  Model m = model(c, in, 21);
  torch::manual_seed(4);
  torch::Tensor x = torch::randn({batch, in.channels, in.height, in.width});
  torch::Tensor y = torch::arange(batch, torch::kInt64) % 10;
  m.schedule->step(x, y);
  std::vector<torch::Tensor> state;
  for (auto& [name, t] : m.named_state()) state.push_back(t.detach().clone());
  return state;
}

void expect_close(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::allclose(a[i], b[i], 1e-4, 1e-5)) << "tensor " << i;
}

}  // namespace

TEST(AugLocal, SamplesLaterUnitsUniformlyWithTheirStrides) {
  Model m = model(resnet_config("auglocal", 16), {3, 32, 32});  // one unit per module
  // Module 0 (the stem), d = 3 of 15 later units: round(0 + 15/3 i) = 5, 10, 15: a 16-wide unit,
  // then a 32- and a 64-wide one, each past a downsampling, so stride 2.
  auto units = auxiliary_units(m, "block0");
  ASSERT_EQ(units.size(), 3u);
  EXPECT_EQ(units[0].planes, 16);
  EXPECT_EQ(units[0].stride, 1);
  EXPECT_EQ(units[1].planes, 32);
  EXPECT_EQ(units[1].stride, 2);
  EXPECT_EQ(units[2].planes, 64);
  EXPECT_EQ(units[2].stride, 2);
  EXPECT_EQ(units[1].in, 16);
  // The pyramid (c = 0.5): module 7's depth is round(3 (1 - 0.25) + 0.25) = round(2.5) = 2, as
  // Python rounds halves to even (units 11 and 15); module 14 has only unit 15 after it.
  EXPECT_EQ(auxiliary_units(m, "block7").size(), 2u);
  EXPECT_EQ(auxiliary_units(m, "block14").size(), 1u);
  // No pyramid: every auxiliary network has depth 3 where 3 units remain.
  RunConfig flat = resnet_config("auglocal", 16);
  flat.methods.set("auglocal_pyramid", 0.0);
  Model f = model(flat, {3, 32, 32});
  EXPECT_EQ(auxiliary_units(f, "block7").size(), 3u);
  // The last module ends in the network's classifier, trained with it end to end.
  EXPECT_EQ(m.stages.back()->name(), "block15+head");
  EXPECT_EQ(m.stages.size(), 16u);
}

TEST(Dgl, AuxiliaryNetworkIsTheConvPoolMlpHead) {
  Model m = model(resnet_config("dgl", 16), {3, 32, 32});
  // A 16-channel 32x32 output: pool to 8, three 1x1 convs 16 -> 16 with BN (3 * (256 + 32)), pool
  // to 2, F = 64, two 64 -> 64 linear layers with BN (2 * (4096 + 128)), a 64 -> 10 classifier.
  EXPECT_EQ(count(*loss_of<AuxiliaryClassifierLoss>(m, "block0")->network), 3 * (256 + 32) + 2 * (4096 + 128) + 650);
  // A 64-channel 8x8 output: pool to 2, F = 256.
  EXPECT_EQ(count(*loss_of<AuxiliaryClassifierLoss>(m, "block14")->network),
            3 * (4096 + 128) + 2 * (65536 + 512) + 2570);
}

TEST(BpCheckpointing, OneStepEqualsPlainBpWithDropoutAndBatchNorm) {
  RunConfig plain = resnet_config("bp", 4);
  plain.dropout = 0.3;  // the recomputation must draw the same masks
  RunConfig checkpointed = plain;
  checkpointed.methods.set("checkpoint_segments", 4);
  auto a = after_one_step(plain, {3, 12, 12}), b = after_one_step(checkpointed, {3, 12, 12});
  expect_close(a, b);  // parameters and BatchNorm's running statistics (updated once, not twice)
  RunConfig other_seed = plain;
  other_seed.seed = plain.seed + 1;
  other_seed.dropout = 0.0;  // the control: a different step changes the state
  auto c = after_one_step(other_seed, {3, 12, 12});
  bool differs = false;
  for (size_t i = 0; i < a.size(); ++i) differs |= !torch::allclose(a[i], c[i], 1e-4, 1e-5);
  EXPECT_TRUE(differs);
}

TEST(BpAccumulation, MicroBatchesSumToTheWholeBatchGradient) {
  // fc normalises per sample (LayerNorm), so micro-batches change nothing but memory.
  RunConfig plain = config("bp", "fc");
  plain.fc_width = 64;
  plain.fc_patches = 8;
  RunConfig accumulated = plain;
  accumulated.methods.set("accumulate", 3);  // 8 samples: micro-batches of 3, 3 and 2
  expect_close(after_one_step(plain, {1, 12, 12}), after_one_step(accumulated, {1, 12, 12}));
}
