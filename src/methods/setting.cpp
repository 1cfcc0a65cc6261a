#include "dcl/methods/setting.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace dcl {

namespace {

std::string number_text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

}  // namespace

std::string flag_of(const std::string& key) {
  std::string flag = "--" + key;
  for (char& c : flag) c = c == '_' ? '-' : c;
  return flag;
}

Setting Setting::make(std::string key, SettingType type, nlohmann::json value, std::string help) {
  Setting s;
  s.key = std::move(key);
  s.type = type;
  s.default_value = std::move(value);
  s.help = std::move(help);
  return s;
}

Setting Setting::real(std::string key, double value, std::string help) {
  return make(std::move(key), SettingType::Real, value, std::move(help));
}

Setting Setting::integer(std::string key, int value, std::string help) {
  return make(std::move(key), SettingType::Integer, value, std::move(help));
}

Setting Setting::on_off(std::string key, bool value, std::string help) {
  return make(std::move(key), SettingType::Switch, value, std::move(help));
}

Setting& Setting::positive() {
  min = 0;
  min_open = true;
  return *this;
}

Setting& Setting::at_least(double bound) {
  min = bound;
  min_open = false;
  return *this;
}

Setting& Setting::in(double low, double high, bool high_open) {
  min = low;
  max = high;
  min_open = false;
  max_open = high_open;
  return *this;
}

Setting& Setting::shaping() {
  shapes_tensors = true;
  return *this;
}

std::string Setting::flag() const { return flag_of(key); }

std::string Setting::rule() const {
  switch (type) {
    case SettingType::Choice: return "one of " + join_names(choices);
    case SettingType::Switch: return "true or false";
    default: break;
  }
  const bool bounded_above = std::isfinite(max), bounded_below = std::isfinite(min);
  if (!bounded_above && bounded_below && min == 0 && min_open) return "a positive number";
  if (!bounded_above && bounded_below) return (min_open ? "> " : ">= ") + number_text(min);
  if (bounded_above && !bounded_below) return (max_open ? "< " : "<= ") + number_text(max);
  if (!bounded_above) return type == SettingType::Integer ? "an integer" : "a finite number";
  return std::string("in ") + (min_open ? "(" : "[") + number_text(min) + ", " + number_text(max) +
         (max_open ? ")" : "]");
}

void Setting::check_type(const nlohmann::json& v) const {
  bool ok = false;
  switch (type) {
    case SettingType::Real: ok = v.is_number(); break;
    case SettingType::Integer: ok = v.is_number_integer(); break;
    case SettingType::Switch: ok = v.is_boolean(); break;
    case SettingType::Choice:
      if (!v.is_string()) break;
      parse_enum_name(v.get<std::string>());
      ok = true;
      break;
  }
  if (!ok) throw std::invalid_argument(flag() + ": the value " + v.dump() + " has the wrong type");
}

void Setting::parse_enum_name(const std::string& text) const {
  for (const auto& c : choices)
    if (c == text) return;
  throw std::invalid_argument("unknown " + flag() + " '" + text + "' (valid: " + join_names(choices) + ")");
}

void Setting::check_range(const nlohmann::json& v) const {
  check_type(v);
  if (type != SettingType::Real && type != SettingType::Integer) return;
  const double x = v.get<double>();
  bool ok = std::isfinite(x) && (min_open ? x > min : x >= min) && (max_open ? x < max : x <= max);
  if (!ok) throw std::invalid_argument(flag() + " must be " + rule() + " (got " + std::to_string(x) + ")");
}

nlohmann::json Setting::parse(const std::string& text) const {
  auto bad = [&] {
    return std::invalid_argument(flag() + ": '" + text + "' is not " +
                                 (type == SettingType::Integer ? "an integer" : "a number"));
  };
  switch (type) {
    case SettingType::Choice: parse_enum_name(text); return text;
    case SettingType::Switch:
      if (text == "true" || text == "1" || text == "on" || text.empty()) return true;
      if (text == "false" || text == "0" || text == "off") return false;
      throw std::invalid_argument(flag() + ": '" + text + "' is not true or false");
    case SettingType::Integer: {
      size_t used = 0;
      long long n = 0;
      try {
        n = std::stoll(text, &used);
      } catch (const std::exception&) {
        throw bad();
      }
      if (used != text.size() || n < -(1LL << 31) || n >= (1LL << 31)) throw bad();
      return n;
    }
    case SettingType::Real: break;
  }
  size_t used = 0;
  double x = 0;
  try {
    x = std::stod(text, &used);
  } catch (const std::exception&) {
    throw bad();
  }
  if (used != text.size()) throw bad();
  return x;
}

const nlohmann::json& SettingValues::value(const std::string& key) const {
  auto it = given_.find(key);
  return it != given_.end() ? *it : declared_setting(key).default_value;
}

nlohmann::json SettingValues::get(const std::string& key) const { return value(key); }

double SettingValues::real(const std::string& key) const { return value(key).get<double>(); }
int SettingValues::integer(const std::string& key) const { return value(key).get<int>(); }
bool SettingValues::on(const std::string& key) const { return value(key).get<bool>(); }
const std::string& SettingValues::name(const std::string& key) const {
  return value(key).get_ref<const std::string&>();
}

void SettingValues::set(const std::string& key, const nlohmann::json& v) {
  declared_setting(key).check_type(v);
  given_[key] = v;
}

}  // namespace dcl
