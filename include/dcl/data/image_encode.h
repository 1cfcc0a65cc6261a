#pragma once
// JPEG and PNG encoding with the same libraries that decode (for `dcl data export` and tests).
#include <cstdint>
#include <string>
#include <vector>

#include "dcl/data/image_decode.h"

namespace dcl::data {

// `img` holds interleaved 8-bit pixels, 1 or 3 channels. Throws DataError on failure.
std::vector<uint8_t> encode_jpeg(const DecodedImage& img, int quality);
std::vector<uint8_t> encode_png(const DecodedImage& img);

}  // namespace dcl::data
