#pragma once
// The dcl command line as a function: `dcl` itself and the Python package run commands through it.
#include <string>

namespace dcl::cli {

// Parses argv (argv[0] is the program's name) and runs the command; returns its exit code (2: a
// usage error). Every error is one line: printed as "dcl: error: LINE" on stderr, or, when
// `error` is given, stored there instead.
int run_cli(int argc, char** argv, std::string* error = nullptr);

}  // namespace dcl::cli
