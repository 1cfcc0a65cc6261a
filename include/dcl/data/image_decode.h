#pragma once
// JPEG (libjpeg-turbo's TurboJPEG API) and PNG (libpng's simplified API) decoding for folder
// datasets: bytes in, 8-bit interleaved pixels out. Grey, palette, 16-bit, alpha, CMYK and the EXIF
// orientation of JPEG files are handled; anything else is a DataError naming the file.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dcl/data/resized_crop.h"

namespace dcl::data {

enum class ImageFormat { Jpeg, Png };

// What a file's header says, after its EXIF orientation (a rotated photo reports its upright size).
struct ImageHeader {
  ImageFormat format = ImageFormat::Jpeg;
  int height = 0, width = 0;
  bool grey = false;  // one colour channel in the file (grey JPEG, grey PNG with or without alpha)
};

// Pixels as rows of `width` pixels of `channels` bytes (1 = grey, 3 = RGB), top row first.
struct DecodedImage {
  int height = 0, width = 0, channels = 0;
  std::vector<uint8_t> pixels;
};

// False when dcl was built without JPEG/PNG support (DCL_WITH_IMAGES=OFF).
bool image_codecs_available();

// Reads the header only. Throws DataError("NAME: ...") for an empty, unknown or damaged file.
ImageHeader read_image_header(const uint8_t* data, size_t size, const std::string& name);

// Decodes to `channels` (1 or 3; grey files are replicated to RGB, colour files to grey by
// ITU-R 601 luma, as PIL's convert("L")). Alpha is composited onto black. A JPEG may be decoded at
// a reduced size (libjpeg's DCT scaling, 1/8 steps) when `min_scale` < 1: the smallest scale
// >= min_scale is used, so callers that only need part of the resolution decode much less.
// Truncated or corrupt data is an error (libjpeg's warnings included), never a partly grey image.
DecodedImage decode_image(const uint8_t* data, size_t size, const std::string& name, int channels,
                          double min_scale = 1.0);

// What a resampling of `box` (in the upright image of full_height x full_width pixels) to
// out_size x out_size needs: the image decoded at the least scale >= min_scale, JPEGs only in the
// rows and columns the box and the filter reach, and the box in that region's own pixels.
struct ImageRegion {
  DecodedImage image;
  CropBox box;
};
ImageRegion decode_image_region(const uint8_t* data, size_t size, const std::string& name, int channels,
                                double min_scale, const CropBox& box, int full_height, int full_width, int out_size);

// The EXIF orientation (1..8) in a JPEG's APP1 segment; 1 when there is none or it is unreadable.
int jpeg_exif_orientation(const uint8_t* data, size_t size);

}  // namespace dcl::data
