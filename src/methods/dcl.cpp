// DCL and DCL-S (spec section 1): every block's output against one dictionary of label
// embeddings; DCL learns it (every block's optimiser also updates it, as the reference code),
// DCL-S keeps it fixed. The head learns on the detached last block output.
#include <algorithm>

#include "dcl/losses/dictionary_loss.h"
#include "dcl/methods/method.h"

namespace dcl {

namespace {

const std::vector<std::string> kSettings = {"dict_init", "dict_map", "similarity", "temperature"};

void build(Model& m, const BuildContext& ctx, bool adaptive) {
  const DictionarySettings& s = ctx.settings.dictionary;
  DictionaryOptions o;
  o.classes = ctx.classes;
  for (const auto& shape : m.net->shapes) o.dim = std::max(o.dim, shape.channels);  // CD = widest block
  o.init = s.init;
  o.orthogonal_scale = reference_orthogonal_scale(m.net->options.arch, o.dim);
  o.adaptive = adaptive;
  Dictionary dictionary(o);
  m.shared.emplace_back("dictionary", dictionary.ptr());
  std::vector<std::string> shared;
  if (adaptive) shared = {"dictionary"};
  ctx.add_block_stages(
      m,
      [&](size_t l) {
        return std::make_shared<DictionaryLoss>(
            dictionary, DictionaryLossOptions{m.net->shapes[l], s.map, s.similarity, s.temperature});
      },
      true, shared);
  ctx.run_sequentially(m);
}

}  // namespace

MethodInfo method_dcl() {
  return {"dcl", "dictionary contrastive learning, adaptive dictionary", kSettings,
          [](Model& m, const BuildContext& ctx) { build(m, ctx, true); }};
}

MethodInfo method_dcl_s() {
  return {"dcl-s", "dictionary contrastive learning, static dictionary (forward-unlocked)", kSettings,
          [](Model& m, const BuildContext& ctx) { build(m, ctx, false); }};
}

}  // namespace dcl
