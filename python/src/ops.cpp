// DCL's local losses as PyTorch operators (torch.ops.dcl.*), for any PyTorch model.
// They are compositions of ATen operators, registered as CompositeImplicitAutograd: autograd
// differentiates them, and they run on whatever device their inputs are on (CPU, CUDA). The
// formulas are the trainer's own (dcl/losses/), so values and gradients are dcl's.
#include <torch/library.h>
#include <torch/torch.h>

#include "dcl/losses/dictionary_loss.h"
#include "dcl/losses/similarity_matching.h"
#include "dcl/losses/supcon_loss.h"
#include "dcl/util/enum_names.h"

namespace {

// dcl's checks throw std::invalid_argument; as c10::ValueError they reach Python as ValueError
// with every torch version (torch maps a plain C++ exception differently from version to version).
template <typename F>
torch::Tensor value_errors(F compute) {
  try {
    return compute();
  } catch (const std::invalid_argument& e) {
    TORCH_CHECK_VALUE(false, e.what());
  }
}

// The block's C: a conv output's channels, or an fc output's width over its P patches.
int64_t block_channels(const torch::Tensor& h, int64_t patches) {
  if (h.dim() == 4) return h.size(1);
  if (h.dim() == 2 && patches > 0 && h.size(1) % patches == 0) return h.size(1) / patches;
  throw std::invalid_argument("dcl.dictionary_loss: block output of shape " + c10::str(h.sizes()) +
                              " is neither [N, C, H, W] nor [N, P*C] with patches P = " + std::to_string(patches) +
                              " (give patches >= 1 for a flat output)");
}

// s [N, Z] (spec section 1): h's local vectors against map_l(dictionary).
torch::Tensor dictionary_scores(const torch::Tensor& h, const torch::Tensor& dictionary, int64_t patches,
                                const std::string& similarity, double temperature,
                                const c10::optional<torch::Tensor>& map_weight) {
  return value_errors([&] {
    const bool cos = dcl::parse_enum<dcl::Similarity>(similarity, "similarity") == dcl::Similarity::Cos;
    if (cos && !(temperature > 0)) throw std::invalid_argument("dcl.dictionary_loss: temperature must be > 0");
    torch::Tensor mapped = dcl::map_dictionary(dictionary, block_channels(h, patches), cos,
                                               map_weight.has_value() ? *map_weight : torch::Tensor());
    return dcl::dictionary_scores(h, mapped, patches, cos, temperature);
  });
}

// L_dict = CE(s, y), batch mean.
torch::Tensor dictionary_loss(const torch::Tensor& h, const torch::Tensor& labels, const torch::Tensor& dictionary,
                              int64_t patches, const std::string& similarity, double temperature,
                              const c10::optional<torch::Tensor>& map_weight) {
  return torch::nn::functional::cross_entropy(
      dictionary_scores(h, dictionary, patches, similarity, temperature, map_weight), labels);
}

torch::Tensor supcon(const torch::Tensor& features, const torch::Tensor& labels, double temperature) {
  return value_errors([&] { return dcl::supcon_loss(features.flatten(1), labels, temperature); });
}

torch::Tensor similarity_matching(const torch::Tensor& h, const torch::Tensor& labels, int64_t classes) {
  return value_errors([&] { return dcl::similarity_matching_loss(h, labels, int(classes)); });
}

}  // namespace

TORCH_LIBRARY(dcl, m) {
  m.def(
      "dictionary_scores(Tensor h, Tensor dictionary, int patches=0, str similarity='dot', float temperature=0.07, "
      "Tensor? map_weight=None) -> Tensor");
  m.def(
      "dictionary_loss(Tensor h, Tensor labels, Tensor dictionary, int patches=0, str similarity='dot', "
      "float temperature=0.07, Tensor? map_weight=None) -> Tensor");
  m.def("supcon_loss(Tensor features, Tensor labels, float temperature=0.07) -> Tensor");
  m.def("similarity_matrix(Tensor x) -> Tensor");
  m.def("similarity_matching_loss(Tensor h, Tensor labels, int classes) -> Tensor");
}

TORCH_LIBRARY_IMPL(dcl, CompositeImplicitAutograd, m) {
  m.impl("dictionary_scores", &dictionary_scores);
  m.impl("dictionary_loss", &dictionary_loss);
  m.impl("supcon_loss", &supcon);
  m.impl("similarity_matrix",
         [](const torch::Tensor& x) { return value_errors([&] { return dcl::similarity_matrix(x); }); });
  m.impl("similarity_matching_loss", &similarity_matching);
}
