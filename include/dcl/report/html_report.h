#pragma once
// `dcl report DIR... --out report.html`: one self-contained HTML page summarising runs. Everything
// is inlined (Chart.js, the data of every curve, the analysis figures as data URIs), so the page
// opens with no network access and can be mailed or archived as a single file.
//
// Each DIR is a run directory (config.json, metrics.jsonl, summary.json once finished) or a
// `dcl compare` directory (compare.csv, one run directory per method and seed below it). The page
// holds, per run, its configuration, its summary and its training curves; a comparison table of
// every run grouped by (data, arch, method); and every PNG of DIR/analysis/. The element
// #render-status at the foot reports how many figures rendered in the browser (for the render test).
// Plain C++ (no LibTorch), so that the report does not need the training library.
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dcl {

struct ReportOptions {
  std::vector<std::string> dirs;  // run directories and `dcl compare` directories
  // Debian's libjs-chart.js (Chart.js 3.9, a UMD build that defines the global `Chart`).
  std::string chart_js_path = "/usr/share/javascript/chart.js/chart.min.js";
  // The reference test error (%) for a method on a dataset and architecture, when there is one; the
  // CLI passes the spec's table. Empty: no reference numbers ("-" in the table).
  std::function<std::optional<double>(const std::string& method, const std::string& data, const std::string& arch)>
      reference_error;
};

// The page. Throws std::runtime_error naming a DIR that is neither a run nor a compare directory,
// or a file that cannot be read or is corrupt (bad JSON, a metrics line, a PNG, a caption).
// Warnings (a compare directory's run that is missing) go to `warnings` and onto the page.
std::string build_html_report(const ReportOptions& options, std::vector<std::string>* warnings = nullptr);

// build_html_report written to `out_path` through a temporary file and a rename, so an existing
// report is replaced whole or not at all; returns its warnings. Throws std::runtime_error "cannot
// write PATH: reason", and std::invalid_argument when `out_path` is a run's or compare directory's
// own file or an existing file that is not an earlier report.
std::vector<std::string> write_html_report(const ReportOptions& options, const std::string& out_path);

}  // namespace dcl
