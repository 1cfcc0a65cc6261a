#pragma once
// Helpers for tests that run the `dcl` binary end to end.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace cli_test {

struct CliResult {
  int code;            // exit status (-1 when killed by a signal)
  std::string output;  // stdout and stderr together
};

// A shell command line, its stdout and stderr captured together.
inline CliResult run_dcl_raw(const std::string& command) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline CliResult run_dcl(const std::string& args) { return run_dcl_raw(std::string(DCL_BINARY) + " " + args); }

// `script` run by bash (for ulimit and the like); the same result as run_dcl.
inline CliResult run_dcl_shell(const std::string& script) {
  std::string quoted;
  for (char c : script) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return run_dcl_raw("bash -c '" + quoted + "'");
}

// A fresh, empty path under the temporary directory, unique to this process and `name`.
inline std::string temp_dir(const std::string& name) {
  std::filesystem::path p =
      std::filesystem::temp_directory_path() / ("dcl_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  return p.string();
}

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream f(path);
  return nlohmann::json::parse(f);
}

inline bool have_fmnist() {
  return std::filesystem::exists(std::string(DCL_FMNIST_DIR) + "/train-images-idx3-ubyte.gz");
}

}  // namespace cli_test
