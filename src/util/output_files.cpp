#include "dcl/util/output_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace dcl {

namespace fs = std::filesystem;

const std::vector<std::string>& run_file_names() {
  static const std::vector<std::string> names = {"config.json", "metrics.jsonl", "summary.json", "checkpoint.pt"};
  return names;
}

const std::vector<std::string>& compare_file_names() {
  static const std::vector<std::string> names = {"compare.json", "compare.md", "compare.csv"};
  return names;
}

std::vector<std::string> files_present(const std::string& dir, const std::vector<std::string>& names) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& name : names)
    if (fs::exists(fs::path(dir) / name, ec)) found.push_back(name);
  return found;
}

bool is_run_directory(const std::string& dir) { return !files_present(dir, run_file_names()).empty(); }

bool is_compare_directory(const std::string& dir) { return !files_present(dir, compare_file_names()).empty(); }

std::string file_head(const std::string& path, size_t n) {
  std::ifstream f(path, std::ios::binary);
  std::string head(n, '\0');
  f.read(head.data(), std::streamsize(n));
  head.resize(size_t(std::max<std::streamsize>(0, f.gcount())));
  return head;
}

void check_output_file(const std::string& path, const std::string& flag,
                       const std::function<bool(const std::string& path)>& own_output) {
  const fs::path p(path);
  std::error_code ec;
  if (fs::is_directory(p, ec)) throw std::invalid_argument(flag + " " + path + " is a directory; give a file name");
  const std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  const std::string name = p.filename().string();
  auto among = [&](const std::vector<std::string>& names) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  if ((among(run_file_names()) || name == ".lock") && is_run_directory(dir))
    throw std::invalid_argument(flag + " " + path + " is a file of the run in " + dir +
                                "; choose a path outside the run's own files");
  if (among(compare_file_names()) && is_compare_directory(dir))
    throw std::invalid_argument(flag + " " + path + " is a file of the compare directory " + dir +
                                "; choose a path outside its own files");
  if (fs::exists(p, ec) && !own_output(path))
    throw std::invalid_argument(flag + " " + path +
                                " exists and was not written by this command; remove it or choose another path");
}

}  // namespace dcl
