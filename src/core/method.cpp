#include "dcl/core/method.h"

#include <algorithm>
#include <stdexcept>

#include "dcl/core/dictionary_objective.h"
#include "dcl/core/ff.h"
#include "dcl/core/pff.h"
#include "dcl/core/symba.h"

namespace dcl {

namespace {

void build_bp(Model& m, const RunConfig& cfg, int) { m.learner = std::make_unique<BPLearner>(m.net, cfg); }

// DCL and DCL-S differ only in whether the dictionary is learned (spec section 1).
void build_dictionary(Model& m, const RunConfig& cfg, int classes, bool adaptive) {
  DictionaryOptions o;
  o.classes = classes;
  for (const auto& s : m.net->shapes) o.dim = std::max(o.dim, s.channels);  // CD = widest block
  o.init = cfg.dict_init;
  o.orthogonal_scale = reference_orthogonal_scale(cfg.arch, o.dim);
  o.map = cfg.dict_map;
  o.similarity = cfg.similarity;
  o.temperature = cfg.temperature;
  o.adaptive = adaptive;
  m.objective = std::make_shared<DictionaryObjective>(o, m.net->shapes);
  m.learner = std::make_unique<LocalLearner>(m.net, m.objective, cfg);
}

}  // namespace

const std::vector<MethodInfo>& methods() {
  static const std::vector<MethodInfo> all = {
      {"bp", "end-to-end backpropagation (baseline)", build_bp},
      {"dcl", "dictionary contrastive learning, adaptive dictionary",
       [](Model& m, const RunConfig& c, int z) { build_dictionary(m, c, z, true); }},
      {"dcl-s", "dictionary contrastive learning, static dictionary (forward-unlocked)",
       [](Model& m, const RunConfig& c, int z) { build_dictionary(m, c, z, false); }},
      {"ff", "Forward-Forward (Hinton 2022): goodness of label-embedded inputs, local updates",
       [](Model& m, const RunConfig& c, int z) { m.learner = std::make_unique<FFLearner>(m.net, c, FFOptions{z}); }},
      {"symba", "SymBa (Lee & Song 2023): Forward-Forward with the symmetric loss softplus(-4 (g_pos - g_neg))",
       [](Model& m, const RunConfig& c, int z) { m.learner = std::make_unique<SymBaLearner>(m.net, c, FFOptions{z}); }},
      {"pff", "Predictive Forward-Forward (Ororbia & Mali 2023): FF representation + generative circuit (fc only)",
       build_pff},
  };
  return all;
}

const MethodInfo& method_info(const std::string& name) {
  for (const auto& m : methods())
    if (m.name == name) return m;
  std::string valid;
  for (const auto& m : methods()) valid += (valid.empty() ? "" : ", ") + m.name;
  throw std::invalid_argument("unknown method '" + name + "' (valid: " + valid + ")");
}

Model build_model(const RunConfig& cfg, const InputShape& input, int classes) {
  const MethodInfo& method = method_info(cfg.method);
  Model m;
  int patches = cfg.fc_patches > 0 ? cfg.fc_patches : default_fc_patches(cfg.data, input);
  m.net = Network(cfg.arch, input, classes, cfg.dropout, cfg.fc_width, patches);
  method.build(m, cfg, classes);
  return m;
}

int64_t Model::network_parameters() { return net->parameter_count(); }

int64_t Model::auxiliary_parameters() {
  int64_t n = 0;
  if (objective)
    for (const auto& p : objective->parameters()) n += p.numel();
  return n;
}

void Model::to(const torch::Device& device) {
  net->to(device);
  if (objective) objective->to(device);
}

void Model::train(bool on) {
  net->train(on);
  if (objective) objective->train(on);
}

std::vector<std::pair<std::string, torch::Tensor>> Model::named_state() {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : net->named_parameters()) out.emplace_back("net." + p.key(), p.value());
  for (const auto& b : net->named_buffers()) out.emplace_back("net." + b.key(), b.value());
  if (objective) {
    for (const auto& p : objective->named_parameters()) out.emplace_back("objective." + p.key(), p.value());
    for (const auto& b : objective->named_buffers()) out.emplace_back("objective." + b.key(), b.value());
  }
  return out;
}

}  // namespace dcl
