#include "dcl/analysis/analysis_output.h"

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "dcl/training/run_files.h"

namespace dcl::analysis {

namespace {

constexpr const char* kManifest = ".dcl-analysis";

std::vector<std::string> manifest_names(const std::string& dir) {
  std::istringstream in(read_text_file(dir + "/" + kManifest));
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) names.push_back(line);
  return names;
}

}  // namespace

AnalysisOutput::AnalysisOutput(const std::string& dir, const std::string& run)
    : dir_(dir.empty() ? run + "/analysis" : dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  whole_directory_ = fs::weakly_canonical(dir_, ec) == fs::weakly_canonical(fs::path(run) / "analysis", ec);
  if (fs::exists(dir_, ec) && !fs::is_directory(dir_, ec))
    throw std::invalid_argument("--out " + dir_ + " is a file; the analyses write into a directory");
  fs::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("cannot create the output directory " + dir_ + ": " + ec.message());
}

std::string AnalysisOutput::path(const std::string& name) const {
  const std::string p = dir_ + "/" + name;
  std::vector<std::string> names = manifest_names(dir_);
  const bool listed = std::find(names.begin(), names.end(), name) != names.end();
  check_output_file(p, "--out", [&](const std::string&) { return whole_directory_ || listed; });
  if (!whole_directory_ && !listed) {
    names.push_back(name);
    std::string text;
    for (const auto& n : names) text += n + "\n";
    write_file_atomic(dir_ + "/" + kManifest, text);
  }
  return p;
}

void AnalysisOutput::write_json(const std::string& name, const nlohmann::json& j) const {
  write_file_atomic(path(name), j.dump(2) + "\n");
}

void AnalysisOutput::write_text(const std::string& name, const std::string& text) const {
  write_file_atomic(path(name), text);
}

void AnalysisOutput::write_tensors(const std::string& name,
                                   const std::vector<std::pair<std::string, torch::Tensor>>& tensors) const {
  torch::serialize::OutputArchive archive;
  for (const auto& [key, t] : tensors) archive.write(key, t.detach().cpu(), /*is_buffer=*/true);
  std::ostringstream bytes;
  archive.save_to(bytes);
  write_file_atomic(path(name), bytes.str());
}

}  // namespace dcl::analysis
