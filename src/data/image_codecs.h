#pragma once
// The two decoders behind image_decode.h, one file each (jpeg_codec.cpp, png_codec.cpp).
#include "dcl/data/image_decode.h"

namespace dcl::data {

// Images larger than this many pixels are refused (a decompression bomb or a damaged header).
constexpr int64_t kMaxImagePixels = int64_t(1) << 28;

ImageHeader jpeg_header(const uint8_t* data, size_t size, const std::string& name);
DecodedImage jpeg_decode(const uint8_t* data, size_t size, const std::string& name, int channels, double min_scale);
ImageHeader png_header(const uint8_t* data, size_t size, const std::string& name);
DecodedImage png_decode(const uint8_t* data, size_t size, const std::string& name, int channels);

void check_image_area(int height, int width, const std::string& name);

}  // namespace dcl::data
