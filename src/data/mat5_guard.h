#pragma once
// Header checks for MATLAB v5 files before matio parses them (internal).
#include <string>

namespace dcl::data::detail {

// Walks every top-level variable of the MATLAB v5 file at `path` and checks the header fields
// matio trusts blindly (element sizes, array flags, dimensions, name lengths) against the bytes
// really there. matio 1.5 allocates whatever a header claims (fuzzing found a 188-byte file that
// makes it ask for 7.6 GB), so read_svhn hands nothing to matio that has not passed this.
// Only numeric and char arrays are accepted, all an SVHN file holds. Throws DataError naming `path`.
void check_mat5_headers(const std::string& path);

}  // namespace dcl::data::detail
