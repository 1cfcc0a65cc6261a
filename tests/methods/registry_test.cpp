// Every method in methods() gets these checks without being listed here: no gradient crosses a
// block boundary (with BP as the control that shows the check can fail), every optimised tensor
// belongs to one stage unless it is declared shared, and bad settings are clear errors.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "test_models.h"

using namespace dcl;
using namespace test_models;

namespace {

// The networks a method is checked on: a small fc net, a small conv net and a ResNet in 4 local
// modules, those it trains.
std::vector<std::pair<std::string, InputShape>> networks(const std::string& method) {
  std::vector<std::pair<std::string, InputShape>> n;
  for (const char* arch : {"fc", "simple512", "resnet32"})
    if (can_train(method_info(method), arch_info(arch))) n.push_back({arch, {1, 12, 12}});
  return n;
}

Model small_model(const std::string& method, const std::string& arch, InputShape in) {
  RunConfig c = config(method, arch);
  c.fc_width = 64;
  c.fc_patches = 8;
  return model(c, in, 17);
}

// Trains one step with a hook on every network parameter and returns, for each stage update
// (backward), which network blocks its gradients reached (the head is not counted: the methods
// whose last module ends in the classifier train that block and the head as one stage).
std::vector<std::pair<std::string, std::set<size_t>>> blocks_reached(Model& m) {
  std::vector<std::pair<std::string, std::set<size_t>>> updates;
  std::vector<std::pair<torch::Tensor, unsigned>> hooks;
  auto watch = [&](torch::nn::Module& module, size_t block) {
    for (auto& p : module.parameters())
      hooks.emplace_back(p, p.register_hook([&updates, block](torch::Tensor g) {
        if (!updates.empty()) updates.back().second.insert(block);
        return g;
      }));
  };
  for (size_t l = 0; l < m.net->blocks.size(); ++l) watch(*m.net->blocks[l], l);
  Stage::set_observer([&](const Stage& s, StagePhase phase) {
    if (phase == StagePhase::Backward) updates.push_back({s.name(), {}});
  });
  torch::manual_seed(5);
  torch::Tensor x = torch::randn({8, 1, 12, 12}), y = torch::arange(8, torch::kInt64) % 10;
  try {
    m.schedule->step(x, y);
  } catch (...) {
    Stage::set_observer(nullptr);
    throw;
  }
  Stage::set_observer(nullptr);
  for (auto& [t, h] : hooks) t.remove_hook(h);
  return updates;
}

}  // namespace

class EveryMethod : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryMethod, NoBackwardReachesMoreThanOneBlock) {
  for (auto [arch, in] : networks(GetParam())) {
    Model m = small_model(GetParam(), arch, in);
    auto updates = blocks_reached(m);
    ASSERT_FALSE(updates.empty()) << arch;
    ASSERT_GT(m.net->blocks.size(), 1u) << arch;
    bool crossed = false;
    for (auto& [stage, blocks] : updates) crossed |= blocks.size() > 1;
    // BP is the control: its one backward reaches every block, so the check can fail.
    EXPECT_EQ(crossed, GetParam() == "bp") << arch;
    // Every gradient of a step is released once its stage has stepped.
    for (auto& [name, t] : m.named_state()) EXPECT_FALSE(t.grad().defined()) << name;
  }
}

TEST_P(EveryMethod, EveryOptimisedTensorBelongsToOneStageUnlessDeclaredShared) {
  for (auto [arch, in] : networks(GetParam())) {
    Model m = small_model(GetParam(), arch, in);
    std::map<const void*, std::vector<Stage*>> owners;
    for (auto& s : m.stages)
      for (auto& group : s->optimizer().param_groups())
        for (auto& p : group.params()) owners[p.unsafeGetTensorImpl()].push_back(s.get());
    std::set<const void*> shared;
    for (auto& [name, module] : m.shared)
      for (auto& p : module->parameters()) shared.insert(p.unsafeGetTensorImpl());
    for (auto& [tensor, stages] : owners)
      if (stages.size() > 1) {
        EXPECT_TRUE(shared.count(tensor)) << "a tensor of " << stages[0]->name() << " is updated by " << stages.size()
                                          << " stages without being declared shared";
        for (Stage* s : stages) EXPECT_FALSE(s->shared_state().empty()) << s->name();
      }
    // Stage names are unique: optimisers and state are found by name.
    std::set<std::string> names;
    for (auto& s : m.stages) EXPECT_TRUE(names.insert(s->name()).second) << s->name();
  }
}

TEST_P(EveryMethod, EveryOwnSettingOutOfRangeIsRefusedNamingItsFlag) {
  const MethodInfo& info = method_info(GetParam());
  for (const Setting& setting : info.settings) {
    const std::string& key = setting.key;
    nlohmann::json j = config(GetParam()).to_json();
    ASSERT_TRUE(j.contains(key)) << key << " is not a config.json key";
    j[key] = j[key].is_string() ? nlohmann::json("nope") : nlohmann::json(-1);
    try {
      validate(RunConfig::from_json(j));
      ADD_FAILURE() << key << " = " << j[key] << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(flag_of(key)), std::string::npos) << e.what();
    }
  }
}

TEST_P(EveryMethod, ANetworkThatCannotTakeTheInputIsAClearError) {
  RunConfig c = config(GetParam(), "vgg8b");
  try {
    model(c, {1, 20, 20});
    FAIL() << "vgg8b on 1x20x20 was accepted";
  } catch (const std::invalid_argument& e) {
    std::string what = e.what();
    EXPECT_TRUE(what.find("1x20x20") != std::string::npos ||
                what.find("cannot train arch 'vgg8b'") != std::string::npos)
        << what;
  }
}

TEST_P(EveryMethod, PredictsEveryClassForEverySample) {
  Model m = small_model(GetParam(), networks(GetParam()).front().first, {1, 12, 12});
  m.train(false);
  Prediction p = m.readout->predict(torch::randn({3, 1, 12, 12}));
  EXPECT_EQ(p.scores.sizes(), (std::vector<int64_t>{3, 10}));
  for (auto& s : p.layer_scores) EXPECT_EQ(s.sizes(), (std::vector<int64_t>{3, 10}));
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryMethod, ::testing::ValuesIn(method_names()),
                         [](const auto& info) { return test_models::identifier(info.param); });

TEST(Registry, UnknownMethodListsTheValidOnes) {
  try {
    method_info("magic");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("valid: bp, dcl, dcl-s"), std::string::npos) << e.what();
  }
}
