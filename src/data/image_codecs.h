#pragma once
// The two decoders behind image_decode.h, one file each (jpeg_codec.cpp, png_codec.cpp).
#include "dcl/data/image_decode.h"
#include "dcl/data/resized_crop.h"

namespace dcl::data {

// Images larger than this many pixels are refused (a decompression bomb or a damaged header).
constexpr int64_t kMaxImagePixels = int64_t(1) << 28;

ImageHeader jpeg_header(const uint8_t* data, size_t size, const std::string& name);
DecodedImage jpeg_decode(const uint8_t* data, size_t size, const std::string& name, int channels, double min_scale);
// Decodes only the rows and columns of the (DCT-scaled) image that `box` (in full-size pixels,
// upright = as stored: no EXIF orientation) needs for a resampling to out_size, with a margin
// for the filter. `top`/`left` place the region in the scaled image of scaled_height x scaled_width.
struct JpegRegion {
  DecodedImage image;
  int top = 0, left = 0, scaled_height = 0, scaled_width = 0;
};
JpegRegion jpeg_decode_region(const uint8_t* data, size_t size, const std::string& name, int channels, double min_scale,
                              const CropBox& box, int out_size);

ImageHeader png_header(const uint8_t* data, size_t size, const std::string& name);
DecodedImage png_decode(const uint8_t* data, size_t size, const std::string& name, int channels);

void check_image_area(int height, int width, const std::string& name);

// libjpeg's DCT scaling: the smallest factor num/denom (eighths) that is at least `min_scale`.
struct JpegScale {
  int num = 1, denom = 1;
};
JpegScale choose_jpeg_scale(double min_scale);
// Photoshop's CMYK JPEGs (the common kind) store inverted values: v = 255 - ink. With ink c and
// k, R = (255 - c)(255 - k) / 255 (PIL's conversion), i.e. v_c * v_k / 255; grey is its luma.
void cmyk_pixels(const std::vector<uint8_t>& cmyk, int channels, std::vector<uint8_t>& out);

}  // namespace dcl::data
