// Format dispatch, the EXIF orientation of JPEG files and its application to decoded pixels.
#include "dcl/data/image_decode.h"

#include <algorithm>

#include "dcl/data/image_set.h"
#include "image_codecs.h"

namespace dcl::data {
namespace {

bool starts_with(const uint8_t* data, size_t size, std::initializer_list<uint8_t> magic) {
  return size >= magic.size() && std::equal(magic.begin(), magic.end(), data);
}

uint32_t read_u16(const uint8_t* p, bool big_endian) {
  return big_endian ? uint32_t(p[0]) << 8 | p[1] : uint32_t(p[1]) << 8 | p[0];
}
uint32_t read_u32(const uint8_t* p, bool big_endian) {
  return big_endian ? read_u16(p, true) << 16 | read_u16(p + 2, true)
                    : read_u16(p + 2, false) << 16 | read_u16(p, false);
}

// The orientation tag (0x0112) of IFD0 in an APP1 "Exif" payload (a TIFF structure).
int orientation_in_exif(const uint8_t* tiff, size_t size) {
  if (size < 8) return 1;
  bool big = tiff[0] == 'M' && tiff[1] == 'M';
  if (!big && !(tiff[0] == 'I' && tiff[1] == 'I')) return 1;
  size_t ifd = read_u32(tiff + 4, big);
  if (ifd + 2 > size) return 1;
  size_t entries = read_u16(tiff + ifd, big);
  for (size_t e = 0; e < entries; ++e) {
    size_t at = ifd + 2 + 12 * e;
    if (at + 12 > size) return 1;
    if (read_u16(tiff + at, big) == 0x0112 && read_u16(tiff + at + 2, big) == 3) {
      int value = int(read_u16(tiff + at + 8, big));
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

// Rotates/mirrors `img` so that it displays upright (EXIF orientations 2..8; out(y, x) reads the
// source pixel named in each case, the source being H x W).
void apply_orientation(DecodedImage& img, int orientation) {
  if (orientation <= 1) return;
  const int h = img.height, w = img.width, c = img.channels;
  const bool swap = orientation >= 5;
  DecodedImage out;
  out.height = swap ? w : h;
  out.width = swap ? h : w;
  out.channels = c;
  out.pixels.resize(img.pixels.size());
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x) {
      int sy = y, sx = x;
      switch (orientation) {
        case 2: sx = w - 1 - x; break;                  // mirrored left-right
        case 3: sy = h - 1 - y, sx = w - 1 - x; break;  // rotated 180
        case 4: sy = h - 1 - y; break;                  // mirrored top-bottom
        case 5: sy = x, sx = y; break;                  // transposed
        case 6: sy = h - 1 - x, sx = y; break;          // rotate 90 clockwise to view
        case 7: sy = h - 1 - x, sx = w - 1 - y; break;  // transversed
        case 8: sy = x, sx = w - 1 - y; break;          // rotate 90 anticlockwise to view
      }
      std::copy_n(&img.pixels[(size_t(sy) * w + sx) * c], c, &out.pixels[(size_t(y) * out.width + x) * c]);
    }
  img = std::move(out);
}

ImageFormat detect_format(const uint8_t* data, size_t size, const std::string& name) {
  if (size == 0) throw DataError(name + ": the file is empty");
  if (starts_with(data, size, {0xFF, 0xD8, 0xFF})) return ImageFormat::Jpeg;
  if (starts_with(data, size, {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A})) return ImageFormat::Png;
  const char* kind = starts_with(data, size, {'G', 'I', 'F'})                ? " (it is a GIF)"
                     : starts_with(data, size, {'B', 'M'})                   ? " (it is a BMP)"
                     : size >= 12 && std::equal(data + 8, data + 12, "WEBP") ? " (it is a WebP)"
                                                                             : "";
  throw DataError(name + ": not a JPEG or PNG file" + std::string(kind));
}

}  // namespace

int jpeg_exif_orientation(const uint8_t* data, size_t size) {
  // Walk the marker segments after SOI up to the start of scan.
  size_t at = 2;
  while (at + 4 <= size && data[at] == 0xFF) {
    uint8_t marker = data[at + 1];
    if (marker == 0xDA || marker == 0xD9) break;  // start of scan / end of image
    size_t length = read_u16(data + at + 2, true);
    if (length < 2 || at + 2 + length > size) break;
    const uint8_t* payload = data + at + 4;
    size_t payload_size = length - 2;
    if (marker == 0xE1 && payload_size >= 6 && std::equal(payload, payload + 6, "Exif\0\0"))
      return orientation_in_exif(payload + 6, payload_size - 6);
    at += 2 + length;
  }
  return 1;
}

ImageRegion decode_image_region(const uint8_t* data, size_t size, const std::string& name, int channels,
                                double min_scale, const CropBox& box, int full_height, int full_width, int out_size) {
  ImageRegion r;
  if (detect_format(data, size, name) == ImageFormat::Jpeg && jpeg_exif_orientation(data, size) == 1) {
    JpegRegion j = jpeg_decode_region(data, size, name, channels, min_scale, box, out_size);
    r.box = scale_box(box, full_height, full_width, j.scaled_height, j.scaled_width);
    r.box.top -= j.top;
    r.box.left -= j.left;
    r.image = std::move(j.image);
    return r;
  }
  r.image = decode_image(data, size, name, channels, min_scale);
  r.box = scale_box(box, full_height, full_width, r.image.height, r.image.width);
  return r;
}

ImageHeader read_image_header(const uint8_t* data, size_t size, const std::string& name) {
  ImageHeader h = detect_format(data, size, name) == ImageFormat::Jpeg ? jpeg_header(data, size, name)
                                                                       : png_header(data, size, name);
  if (h.format == ImageFormat::Jpeg && jpeg_exif_orientation(data, size) >= 5) std::swap(h.height, h.width);
  return h;
}

DecodedImage decode_image(const uint8_t* data, size_t size, const std::string& name, int channels, double min_scale) {
  if (channels != 1 && channels != 3) throw std::invalid_argument("decode_image: channels must be 1 or 3");
  if (detect_format(data, size, name) == ImageFormat::Png) return png_decode(data, size, name, channels);
  DecodedImage img = jpeg_decode(data, size, name, channels, min_scale);
  apply_orientation(img, jpeg_exif_orientation(data, size));
  return img;
}

}  // namespace dcl::data
