#pragma once
// Reference computations in double precision, written out by hand, that the loss tests compare
// the losses with.
#include <algorithm>
#include <cmath>
#include <vector>

namespace by_hand {

// Cross-entropy of one row of scores against its label (log-sum-exp shifted by the maximum).
inline double cross_entropy(const std::vector<double>& s, int y) {
  double m = s[0];
  for (double v : s) m = std::max(m, v);
  double z = 0;
  for (double v : s) z += std::exp(v - m);
  return -(s[size_t(y)] - m - std::log(z));
}

}  // namespace by_hand
