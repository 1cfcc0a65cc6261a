#include "dcl/analysis/analysis_output.h"

#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "dcl/training/run_files.h"

namespace dcl::analysis {

AnalysisOutput::AnalysisOutput(const std::string& dir, const std::string& run)
    : dir_(dir.empty() ? run + "/analysis" : dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("cannot create the output directory " + dir_ + ": " + ec.message());
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
