#pragma once
// The choices of the dictionary loss (spec section 1), plain so that settings can name them.
#include <string>
#include <vector>

#include "dcl/util/enum_names.h"

namespace dcl {

enum class DictInit { Normal, Orthogonal };  // t_z ~ N(0, I), or orthogonal rows of a given scale
enum class DictMap { Pool, Linear };         // CD -> C_l: adaptive average pooling, or learned linear
enum class Similarity { Dot, Cos };          // <h, t>, or cosine / T

template <>
const std::vector<std::string>& names_of<DictInit>();  // normal, orthogonal
template <>
const std::vector<std::string>& names_of<DictMap>();  // pool, linear
template <>
const std::vector<std::string>& names_of<Similarity>();  // dot, cos

}  // namespace dcl
