// Method settings as their declarations define them: parsing, types, ranges, defaults, and the
// flags and config.json keys derived from them.
#include <gtest/gtest.h>

#include "dcl/methods/method.h"
#include "dcl/training/run_config.h"

using namespace dcl;

namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Setting, RangesReadAsTheirRuleAndRefuseOutsideValuesNamingTheFlag) {
  Setting beta = Setting::real("some_beta", 0.5, "a weight").in(0, 1);
  EXPECT_EQ(beta.flag(), "--some-beta");
  EXPECT_EQ(beta.rule(), "in [0, 1]");
  EXPECT_NO_THROW(beta.check_range(1.0));
  EXPECT_EQ(message_of([&] { beta.check_range(1.5); }), "--some-beta must be in [0, 1] (got 1.500000)");
  EXPECT_EQ(Setting::real("t", 1, "").positive().rule(), "a positive number");
  EXPECT_NE(message_of([&] { Setting::real("t", 1, "").positive().check_range(0.0); }), "");
  EXPECT_EQ(Setting::real("d", 0.3, "").in(0, 1, true).rule(), "in [0, 1)");
  EXPECT_NE(message_of([&] { Setting::real("d", 0.3, "").in(0, 1, true).check_range(1.0); }), "");
  EXPECT_EQ(Setting::integer("k", 8, "").at_least(1).rule(), ">= 1");
  // NaN is never in range.
  EXPECT_NE(message_of([&] { Setting::real("w", 0, "").at_least(0).check_range(std::nan("")); }), "");
}

TEST(Setting, CommandLineTextIsParsedByTheSettingsType) {
  Setting k = Setting::integer("steps", 8, "").at_least(1);
  EXPECT_EQ(k.parse("12"), 12);
  EXPECT_NE(message_of([&] { k.parse("1.5"); }).find("--steps"), std::string::npos);
  EXPECT_NE(message_of([&] { k.parse("x"); }).find("--steps"), std::string::npos);
  Setting on = Setting::on_off("bias", true, "");
  EXPECT_EQ(on.parse("false"), false);
  EXPECT_EQ(on.parse("true"), true);
  EXPECT_NE(message_of([&] { on.parse("maybe"); }).find("--bias"), std::string::npos);
  Setting map = declared_setting("dict_map");
  EXPECT_EQ(map.parse("linear"), "linear");
  EXPECT_EQ(message_of([&] { map.parse("conv"); }), "unknown --dict-map 'conv' (valid: pool, linear)");
  // The JSON type is checked too (config.json values).
  EXPECT_NE(message_of([&] { k.check_type("8"); }).find("wrong type"), std::string::npos);
  EXPECT_NE(message_of([&] { on.check_type(1); }).find("wrong type"), std::string::npos);
}

TEST(Setting, EveryDeclaredSettingIsAConfigKeyWithItsDefaultAndOnlyDeclaredOnesExist) {
  RunConfig c;
  nlohmann::json j = c.to_json();
  std::set<std::string> keys;
  for (const auto& m : methods())
    for (const Setting& s : m.settings) {
      keys.insert(s.key);
      ASSERT_TRUE(j.contains(s.key)) << s.key;
      EXPECT_EQ(j.at(s.key), s.default_value) << s.key;
      EXPECT_NO_THROW(s.check_range(s.default_value)) << s.key << ": its default is out of its own range";
      EXPECT_EQ(&declared_setting(s.key), find_setting(s.key));
    }
  EXPECT_EQ(keys.size(), all_settings().size());
  EXPECT_EQ(find_setting("no_such_setting"), nullptr);
  EXPECT_THROW(c.methods.set("no_such_setting", 1), std::logic_error);
  // A value given is kept, typed; one of the wrong type is refused naming the flag.
  c.methods.set("ll_beta", 0.25);
  EXPECT_DOUBLE_EQ(RunConfig::from_json(c.to_json()).methods.real("ll_beta"), 0.25);
  EXPECT_NE(message_of([&] { c.methods.set("ll_beta", "high"); }).find("--ll-beta"), std::string::npos);
}

TEST(MethodAbilities, GenericRefusalsComeFromTheDeclarations) {
  // A method that trains fc networks only is refused on a conv network, and one that needs
  // residual units on a network without them, each naming what it supports.
  for (const auto& m : methods()) {
    std::string refusal = message_of([&] { require_network(m, arch_info("simple256")); });
    EXPECT_EQ(refusal.empty(), m.abilities.conv_networks && !m.abilities.residual_networks_only) << m.name;
    if (!refusal.empty()) {
      EXPECT_NE(refusal.find(m.abilities.residual_networks_only ? "--arch resnet32" : "--arch fc"), std::string::npos)
          << refusal;
    }
    EXPECT_EQ(message_of([&] { require_network(m, arch_info("resnet32")); }).empty(), m.abilities.conv_networks)
        << m.name;
  }
  // The label-embedding analyses name the methods that have them.
  std::string with = method_names_where([](const MethodInfo& m) { return m.abilities.label_embeddings; });
  EXPECT_EQ(with, "dcl, dcl-s");
  EXPECT_EQ(methods_reading("supcon_temperature"), "ll-cont, ll-contrec, feat, contrast");
}
