// DCL and DCL-S (spec section 1): every block's output against one dictionary of label
// embeddings; DCL learns it (every block's optimiser also updates it, as the reference code),
// DCL-S keeps it fixed. The head learns on the detached last block output.
#include <algorithm>
#include <cmath>

#include "dcl/losses/dictionary_loss.h"
#include "dcl/methods/method.h"

namespace dcl {

namespace {

const std::vector<Setting> kDictionarySettings = {
    Setting::choice("dict_init", DictInit::Normal, "dictionary init"),
    Setting::choice("dict_map", DictMap::Pool,
                    "dictionary to block width: pool (adaptive avg pool) or linear (learned; a weight per block)")
        .shaping(),
    Setting::choice("similarity", Similarity::Dot, "dot, or cos (divided by --temperature)"),
    Setting::real("temperature", 0.07, "temperature of the cos similarity").positive()};

void build_dictionary_stages(Model& m, const BuildContext& ctx, bool adaptive) {
  const SettingValues& s = ctx.settings;
  const DictMap map = s.choice<DictMap>("dict_map");
  const Similarity similarity = s.choice<Similarity>("similarity");
  const double temperature = s.real("temperature");
  DictionaryOptions o;
  o.classes = ctx.classes;
  for (const auto& shape : m.net->shapes) o.dim = std::max(o.dim, shape.channels);  // CD = widest block
  o.init = s.choice<DictInit>("dict_init");
  // The authors' scale for the network (spec section 1), else sqrt(CD).
  const double scale = arch_info(m.net->options.arch).orthogonal_scale;
  o.orthogonal_scale = scale > 0 ? scale : std::sqrt(double(o.dim));
  o.adaptive = adaptive;
  Dictionary dictionary(o);
  m.shared.emplace_back("dictionary", dictionary.ptr());
  std::vector<std::string> shared;
  if (adaptive) shared = {"dictionary"};
  ctx.add_block_stages(
      m,
      [&](size_t l) {
        return std::make_shared<DictionaryLoss>(dictionary,
                                                DictionaryLossOptions{m.net->shapes[l], map, similarity, temperature});
      },
      true, shared);
  ctx.run_sequentially(m);
}

// Both have label embeddings (the dictionary analyses of Figures 5-7).
MethodAbilities dictionary_abilities() {
  MethodAbilities a;
  a.label_embeddings = true;
  return a;
}

}  // namespace

MethodInfo method_dcl() {
  return {"dcl",
          "dictionary contrastive learning, adaptive dictionary",
          kDictionarySettings,
          [](Model& m, const BuildContext& ctx) { build_dictionary_stages(m, ctx, true); },
          nullptr,
          dictionary_abilities()};
}

MethodInfo method_dcl_s() {
  return {"dcl-s",
          "dictionary contrastive learning, static dictionary (forward-unlocked)",
          kDictionarySettings,
          [](Model& m, const BuildContext& ctx) { build_dictionary_stages(m, ctx, false); },
          nullptr,
          dictionary_abilities()};
}

}  // namespace dcl
