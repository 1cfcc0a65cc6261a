#pragma once
// Enums given on the command line and written to config.json: each enum E with values 0..n-1
// specialises names_of<E>() with its n names, in order; the rest follows.
#include <stdexcept>
#include <string>
#include <vector>

#include "dcl/util/names.h"

namespace dcl {

template <typename E>
const std::vector<std::string>& names_of();

template <typename E>
std::string name_of(E value) {
  return names_of<E>().at(size_t(value));
}

// Throws std::invalid_argument naming `what` (a flag) and the valid names.
template <typename E>
E parse_enum(const std::string& text, const std::string& what) {
  const auto& names = names_of<E>();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == text) return E(i);
  throw std::invalid_argument("unknown " + what + " '" + text + "' (valid: " + join_names(names) + ")");
}

}  // namespace dcl
