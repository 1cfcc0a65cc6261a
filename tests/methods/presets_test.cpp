// Presets: the paper's schedule (spec section 4), the quick preset, and flags that win over both.
#include <gtest/gtest.h>

#include "dcl/experiments/compare.h"
#include "dcl/methods/method.h"
#include "dcl/methods/presets.h"
#include "dcl/training/run_config.h"

using namespace dcl;

TEST(Presets, PaperAppliesSpecSection4ForTheArchAndData) {
  RunConfig c;
  c.arch = "vgg8b";
  c.data = "cifar10";
  c.preset = Preset::Paper;
  apply_preset(c, {});
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 5e-4);
  EXPECT_EQ(c.batch_size, 128);
  EXPECT_EQ(c.epochs, 400);
  EXPECT_EQ(c.milestones, (std::vector<int>{200, 300, 350, 375}));
  EXPECT_DOUBLE_EQ(c.gamma, 0.25);
  EXPECT_DOUBLE_EQ(c.dropout, 0.05);
  TrainingSchedule fc_c100 = paper_schedule("fc", "cifar20");
  EXPECT_DOUBLE_EQ(fc_c100.lr, 1e-4);
  EXPECT_DOUBLE_EQ(fc_c100.dropout, 0.3);
}

TEST(Presets, QuickKeepsTheOptimiserForAFewEpochsAndGivenFlagsWin) {
  RunConfig c;
  c.arch = "fc";
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
    EXPECT_GE(p.epochs, 60) << m.name;  // a full schedule, the method's own or the paper's
  }
}

TEST(Presets, AMethodsOwnRuleWinsOverThePapersSchedule) {
  MethodInfo own("own", "a method with its own preset", {}, nullptr,
                 [](Preset p, const ArchInfo&, const data::DatasetInfo&) {
                   TrainingSchedule s;
                   s.optimizer = OptimizerKind::Sgd;
                   s.epochs = p == Preset::Quick ? 2 : 60;
                   return s;
                 });
  EXPECT_EQ(method_preset(own, Preset::Paper, "fc", data::dataset_info("mnist")).epochs, 60);
  EXPECT_EQ(method_preset(own, Preset::Quick, "fc", data::dataset_info("mnist")).optimizer, OptimizerKind::Sgd);
  EXPECT_EQ(method_preset(method_info("dcl"), Preset::Paper, "fc", data::dataset_info("mnist")).epochs,
            150);  // spec section 4
}

TEST(Presets, EveryMethodsPresetsAreValidSettingsOnEveryArchAndDataset) {
  for (const auto& m : methods())
    for (std::string arch : {"fc", "simple256", "vgg8b"})
      for (const std::string data : {"mnist", "fmnist", "cifar10", "cifar100", "svhn", "stl10"}) {
        RunConfig paper, quick;
        paper.method = quick.method = m.name;
        paper.arch = quick.arch = arch;
        paper.data = quick.data = data;
        paper.preset = Preset::Paper;
        quick.preset = Preset::Quick;
        ASSERT_NO_THROW(apply_preset(paper, {})) << m.name << " " << data;
        ASSERT_NO_THROW(apply_preset(quick, {})) << m.name << " " << data;
        EXPECT_NO_THROW(validate(paper)) << m.name << " " << data;
        EXPECT_NO_THROW(validate(quick)) << m.name << " " << data;
        EXPECT_LT(quick.epochs, paper.epochs) << m.name << " " << data;
        // Quick keeps the method's own optimiser and method settings.
        EXPECT_EQ(quick.optimizer.kind, paper.optimizer.kind) << m.name;
        EXPECT_EQ(quick.optimizer.lr, paper.optimizer.lr) << m.name;
        EXPECT_EQ(quick.batch_size, paper.batch_size) << m.name;
        EXPECT_EQ(quick.methods.get("ll_beta"), paper.methods.get("ll_beta")) << m.name;
      }
}

