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
      for (const Setting& s : m.settings) {
        std::string shown = s.default_value.is_string() ? s.default_value.get<std::string>() : s.default_value.dump();
        std::printf("%-11s   %s (%s; default %s): %s\n", "", s.flag().c_str(), s.rule().c_str(), shown.c_str(),
                    s.help.c_str());
      }
      std::vector<std::string> cannot;
      if (!m.abilities.conv_networks) cannot.push_back("conv networks");
      if (!m.abilities.fc_networks) cannot.push_back("the fc network");
      if (m.abilities.residual_networks_only) cannot.push_back("networks without residual units (ResNets only)");
      if (!m.abilities.not_pipelined.empty())
        cannot.push_back("--schedule pipeline (" + m.abilities.not_pipelined + ")");
      if (!m.abilities.data_parallel) cannot.push_back("--nproc N");
      if (!cannot.empty()) std::printf("%-11s   not for: %s\n", "", join_names(cannot).c_str());
      // Where --preset paper's numbers come from (fc on Fashion-MNIST; other networks and data
      // may differ, as the method's file says).
      std::printf("%-11s paper preset (fc, fmnist): %s\n", "",
                  method_preset(m, Preset::Paper, "fc", data::dataset_info("fmnist")).source.c_str());
    }
    return 0;
  });
}

}  // namespace dcl::cli
