// libFuzzer target: one JPEG or PNG file through the header reader and the decoder (grey and
// RGB, full size and DCT-scaled; a JPEG's region through libjpeg's crop API), as folder datasets
// read every image.
#include "dcl/data/image_decode.h"
#include "dcl/data/image_set.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const dcl::data::ImageHeader h = dcl::data::read_image_header(data, size, "fuzz");
    if (h.height < 1 || h.width < 1) abort();
    if (int64_t(h.height) * h.width > (int64_t(1) << 22)) return 0;  // large but valid: slow, not interesting
    for (int channels : {1, 3}) {
      const dcl::data::DecodedImage img =
          dcl::data::decode_image(data, size, "fuzz", channels, channels == 1 ? 0.25 : 1.0);
      // A successful decode is self-consistent, and at full size agrees with the header.
      if (img.channels != channels || img.pixels.size() != size_t(img.height) * size_t(img.width) * size_t(channels))
        abort();
      if (channels == 3 && (img.height != h.height || img.width != h.width)) abort();
    }
    // The region a centred crop needs (JPEG: only its rows and columns), at a reduced scale.
    const dcl::data::CropBox box = dcl::data::centre_crop(h.height, h.width, 0.5);
    const dcl::data::ImageRegion r =
        dcl::data::decode_image_region(data, size, "fuzz", 3, 0.5, box, h.height, h.width, 8);
    if (r.image.pixels.size() != size_t(r.image.height) * size_t(r.image.width) * 3 || r.box.top < 0 ||
        r.box.left < 0 || r.box.top + r.box.height > r.image.height + 1e-6 ||
        r.box.left + r.box.width > r.image.width + 1e-6)
      abort();
  } catch (const dcl::data::DataError&) {
  }
  return 0;
}
