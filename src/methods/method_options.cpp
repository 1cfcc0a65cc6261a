#include "dcl/methods/method_options.h"

#include <cmath>
#include <stdexcept>

namespace dcl {

template <>
const std::vector<std::string>& names_of<NegativeLabels>() {
  static const std::vector<std::string> names = {"random", "hardest"};
  return names;
}

namespace {

void require(bool ok, const std::string& flag, double value, const std::string& rule) {
  if (!ok) throw std::invalid_argument(flag + " must be " + rule + " (got " + std::to_string(value) + ")");
}

bool positive(double v) { return std::isfinite(v) && v > 0; }
bool non_negative(double v) { return std::isfinite(v) && v >= 0; }

}  // namespace

void validate(const MethodSettings& s) {
  require(positive(s.dictionary.temperature), "--temperature", s.dictionary.temperature, "a positive number");
  require(s.local_learning.beta >= 0 && s.local_learning.beta <= 1, "--ll-beta", s.local_learning.beta, "in [0, 1]");
  require(non_negative(s.local_learning.recon_weight), "--ll-recon-weight", s.local_learning.recon_weight, ">= 0");
  require(positive(s.supcon.temperature), "--supcon-temperature", s.supcon.temperature, "a positive number");
  require(non_negative(s.ff.threshold), "--ff-threshold", s.ff.threshold, ">= 0");
  require(positive(s.ff.symba_alpha), "--symba-alpha", s.ff.symba_alpha, "a positive number");
  require(s.ff.first_scoring_block >= 0, "--ff-first-scoring-block", s.ff.first_scoring_block, ">= 0");
  require(s.ff.peer_norm >= 0 && std::isfinite(s.ff.peer_norm), "--ff-peer-norm", s.ff.peer_norm, ">= 0");
  require(s.pff.steps >= 1 && s.pff.steps <= 1000, "--pff-steps", s.pff.steps, "in [1, 1000]");
  require(s.pff.damping >= 0 && s.pff.damping < 1, "--pff-damping", s.pff.damping, "in [0, 1)");
  require(non_negative(s.pff.threshold), "--pff-threshold", s.pff.threshold, ">= 0");
  require(non_negative(s.pff.label_scale), "--pff-label-scale", s.pff.label_scale, ">= 0");
  require(non_negative(s.pff.latent_rate), "--pff-latent-rate", s.pff.latent_rate, ">= 0");
  require(positive(s.drtp.feedback_scale), "--drtp-feedback-scale", s.drtp.feedback_scale, "a positive number");
}

}  // namespace dcl
