#pragma once
// Every method setting a user can give (`dcl train` flags, config.json), typed. Each method reads
// its own struct; the method file turns it into its losses' options.
#include <string>
#include <vector>

#include "dcl/enum_names.h"
#include "dcl/losses/dictionary_choices.h"

namespace dcl {

enum class NegativeLabels { Random, Hardest };

// dcl, dcl-s (spec section 1).
struct DictionarySettings {
  DictInit init = DictInit::Normal;
  DictMap map = DictMap::Pool;  // dictionary width CD -> block width C_l
  Similarity similarity = Similarity::Dot;
  double temperature = 0.07;  // cos only
};

// ll-pred, ll-sim, ll-predsim, ll-bpf, ll-cont, ll-contrec (spec section 5).
struct LocalLearningSettings {
  double beta = 0.99;         // predsim/bpf: (1 - beta) L_pred + beta L_sim
  double recon_weight = 5.0;  // contrec: L_contrast + weight * L_recon
};

// feat, contrast, ll-cont, ll-contrec.
struct SupConSettings {
  double temperature = 0.07;
};

// ff, symba (spec section 5).
struct ForwardForwardSettings {
  double threshold = 1.0;                             // θ on the mean squared activation (ff)
  double symba_alpha = 4.0;                           // α of SymBa's softplus(-α (g_pos - g_neg))
  NegativeLabels negatives = NegativeLabels::Random;  // hardest: the wrong label of highest goodness
  int first_scoring_block = 0;                        // blocks before it do not vote in the prediction
  double peer_norm = 0;                               // weight of Hinton's peer normalisation (0 = off)
};

// pff (spec section 5).
struct PffSettings {
  int steps = 8;               // K settling steps
  double damping = 0.3;        // α
  double threshold = 1.0;      // θ on the mean squared activation
  double label_scale = 5.0;    // s_y
  double latent_rate = 0.025;  // β of the generative latent's inference
};

// drtp (spec section 5).
struct DrtpSettings {
  double feedback_scale = 1.0;  // B_l entries ~ U[-s sqrt(6/S), s sqrt(6/S)], S = outputs per sample
};

struct MethodSettings {
  DictionarySettings dictionary;
  LocalLearningSettings local_learning;
  SupConSettings supcon;
  ForwardForwardSettings ff;
  PffSettings pff;
  DrtpSettings drtp;
};

template <>
const std::vector<std::string>& names_of<NegativeLabels>();  // random, hardest

// Throws std::invalid_argument naming the flag of the first setting out of its range.
void validate(const MethodSettings& settings);

}  // namespace dcl
