#pragma once
// Where an analysis writes: a directory (created with its parents) and files replaced whole or not
// at all (write_file_atomic; figures are renamed into place by the plot writers). A file is only
// ever replaced when an analysis wrote it: in a directory given with --out, DIR/.dcl-analysis lists
// what the analyses wrote there, and any other existing file of the same name is refused; RUN/analysis
// belongs to the analyses as a whole.
#include <string>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

namespace dcl::analysis {

class AnalysisOutput {
 public:
  // `dir` empty: RUN/analysis. Throws naming the directory when it cannot be created.
  AnalysisOutput(const std::string& dir, const std::string& run);
  // The path for the output file `name`, claimed for this analysis (see above); throws
  // std::invalid_argument naming --out and the file when it may not be written.
  std::string path(const std::string& name) const;
  void write_json(const std::string& name, const nlohmann::json& j) const;
  void write_text(const std::string& name, const std::string& text) const;
  // A tensor file torch::load reads (and Python's torch.jit.load(...).state_dict()).
  void write_tensors(const std::string& name, const std::vector<std::pair<std::string, torch::Tensor>>& tensors) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  bool whole_directory_ = false;  // RUN/analysis: every file in it is the analyses'
};

}  // namespace dcl::analysis