TEST(Presets, FFTakesHintonsScheduleOnFcAndTheFlagsGivenStillWin) {
  RunConfig c;
  c.method = "ff";
  c.preset = Preset::Paper;
  c.methods.set("ff_negatives", "hardest");
  c.optimizer.lr = 0.5;
  apply_preset(c, {"lr", "ff_negatives"});
  EXPECT_EQ(c.optimizer.kind, OptimizerKind::Sgd);
  EXPECT_DOUBLE_EQ(c.optimizer.momentum, 0.9);
  EXPECT_DOUBLE_EQ(c.optimizer.weight_decay, 3e-4);
  EXPECT_EQ(c.batch_size, 100);
  EXPECT_EQ(c.epochs, 100);
  EXPECT_EQ(c.lr_schedule, LrSchedule::Cooldown);
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 0.5);                 // given
  EXPECT_EQ(c.methods.name("ff_negatives"), "hardest");  // given
  RunConfig pff;
  pff.method = "pff";
  pff.preset = Preset::Paper;
  apply_preset(pff, {});
  EXPECT_EQ(pff.fc_width, 2000);
  EXPECT_EQ(pff.methods.integer("pff_steps"), 12);
  EXPECT_EQ(pff.optimizer.kind, OptimizerKind::Adam);
}

TEST(Presets, CompareRowsTakeTheirOwnMethodsPresetUnderTheFlagsAndTheRowsSettings) {
  RunConfig base;
  base.preset = Preset::Quick;
  base.epochs = 2;
  RunConfig ff = row_config(base, "ff", {"epochs"});
  EXPECT_EQ(ff.optimizer.kind, OptimizerKind::Sgd);
  EXPECT_EQ(ff.batch_size, 100);
  EXPECT_EQ(ff.epochs, 2);  // given on the command line
  RunConfig bpf = row_config(base, "ll-bpf:ll_beta=0.5", {"epochs"});
  EXPECT_EQ(bpf.optimizer.kind, OptimizerKind::Adam);
  EXPECT_DOUBLE_EQ(bpf.methods.real("ll_beta"), 0.5);  // the row's own setting over the preset's 0.01
  EXPECT_DOUBLE_EQ(row_config(base, "ll-bpf", {"epochs"}).methods.real("ll_beta"), 0.01);
  RunConfig dcl = row_config(base, "dcl", {"epochs"});
  EXPECT_EQ(dcl.optimizer.kind, OptimizerKind::AdamW);
  EXPECT_EQ(dcl.batch_size, 512);
  base.preset = Preset::None;  // no preset: every row the same settings
  EXPECT_EQ(row_config(base, "ff").optimizer.kind, OptimizerKind::AdamW);
}

TEST(Presets, LearningRateSchedules) {
  // step: x gamma after each milestone
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, LrSchedule::Step, 0.5, {2, 4}, 3, 10), 0.5);
  // cooldown: constant for the first half, then linear towards 0
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, LrSchedule::Cooldown, 0.5, {}, 4, 10), 1.0);
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, LrSchedule::Cooldown, 0.5, {}, 5, 10), 1.0);
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, LrSchedule::Cooldown, 0.5, {}, 8, 10), 0.4);
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, LrSchedule::Cooldown, 0.5, {}, 9, 10), 0.2);
  // cosine (InfoPro's, 1-based epochs e): warm-up from 0.01, then half a cosine; milestones ignored
  const double pi = std::acos(-1.0);
  EXPECT_DOUBLE_EQ(scheduled_lr(0.8, LrSchedule::Cosine, 0.5, {1}, 0, 160), 0.01);
  EXPECT_NEAR(scheduled_lr(0.8, LrSchedule::Cosine, 0.5, {1}, 4, 160),
              0.4 * (1 + std::cos(pi * 5 / 160)) * 0.4 + 0.01 * 0.6, 1e-12);
  EXPECT_NEAR(scheduled_lr(0.8, LrSchedule::Cosine, 0.5, {1}, 79, 160), 0.4, 1e-12);
  EXPECT_NEAR(scheduled_lr(0.8, LrSchedule::Cosine, 0.5, {1}, 119, 160), 0.4 * (1 - std::sqrt(0.5)), 1e-12);
  EXPECT_DOUBLE_EQ(scheduled_lr(1e-3, LrSchedule::Cosine, 0.5, {}, 0, 160), 1e-3);  // never warmed down
}

