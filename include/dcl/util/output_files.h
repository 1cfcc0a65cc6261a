#pragma once
// What dcl keeps in its directories, and the check every --out goes through: no command writes
// over a run's or a compare directory's own files, or over a file it did not write itself.
#include <functional>
#include <string>
#include <vector>

namespace dcl {

// The files a run writes into its directory; a directory that holds any of them is a run's.
const std::vector<std::string>& run_file_names();
// The files `dcl compare` writes into its directory (compare.json lists the runs it started).
const std::vector<std::string>& compare_file_names();
// The names of `names` present in `dir` (empty when none, or no such directory).
std::vector<std::string> files_present(const std::string& dir, const std::vector<std::string>& names);
bool is_run_directory(const std::string& dir);
bool is_compare_directory(const std::string& dir);

// Throws std::invalid_argument, naming `flag` and the reason, when `path` may not be written as a
// command's output file: it is a directory, one of a run's or a compare directory's own files, or
// an existing file for which `own_output(path)` says it is not this command's earlier output.
void check_output_file(const std::string& path, const std::string& flag,
                       const std::function<bool(const std::string& path)>& own_output);

// The first `n` bytes of a file ("" when it cannot be read).
std::string file_head(const std::string& path, size_t n);

}  // namespace dcl
