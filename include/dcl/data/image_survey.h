#pragma once
// Every image file's header, read before anything trains: sizes, grey or colour, and which files
// are bad and why. Remembered in the cache folder, keyed by every file's path, size and time, so
// a later run over an unchanged folder only lists and stats its files (ImageNet: seconds, not
// minutes).
#include <cstdint>
#include <string>
#include <vector>

#include "dcl/data/image_decode.h"

namespace dcl::data {

struct SurveyedImage {
  ImageHeader header;
  std::string problem;  // empty when the header read; else "PATH: what is wrong"
  int64_t bytes = 0, mtime = 0;
};

// One entry per path, in order, read on `threads` threads (0 = every core).
std::vector<SurveyedImage> survey_images(const std::vector<std::string>& paths, int threads);

}  // namespace dcl::data
