#pragma once
// The text files of a run directory (config.json, summary.json): written whole or not at all.
#include <string>

#include <nlohmann/json.hpp>

namespace dcl {

// Writes `text` to `path` through a temporary file and a rename.
void write_file_atomic(const std::string& path, const std::string& text);
// Parses a run directory's JSON file; throws std::runtime_error naming the file when unreadable.
nlohmann::json read_json_file(const std::string& path);

}  // namespace dcl
