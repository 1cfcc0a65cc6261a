// `dcl export`: a run's weights in PyTorch's own format, and its architecture as JSON.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "dcl/training/run_export.h"

namespace dcl::cli {

void add_export_command(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions) {
  struct ExportFlags {
    std::string run_dir, out, data_dir;
  };
  auto f = std::make_shared<ExportFlags>();
  auto* cmd = app.add_subcommand(
      "export",
      "Write a saved run's tensors by name to FILE in torch.save's format (torch.load(FILE) gives a dict of\n"
      "name -> tensor, no dcl needed) and the architecture to FILE.json (configuration, input shape and\n"
      "normalisation, class names, every tensor's shape); the Python package's dcl.load reads either");
  cmd->add_option("--run", f->run_dir, "Run directory written by dcl train")->required();
  cmd->add_option("--out", f->out, "Output file (FILE.json is written beside it)")->required();
  cmd->add_option("--data-dir", f->data_dir, "Override the dataset directory (a folder dataset's class names)");
  actions.emplace_back(cmd, [f] {
    nlohmann::json a = export_run(f->run_dir, f->out, f->data_dir);
    std::fprintf(stderr, "exported %zu tensors of %s (%s, %s, %s) to %s and %s.json\n", a["tensors"].size(),
                 f->run_dir.c_str(), a["config"]["arch"].get<std::string>().c_str(),
                 a["config"]["method"].get<std::string>().c_str(), a["config"]["data"].get<std::string>().c_str(),
                 f->out.c_str(), f->out.c_str());
    return 0;
  });
}

}  // namespace dcl::cli
