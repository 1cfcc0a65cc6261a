// `dcl methods`: every registered method, what it is, and the flags of its own settings.
#include <cstdio>

#include "commands.h"
#include "dcl/methods/method.h"

namespace dcl::cli {

void add_methods_command(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions) {
  auto* cmd = app.add_subcommand("methods", "List every method with its description and its own settings' flags");
  actions.emplace_back(cmd, [] {
    for (const auto& m : methods()) {
      std::printf("%-11s %s\n", m.name.c_str(), m.description.c_str());
      std::string flags;
      for (const auto& key : m.settings) flags += (flags.empty() ? "" : " ") + flag_of(key);
      if (!flags.empty()) std::printf("%-11s settings: %s\n", "", flags.c_str());
      // Where --preset paper's numbers come from (fc on Fashion-MNIST; other networks and data
      // may differ, as the method's file says).
      std::printf("%-11s paper preset (fc, fmnist): %s\n", "",
                  method_preset(m, Preset::Paper, Arch::Fc, "fmnist").source.c_str());
    }
    return 0;
  });
}

}  // namespace dcl::cli
