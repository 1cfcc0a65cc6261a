// The run configuration: typed values, config.json both ways, one validation, the lr schedule.
#include <gtest/gtest.h>

#include "dcl/training/run_config.h"

using namespace dcl;

TEST(RunConfig, JsonRoundTripKeepsEveryTypedSetting) {
  RunConfig c;
  c.arch = "vgg8b";
  c.optimizer.kind = OptimizerKind::Sgd;
  c.optimizer.lr = 0.25;
  c.methods.set("similarity", "cos");
  c.methods.set("ff_negatives", "hardest");
  c.methods.set("pff_steps", 3);
  c.milestones = {4, 9};
  nlohmann::json j = c.to_json();
  EXPECT_EQ(j["arch"], "vgg8b");
  EXPECT_EQ(j["optimizer"], "sgd");
  EXPECT_EQ(j["similarity"], "cos");
  EXPECT_EQ(j["ff_negatives"], "hardest");
  EXPECT_EQ(j["pff_steps"], 3);
  EXPECT_EQ(RunConfig::from_json(j).to_json(), j);
}

TEST(RunConfig, AnOlderConfigGetsTheDefaultsOfWhatItLacks) {
  // A config.json written before the method settings existed.
  nlohmann::json old = {{"data", "fmnist"}, {"arch", "fc"}, {"method", "dcl"}, {"lr", 0.001}, {"optimizer", "adamw"}};
  RunConfig c = RunConfig::from_json(old);
  EXPECT_EQ(c.arch, "fc");
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 0.001);
  EXPECT_EQ(c.methods.get("ff_threshold"), declared_setting("ff_threshold").default_value);
  EXPECT_DOUBLE_EQ(c.methods.real("ff_threshold"), 1.0);
}

TEST(RunConfig, BadNamesTypesAndRangesNameTheirFlag) {
  auto message = [](auto fn) {
    try {
      fn();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([] {
              RunConfig::from_json({{"arch", "resnet"}});
            }).find("--arch 'resnet' (valid: fc"),
            std::string::npos);
  EXPECT_NE(message([] { RunConfig::from_json({{"epochs", "many"}}); }).find("--epochs"), std::string::npos);
  RunConfig c;
  c.gamma = -1;
  EXPECT_NE(message([&] { validate(c); }).find("--gamma"), std::string::npos);
  c = RunConfig();
  c.milestones = {-1};
  EXPECT_NE(message([&] { validate(c); }).find("--milestones"), std::string::npos);
  c = RunConfig();
  c.fc_width = -5;
  EXPECT_NE(message([&] { validate(c); }).find("--fc-width"), std::string::npos);
  c = RunConfig();
  c.methods.set("pff_damping", 1.5);
  EXPECT_NE(message([&] { validate(c); }).find("--pff-damping"), std::string::npos);
  EXPECT_EQ(flag_of("ff_first_scoring_block"), "--ff-first-scoring-block");
}

TEST(LearningRateSchedule, MultipliesByGammaAtEachMilestonePassed) {
  RunConfig c;
  c.optimizer.lr = 0.1;
  c.gamma = 0.5;
  c.milestones = {2, 4};
  EXPECT_DOUBLE_EQ(scheduled_lr(c, 0), 0.1);
  EXPECT_DOUBLE_EQ(scheduled_lr(c, 1), 0.1);
  EXPECT_DOUBLE_EQ(scheduled_lr(c, 2), 0.05);
  EXPECT_DOUBLE_EQ(scheduled_lr(c, 5), 0.025);
}
