#pragma once
// `dcl analyze`: the analyses of spec section 6 on saved run directories. Each writes its figures
// (PNG), its numbers (JSON, CSV; raw maps as a tensor file) into an output directory, by default
// RUN/analysis/, where `dcl report` finds them, and returns a JSON summary. A figure F.png has
// F.json beside it, whose "caption" the report shows. Runs whose method or network cannot give
// an analysis are refused with a message naming what is missing.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dcl/analysis/mutual_information.h"

namespace dcl::analysis {

struct RunSelection {
  std::string run;       // a run directory written by dcl train
  std::string data_dir;  // overrides the run's dataset directory ("": as recorded)
  std::string out;       // "": RUN/analysis
  int threads = 0;
};

struct SaliencyOptions {
  RunSelection run;
  int block = -1;                // -1: the last block with dictionary scores
  int images = 6;                // the first N test images ...
  std::vector<int64_t> indices;  // ... or these test images
};
nlohmann::json analyze_saliency(const SaliencyOptions& o);

struct EmbeddingsOptions {
  RunSelection run;
  int neighbours = 3;
  int embedding_block = -1;  // -1: the embeddings t_z; L: block L's view of them, map_l(t_z)
};
nlohmann::json analyze_embeddings(const EmbeddingsOptions& o);

struct ConfusionOptions {
  RunSelection run;
  int block = -1;            // -1: the run's reported prediction; L: block L's layer-wise prediction
  int64_t limit = 0;         // test images (0: the run's --limit-test)
  int embedding_block = -1;  // as EmbeddingsOptions
};
nlohmann::json analyze_confusion(const ConfusionOptions& o);

struct MutualInformationOptions {
  std::vector<std::string> runs;  // same dataset and input shape
  std::string data_dir;
  std::string out;  // "": the first run's analysis/
  int threads = 0;
  int64_t probe_train = 10000;  // training images the probes learn from
  int64_t probe_test = 5000;    // test images they are evaluated on
  int nuisances = 4;            // r takes this many values: H(r) = log(nuisances)
  double amplitude = 0.1;       // the nuisance pattern's standard deviation, in normalised pixel units
  ProbeBudget probe;
};
nlohmann::json analyze_mutual_information(const MutualInformationOptions& o);

}  // namespace dcl::analysis
