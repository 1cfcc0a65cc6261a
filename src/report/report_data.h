#pragma once
// The part of `dcl report` that reads directories (report_data.cpp), apart from the part that
// writes HTML (html_report.cpp). Internal to src/analysis.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dcl::report {

// A PNG of DIR/analysis/, already base64-encoded for its data URI.
struct Figure {
  std::string file_name;
  std::string caption;  // the `caption` of the sibling <stem>.json, else the file name
  std::string base64;
};

struct Run {
  std::string dir;                        // as given (or compare DIR/<sub>)
  nlohmann::json config;                  // object
  std::optional<nlohmann::json> summary;  // none while the run is still training
  std::vector<nlohmann::json> epochs;     // metrics.jsonl, one object per line
  std::vector<Figure> figures;
  std::string method, data, arch;  // from config.json ("?" when absent)
};

// One DIR of the command line: a single run, or a compare directory and the runs below it.
struct Source {
  std::string dir;
  bool compare = false;
  std::vector<Figure> figures;  // a compare directory's own analysis/ (a run's are in Run)
  std::vector<Run> runs;
  std::vector<std::string> missing_runs;  // compare.json's runs that are no longer there
};

// Reads every DIR; a directory reached twice (the same DIR given twice, or a compare subrun also
// given alone) is read once, at its first place.
std::vector<Source> load_sources(const std::vector<std::string>& dirs);

// One row of the comparison table: the runs of a (data, arch, method) that differ in their seed
// alone (and in where and how fast they ran).
struct GroupRow {
  std::string data, arch, method;
  std::string differs;  // where other rows share data, arch and method: "epochs=1, nproc=2", this row's values
  std::vector<double> test_errors;  // %, one per finished run
  int unfinished = 0;
  std::optional<int64_t> params;            // network parameters
  std::optional<double> peak_mib;           // largest over finished runs
  std::optional<double> seconds_per_epoch;  // mean over finished runs
};
std::vector<GroupRow> group_runs(const std::vector<const Run*>& runs);

double mean(const std::vector<double>& v);
double sample_sd(const std::vector<double>& v);  // 0 for fewer than two values

// A number of a JSON object, or none (absent, null, not a number).
std::optional<double> number_at(const nlohmann::json& object, const std::string& key);

std::string read_file(const std::string& path);  // throws "cannot read PATH: reason"
std::string base64(const std::string& bytes);

}  // namespace dcl::report
