#include "dcl/core/method.h"

#include <algorithm>
#include <stdexcept>

#include "dcl/core/cafo.h"
#include "dcl/core/dictionary_objective.h"
#include "dcl/core/drtp.h"
#include "dcl/core/ff.h"
#include "dcl/core/infopro_objective.h"
#include "dcl/core/local_error_objective.h"
#include "dcl/core/pff.h"
#include "dcl/core/supcon_objective.h"
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

// Nøkland & Eidnes' local error signals (spec section 5): which of pred / sim, and the BP-free variant.
void build_local_error(Model& m, const RunConfig& cfg, int classes, bool pred, bool sim, bool backprop_free) {
  LocalErrorOptions o;
  o.classes = classes;
  o.pred = pred;
  o.sim = sim;
  o.beta = cfg.ll_beta;
  o.backprop_free = backprop_free;
  m.objective = std::make_shared<LocalErrorObjective>(o, m.net->output_sizes);
  m.learner = std::make_unique<LocalLearner>(m.net, m.objective, cfg);
}

// InfoPro's contrastive auxiliary networks (spec section 5), with or without the image decoder.
void build_infopro(Model& m, const RunConfig& cfg, int classes, bool reconstruct) {
  InfoProOptions o;
  o.classes = classes;
  o.reconstruct = reconstruct;
  o.recon_weight = cfg.ll_recon_weight;
  o.image = m.net->input;
  m.objective = std::make_shared<InfoProObjective>(o, m.net->output_sizes);
  m.learner = std::make_unique<LocalLearner>(m.net, m.objective, cfg);
}

// SupCon on each block's output (FEAT) or through an auxiliary head (L_contrast), spec section 5.
void build_supcon(Model& m, const RunConfig& cfg, bool auxiliary) {
  m.objective = std::make_shared<SupConObjective>(m.net->shapes, auxiliary);
  m.learner = std::make_unique<LocalLearner>(m.net, m.objective, cfg);
}

void build_cafo(Model& m, const RunConfig& cfg, int classes) {
  auto objective = std::make_shared<CafoObjective>(classes, m.net->block_output_sizes());
  m.objective = objective;
  m.learner = std::make_unique<CafoLearner>(m.net, objective, cfg);
}

void build_drtp(Model& m, const RunConfig& cfg, int classes) {
  auto objective = std::make_shared<DrtpObjective>(classes, m.net->block_output_sizes());
  m.objective = objective;
  m.learner = std::make_unique<DrtpLearner>(m.net, objective, cfg);
}

}  // namespace

const std::vector<MethodInfo>& methods() {
  static const std::vector<MethodInfo> all = {
      {"bp", "end-to-end backpropagation (baseline)", build_bp},
      {"dcl", "dictionary contrastive learning, adaptive dictionary",
       [](Model& m, const RunConfig& c, int z) { build_dictionary(m, c, z, true); }},
      {"dcl-s", "dictionary contrastive learning, static dictionary (forward-unlocked)",
       [](Model& m, const RunConfig& c, int z) { build_dictionary(m, c, z, false); }},
      {"ll-pred", "local learning: linear classifier on the pooled block output (Nokland & Eidnes)",
       [](Model& m, const RunConfig& c, int z) { build_local_error(m, c, z, true, false, false); }},
      {"ll-sim", "local learning: similarity matching through a 3x3 conv (Nokland & Eidnes)",
       [](Model& m, const RunConfig& c, int z) { build_local_error(m, c, z, false, true, false); }},
      {"ll-predsim", "local learning: (1 - beta) pred + beta sim (Nokland & Eidnes)",
       [](Model& m, const RunConfig& c, int z) { build_local_error(m, c, z, true, true, false); }},
      {"ll-bpf", "local learning, backprop-free predsim: std similarity, feedback alignment (Nokland & Eidnes)",
       [](Model& m, const RunConfig& c, int z) { build_local_error(m, c, z, true, true, true); }},
      {"ll-cont", "local learning: supervised contrastive loss through an auxiliary network (InfoPro)",
       [](Model& m, const RunConfig& c, int z) { build_infopro(m, c, z, false); }},
      {"ll-contrec", "local learning: ll-cont plus reconstruction of the input image (InfoPro)",
       [](Model& m, const RunConfig& c, int z) { build_infopro(m, c, z, true); }},
      {"feat", "L_feat: SupCon on each block's own output, no auxiliary network",
       [](Model& m, const RunConfig& c, int) { build_supcon(m, c, false); }},
      {"contrast", "L_contrast: SupCon through a small auxiliary head per block (InfoPro style)",
       [](Model& m, const RunConfig& c, int) { build_supcon(m, c, true); }},
      {"cafo", "Cascaded Forward: frozen random blocks, a linear cross-entropy predictor per block", build_cafo},
      {"drtp", "Direct Random Target Projection: fixed random projection of the target as each block's gradient",
       build_drtp},
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
