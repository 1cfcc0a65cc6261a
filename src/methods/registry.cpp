// The list of methods. Each entry is a function defined in its method's own file.
#include <algorithm>
#include <stdexcept>

#include "dcl/methods/method.h"

namespace dcl {

// clang-format off
#define DCL_METHODS(X) \
  X(bp) \
  X(dcl) \
  X(dcl_s) \
  X(ll_pred) \
  X(ll_sim) \
  X(ll_predsim) \
  X(ll_bpf) \
  X(ll_cont) \
  X(ll_contrec) \
  X(feat) \
  X(contrast) \
  X(cafo) \
  X(drtp) \
  X(ff) \
  X(symba) \
  X(pff) \
  X(dgl) \
  X(auglocal)
// clang-format on

#define DCL_DECLARE(name) MethodInfo method_##name();
DCL_METHODS(DCL_DECLARE)
#undef DCL_DECLARE

const std::vector<MethodInfo>& methods() {
#define DCL_ENTRY(name) method_##name(),
  static const std::vector<MethodInfo> all = {DCL_METHODS(DCL_ENTRY)};
#undef DCL_ENTRY
  return all;
}

std::vector<std::string> method_names() {
  std::vector<std::string> names;
  for (const auto& m : methods()) names.push_back(m.name);
  return names;
}

const MethodInfo& method_info(const std::string& name) {
  for (const auto& m : methods())
    if (m.name == name) return m;
  throw std::invalid_argument("unknown method '" + name + "' (valid: " + join_names(method_names()) + ")");
}

namespace {

bool same_declaration(const Setting& a, const Setting& b) {
  return a.help == b.help && a.type == b.type && a.default_value == b.default_value && a.choices == b.choices &&
         a.min == b.min && a.max == b.max && a.min_open == b.min_open && a.max_open == b.max_open &&
         a.shapes_tensors == b.shapes_tensors;
}

}  // namespace

const std::vector<Setting>& all_settings() {
  static const std::vector<Setting> all = [] {
    std::vector<Setting> out;
    for (const auto& m : methods())
      for (const auto& s : m.settings) {
        bool seen = false;
        for (const auto& o : out)
          if (o.key == s.key) {
            if (!same_declaration(o, s))
              throw std::logic_error("setting '" + s.key + "' is declared differently by method " + m.name);
            seen = true;
          }
        if (!seen) out.push_back(s);
      }
    return out;
  }();
  return all;
}

const Setting* find_setting(const std::string& key) {
  for (const auto& s : all_settings())
    if (s.key == key) return &s;
  return nullptr;
}

const Setting& declared_setting(const std::string& key) {
  if (const Setting* s = find_setting(key)) return *s;
  throw std::logic_error("no method declares a setting '" + key + "'");
}

std::string method_names_where(const std::function<bool(const MethodInfo&)>& keep) {
  std::vector<std::string> names;
  for (const auto& m : methods())
    if (keep(m)) names.push_back(m.name);
  return join_names(names);
}

std::string methods_reading(const std::string& key) {
  return method_names_where([&key](const MethodInfo& m) {
    return std::any_of(m.settings.begin(), m.settings.end(), [&key](const Setting& s) { return s.key == key; });
  });
}

void require_settings_read(const std::vector<std::string>& methods, const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    std::string readers = methods_reading(key);
    if (readers.empty()) continue;  // not a method setting
    bool read = std::any_of(methods.begin(), methods.end(), [&](const std::string& name) {
      const auto& settings = method_info(name).settings;
      return std::any_of(settings.begin(), settings.end(), [&](const Setting& s) { return s.key == key; });
    });
    if (!read)
      throw std::invalid_argument(flag_of(key) + " is a setting of " + readers + " only; " +
                                  (methods.size() == 1 ? "method " + methods[0] + " does not read it"
                                                       : "none of " + join_names(methods) + " reads it") +
                                  ", so it would change nothing");
  }
}

bool can_train(const MethodInfo& method, const ArchInfo& arch) {
  const MethodAbilities& a = method.abilities;
  if (a.residual_networks_only && arch.max_local_modules == 0) return false;
  return arch.family == ArchFamily::Fc ? a.fc_networks : a.conv_networks;
}

void require_network(const MethodInfo& method, const ArchInfo& arch) {
  if (can_train(method, arch)) return;
  std::vector<std::string> can;
  for (const auto& a : architectures())
    if (can_train(method, a)) can.push_back("--arch " + a.name);
  const char* kind = arch.family == ArchFamily::Fc             ? "a fully connected network"
                     : method.abilities.residual_networks_only ? "a network without residual units"
                                                               : "a conv network";
  throw std::invalid_argument(method.name + " cannot train arch '" + arch.name + "' (" + kind + "); it supports " +
                              join_names(can) + " only");
}

}  // namespace dcl
