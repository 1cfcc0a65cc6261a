// `dcl compare`: methods x seeds trained alike, one table.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <sstream>

#include "commands.h"
#include "dcl/experiments/compare.h"
#include "dcl/methods/method.h"
#include "dcl/training/trainer.h"

namespace dcl::cli {

void add_compare_command(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions) {
  // Fresh flags for every parse: the Python package runs several commands in one process.
  struct CompareFlags {
    RunConfig c;
    OptionFields fields;
    std::string methods;
    int seeds = 1;
    bool reference = false, dcl_variants = false;
  };
  auto flags = std::make_shared<CompareFlags>();
  auto& [c, fields, methods, seeds, reference, dcl_variants] = *flags;
  auto* cmp = app.add_subcommand(
      "compare",
      "Train methods x seeds with identical data, data order and budget; write DIR/compare.md and compare.csv.\n"
      "Runs go to DIR/<method>-seed<k>/; a finished run is skipped, an interrupted one resumed, so the same\n"
      "command given again continues where it stopped.");
  std::string method_list;
  for (const auto& n : method_names()) method_list += (method_list.empty() ? "" : ", ") + n;
  cmp->add_option("--methods", methods,
                  "Comma-separated rows: a method (" + method_list +
                      "), or a method with settings of its own, METHOD:KEY=VALUE[:KEY=VALUE] with config.json keys "
                      "(e.g. dcl-s:dict_init=orthogonal)");
  cmp->add_flag("--dcl-variants", dcl_variants,
                "Add the DCL variants of the paper's Table 5 and Figure 4 as rows: dcl-s (static random), "
                "dcl-s:dict_init=orthogonal, dcl (adaptive), dcl:similarity=cos, dcl:dict_map=linear");
  cmp->add_option("--seeds", seeds, "Seeds per method: --seed, --seed+1, ... (mean and spread over them)")
      ->capture_default_str()
      ->check(at_least(1));
  add_field(cmp, fields, c.out, "--out", "out", "Output directory (default: runs/compare-<data>-<arch>)");
  cmp->add_flag("--reference", reference,
                "Add spec section 7's paper numbers (VGG8B test error, Table 3; memory, Table 4) to --arch vgg8b "
                "rows (the only network the spec has usable numbers for)");
  add_run_options(cmp, c, fields);
  add_model_options(cmp, c, fields);
  actions.emplace_back(cmp, [flags] {
    auto& [c, fields, methods, seeds, reference, dcl_variants] = *flags;
    warn_if_reference_blas();
    install_stop_handlers();
    CompareOptions o;
    o.base = c;
    o.given = explicit_fields(fields);
    // Under a preset each row brings its own optimiser and schedule: the rows check their own.
    if (c.preset == Preset::None) require_given_settings_apply(c, o.given);
    std::stringstream ss(methods);
    for (std::string m; std::getline(ss, m, ',');)
      if (!m.empty()) o.methods.push_back(m);
    if (dcl_variants)
      for (const auto& row : dcl_variant_rows())
        if (std::find(o.methods.begin(), o.methods.end(), row) == o.methods.end()) o.methods.push_back(row);
    o.seeds = seeds;
    o.reference = reference;
    o.out = c.out.empty() ? "runs/compare-" + c.data + "-" + c.arch : c.out;
    auto rows = run_compare(o);
    if (rows.empty()) {
      std::fprintf(stderr, "stopped: give the same command again to continue\n");
      return 130;
    }
    std::printf("%s", format_compare_markdown(o, rows).c_str());
    std::fprintf(stderr, "tables written to %s/compare.md and %s/compare.csv\n", o.out.c_str(), o.out.c_str());
    return 0;
  });
}

}  // namespace dcl::cli
