#pragma once
// A method's own setting, declared once in the method's file: its config.json key (the flag is the
// key with dashes), help, type, default, valid range and whether it shapes tensors. The CLI flags,
// config.json, validation, `dcl methods`, `--resume`'s refusal of changed flags and the checkpoint
// identity are all derived from these declarations (methods/method.h gathers them).
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dcl/util/enum_names.h"

namespace dcl {

enum class SettingType { Real, Integer, Choice, Switch };

struct Setting {
  std::string key;  // config.json key; the flag is flag_of(key)
  std::string help;
  SettingType type = SettingType::Real;
  nlohmann::json default_value;
  std::vector<std::string> choices;  // Choice: the valid names
  // Real, Integer: the valid range; an open end excludes its bound.
  double min = -std::numeric_limits<double>::infinity(), max = std::numeric_limits<double>::infinity();
  bool min_open = false, max_open = false;
  // The value changes the shape of a tensor (a parameter that exists or not, a width): part of the
  // checkpoint identity, so a checkpoint is never loaded into a model of another shape.
  bool shapes_tensors = false;

  static Setting real(std::string key, double value, std::string help);
  static Setting integer(std::string key, int value, std::string help);
  static Setting on_off(std::string key, bool value, std::string help);
  template <typename E>
  static Setting choice(std::string key, E value, std::string help) {
    Setting s = make(std::move(key), SettingType::Choice, name_of(value), std::move(help));
    s.choices = names_of<E>();
    return s;
  }

  // Range builders: positive() is (0, inf), at_least(0) is [0, inf), in(0, 1) is [0, 1].
  Setting& positive();
  Setting& at_least(double bound);
  Setting& in(double low, double high, bool high_open = false);
  Setting& shaping();

  std::string flag() const;
  // The rule of the valid range or names, as error messages and help text say it.
  std::string rule() const;
  // Throws std::invalid_argument naming the flag: `value` has the wrong JSON type or an unknown name
  // (a choice), or lies outside the range.
  void check_type(const nlohmann::json& value) const;
  void check_range(const nlohmann::json& value) const;
  // A command-line text as this setting's JSON value; throws std::invalid_argument naming the flag.
  nlohmann::json parse(const std::string& text) const;

 private:
  void parse_enum_name(const std::string& text) const;  // throws unless `text` is one of choices
  static Setting make(std::string key, SettingType type, nlohmann::json value, std::string help);
};

// The values of every method setting a run has: those given (flags, config.json, presets) and, for
// the others, their declared defaults. Keys are config.json keys.
class SettingValues {
 public:
  double real(const std::string& key) const;
  int integer(const std::string& key) const;
  bool on(const std::string& key) const;
  const std::string& name(const std::string& key) const;  // a choice's name
  template <typename E>
  E choice(const std::string& key) const {
    return parse_enum<E>(name(key), "--" + key);
  }
  // The value of `key` (given or default); throws std::logic_error for an undeclared key.
  nlohmann::json get(const std::string& key) const;
  // Sets `key` after checking the value's type; throws std::invalid_argument naming the flag.
  void set(const std::string& key, const nlohmann::json& value);

 private:
  const nlohmann::json& value(const std::string& key) const;
  nlohmann::json given_ = nlohmann::json::object();
};

// "ll_beta" -> "--ll-beta": every config key is the name of its flag.
std::string flag_of(const std::string& key);

// Every method's settings, each key once (methods/registry.cpp gathers them from the methods);
// throws std::logic_error when two methods declare one key differently.
const std::vector<Setting>& all_settings();
// Throws std::logic_error for a key no method declares.
const Setting& declared_setting(const std::string& key);
const Setting* find_setting(const std::string& key);  // nullptr for a key no method declares

}  // namespace dcl
