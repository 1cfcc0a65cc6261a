#pragma once
// One sample as the network sees it: stored, cached or decoded from its file, augmented by the
// dataset's recipe, normalised. The batch loader draws the random parts in a fixed order and
// renders samples on any number of threads.
#include <cstdint>

#include "dcl/data/augment.h"
#include "dcl/data/image_set.h"
#include "dcl/data/registry.h"

namespace dcl::data {

// The random part of one sample: a pad-and-crop shift (datasets stored at their input size,
// drawn in batch order) or the seed of its own RandomResizedCrop (resized_crop datasets).
struct SampleDraw {
  AugmentParams shift;
  uint64_t crop_seed = 0;
};

// Writes sample `i` of `set`, normalised, as C x height x width floats (info's input shape).
// `train` applies the augmentation `draw` describes; otherwise the test recipe.
void render_sample(const ImageSet& set, const DatasetInfo& info, int64_t i, bool train, const SampleDraw& draw,
                   float* dst);

// Sample `i` as the test recipe shows it, before normalisation: C x height x width bytes.
void test_view(const ImageSet& set, const DatasetInfo& info, int64_t i, uint8_t* dst);

}  // namespace dcl::data
