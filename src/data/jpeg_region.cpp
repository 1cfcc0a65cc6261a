// Decoding part of a JPEG with libjpeg's own API (jpeg_crop_scanline, jpeg_skip_scanlines): a
// RandomResizedCrop needs on average about half of the image, and the rows below it are never
// decoded at all.
#include <cstddef>
#include <cstdio>  // jpeglib.h needs size_t and FILE first

#include <jpeglib.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>

#include "dcl/data/image_set.h"
#include "image_codecs.h"

namespace dcl::data {
namespace {

// libjpeg reports errors through a callback that must not return: it jumps back to decode's
// setjmp. Its warnings (corrupt data) are errors here too, as TJFLAG_STOPONWARNING makes them.
struct JpegErrors {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void on_error(j_common_ptr cinfo) {
  auto* errors = reinterpret_cast<JpegErrors*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, errors->message);
  std::longjmp(errors->jump, 1);
}

void on_message(j_common_ptr cinfo, int level) {
  if (level < 0) on_error(cinfo);
}

}  // namespace

JpegRegion jpeg_decode_region(const uint8_t* data, size_t size, const std::string& name, int channels, double min_scale,
                              const CropBox& box, int out_size) {
  // Everything with a destructor lives before the setjmp: a longjmp skips no C++ frame.
  JpegRegion out;
  std::vector<uint8_t> cmyk;
  jpeg_decompress_struct cinfo;
  JpegErrors errors;
  cinfo.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = on_error;
  errors.manager.emit_message = on_message;
  jpeg_create_decompress(&cinfo);
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&cinfo);
    throw DataError(name + ": damaged JPEG data (" + errors.message + ")");
  }
  jpeg_mem_src(&cinfo, data, (unsigned long)size);
  jpeg_read_header(&cinfo, TRUE);
  check_image_area(int(cinfo.image_height), int(cinfo.image_width), name);
  const bool is_cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  cinfo.out_color_space = is_cmyk ? JCS_CMYK : channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  const JpegScale scale = choose_jpeg_scale(min_scale);
  cinfo.scale_num = unsigned(scale.num);
  cinfo.scale_denom = unsigned(scale.denom);
  jpeg_start_decompress(&cinfo);
  const int height = int(cinfo.output_height), width = int(cinfo.output_width);
  const int components = cinfo.output_components;
  const double sy = double(height) / cinfo.image_height, sx = double(width) / cinfo.image_width;
  // The resampling filter reaches max(scale, 1) pixels past the box; two more for rounding.
  const int margin = int(std::ceil(std::max(box.width * sx, box.height * sy) / out_size)) + 2;
  const int y0 = std::clamp(int(std::floor(box.top * sy)) - margin, 0, height - 1);
  const int y1 = std::clamp(int(std::ceil((box.top + box.height) * sy)) + margin, y0 + 1, height);
  const int x0 = std::clamp(int(std::floor(box.left * sx)) - margin, 0, width - 1);
  const int x1 = std::clamp(int(std::ceil((box.left + box.width) * sx)) + margin, x0 + 1, width);
  JDIMENSION left = JDIMENSION(x0), columns = JDIMENSION(x1 - x0);
  jpeg_crop_scanline(&cinfo, &left, &columns);  // widened to whole iMCUs
  if (y0 > 0) jpeg_skip_scanlines(&cinfo, JDIMENSION(y0));
  std::vector<uint8_t>& pixels = is_cmyk ? cmyk : out.image.pixels;
  pixels.resize(size_t(columns) * size_t(y1 - y0) * size_t(components));
  while (cinfo.output_scanline < JDIMENSION(y1)) {
    JSAMPROW row = pixels.data() + size_t(cinfo.output_scanline - JDIMENSION(y0)) * columns * size_t(components);
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_abort_decompress(&cinfo);  // the rows below the region are not needed
  jpeg_destroy_decompress(&cinfo);
  if (is_cmyk) cmyk_pixels(cmyk, channels, out.image.pixels);
  out.image.height = y1 - y0;
  out.image.width = int(columns);
  out.image.channels = channels;
  out.top = y0;
  out.left = int(left);
  out.scaled_height = height;
  out.scaled_width = width;
  return out;
}

}  // namespace dcl::data
