// Presets: the paper's schedule (spec section 4), the quick preset, and flags that win over both.
#include <gtest/gtest.h>

#include "dcl/methods/method.h"
#include "dcl/methods/presets.h"
#include "dcl/training/run_config.h"

using namespace dcl;

TEST(Presets, PaperAppliesSpecSection4ForTheArchAndData) {
  RunConfig c;
  c.arch = Arch::Vgg8b;
  c.data = "cifar10";
  c.preset = Preset::Paper;
  apply_preset(c, {});
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 5e-4);
  EXPECT_EQ(c.batch_size, 128);
  EXPECT_EQ(c.epochs, 400);
  EXPECT_EQ(c.milestones, (std::vector<int>{200, 300, 350, 375}));
  EXPECT_DOUBLE_EQ(c.gamma, 0.25);
  EXPECT_DOUBLE_EQ(c.dropout, 0.05);
  TrainingSchedule fc_c100 = paper_schedule(Arch::Fc, "cifar20");
  EXPECT_DOUBLE_EQ(fc_c100.lr, 1e-4);
  EXPECT_DOUBLE_EQ(fc_c100.dropout, 0.3);
}

TEST(Presets, QuickKeepsTheOptimiserForAFewEpochsAndGivenFlagsWin) {
  RunConfig c;
  c.arch = Arch::Fc;
  c.data = "fmnist";
  c.preset = Preset::Quick;
  c.optimizer.lr = 0.123;
  c.epochs = 7;
  apply_preset(c, {"lr"});
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 0.123);  // given on the command line
  EXPECT_EQ(c.epochs, 5);                   // not given: the preset's
  EXPECT_EQ(c.milestones, (std::vector<int>{4}));
  EXPECT_EQ(c.batch_size, 512);
}

TEST(Presets, NoneChangesNothingAndEveryMethodHasAPreset) {
  RunConfig c;
  c.epochs = 9;
  apply_preset(c, {});
  EXPECT_EQ(c.epochs, 9);
  for (const auto& m : methods()) {
    RunConfig p;
    p.method = m.name;
    p.preset = Preset::Paper;
    apply_preset(p, {});
    EXPECT_GE(p.epochs, 100) << m.name;  // a full schedule, the method's own or the paper's
  }
}

TEST(Presets, AMethodsOwnRuleWinsOverThePapersSchedule) {
  MethodInfo own("own", "a method with its own preset", {}, nullptr, [](Preset p, Arch, const std::string&) {
    TrainingSchedule s;
    s.optimizer = OptimizerKind::Sgd;
    s.epochs = p == Preset::Quick ? 2 : 60;
    return s;
  });
  EXPECT_EQ(method_preset(own, Preset::Paper, Arch::Fc, "mnist").epochs, 60);
  EXPECT_EQ(method_preset(own, Preset::Quick, Arch::Fc, "mnist").optimizer, OptimizerKind::Sgd);
  EXPECT_EQ(method_preset(method_info("dcl"), Preset::Paper, Arch::Fc, "mnist").epochs, 150);  // spec section 4
}