TEST(Presets, InfoProDglAndAugLocalTakeNesterovsMomentumAsTheirScripts) {
  for (const char* method : {"ll-cont", "dgl", "auglocal"}) {
    RunConfig c;
    c.method = method;
    c.arch = std::string(method) == "ll-cont" ? "fc" : "resnet32";
    c.preset = Preset::Paper;
    apply_preset(c, {});
    EXPECT_EQ(c.optimizer.kind, OptimizerKind::Sgd) << method;
    EXPECT_TRUE(c.optimizer.nesterov) << method;
  }
  RunConfig ff;  // Hinton's FF: plain momentum
  ff.method = "ff";
  ff.preset = Preset::Paper;
  apply_preset(ff, {});
  EXPECT_FALSE(ff.optimizer.nesterov);
  // Nesterov's steps differ from plain momentum's.
  auto steps = [](bool nesterov) {
    torch::Tensor w = torch::ones({3}, torch::requires_grad());
    OptimizerOptions o;
    o.kind = OptimizerKind::Sgd;
    o.lr = 0.1;
    o.weight_decay = 0;
    o.nesterov = nesterov;
    auto opt = optimizer_factory(o)({w});
    for (int i = 0; i < 2; ++i) {
      opt->zero_grad();
      (w * w).sum().backward();
      opt->step();
    }
    return w.detach().clone();
  };
  EXPECT_FALSE(torch::allclose(steps(true), steps(false)));
  // With AdamW, --nesterov would change nothing: refused by name.
  RunConfig adamw;
  adamw.optimizer.nesterov = true;
  EXPECT_THROW(require_given_settings_apply(adamw, {"nesterov"}), std::invalid_argument);
}

TEST(Presets, TheLocalLossMethodsWithASimLossTrainLeakyReluNetworksAsTheirAuthors) {
  // anokland/local-loss run_experiments.sh: --nonlin leakyrelu for sim, predsim and bio runs.
  for (const char* method : {"ll-sim", "ll-predsim", "ll-bpf"})
    for (const char* arch : {"fc", "vgg8b"}) {
      RunConfig c;
      c.method = method;
      c.arch = arch;
      c.preset = Preset::Paper;
      apply_preset(c, {});
      EXPECT_EQ(c.activation, "leaky_relu") << method << " " << arch;
      validate(c);
    }
  RunConfig pred;
  pred.method = "ll-pred";
  pred.preset = Preset::Paper;
  apply_preset(pred, {});
  EXPECT_EQ(pred.activation, "relu");
  RunConfig resnet;  // ResNets' units are ReLU: the preset keeps them valid
  resnet.method = "ll-predsim";
  resnet.arch = "resnet32";
  resnet.preset = Preset::Paper;
  apply_preset(resnet, {});
  EXPECT_EQ(resnet.activation, "relu");
  resnet.activation = "leaky_relu";
  EXPECT_THROW(validate(resnet), std::invalid_argument);
}

TEST(Presets, DrtpTrainsTanhNetworksWithNagOnFcAndAdamOnReluConvNetworks) {
  RunConfig fc;
  fc.method = "drtp";
  fc.preset = Preset::Paper;
  apply_preset(fc, {});
  EXPECT_EQ(fc.activation, "tanh");
  EXPECT_EQ(fc.optimizer.kind, OptimizerKind::Sgd);
  EXPECT_TRUE(fc.optimizer.nesterov);
  EXPECT_DOUBLE_EQ(fc.optimizer.lr, 1e-4);
  EXPECT_EQ(fc.batch_size, 100);
  validate(fc);
  RunConfig conv = fc;
  conv.arch = "simple256";
  conv.activation = "relu";
  apply_preset(conv, {});
  EXPECT_EQ(conv.activation, "relu");
  EXPECT_EQ(conv.optimizer.kind, OptimizerKind::Adam);
  conv.activation = "tanh";  // the conv blocks are conv + BN + ReLU for every method
  EXPECT_THROW(validate(conv), std::invalid_argument);
}
