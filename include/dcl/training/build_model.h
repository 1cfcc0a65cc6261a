#pragma once
// The model of a run: the network its config describes, with the method's stages built over it.
#include "dcl/stages/model.h"
#include "dcl/training/run_config.h"

namespace dcl {

// Network + stages + schedule + readout for cfg, on inputs of `input` shape with `classes` classes;
// `default_fc_patches` and `default_fc_width` are the dataset's P and W (0: the network's own
// defaults). Throws std::invalid_argument when the method or the network does not fit.
Model build_model(const RunConfig& cfg, const InputShape& input, int classes, int default_fc_patches = 0,
                  int default_fc_width = 0);

}  // namespace dcl
