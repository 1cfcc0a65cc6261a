#pragma once
// Lists of names as messages and help texts show them.
#include <string>
#include <vector>

namespace dcl {

// "a, b, c".
inline std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace dcl
