// Writes a small valid input for every fuzz target into DIR/<target>/, the starting corpus:
//   fuzz_make_seeds DIR
#include <matio.h>
#include <zlib.h>
#ifdef DCL_WITH_IMAGES
#include <png.h>
#include <turbojpeg.h>
#endif

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

void put_be32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
}

void save(const fs::path& path, const Bytes& b) {
  fs::create_directories(path.parent_path());
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(b.data(), 1, b.size(), f) != b.size()) std::perror(path.c_str());
  if (f) std::fclose(f);
}

// Two-byte length of the first part, then the two parts (see fuzz_input.h split()).
Bytes join(const Bytes& first, const Bytes& second) {
  Bytes b = {uint8_t(first.size()), uint8_t(first.size() >> 8)};
  b.insert(b.end(), first.begin(), first.end());
  b.insert(b.end(), second.begin(), second.end());
  return b;
}

Bytes counting(size_t n, int step) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(i * step);
  return b;
}

void write_svhn(const fs::path& path, size_t n, matio_compression z) {
  Bytes x = counting(n * 3072, 7);
  std::vector<double> y;
  for (size_t i = 0; i < n; ++i) y.push_back(double(i % 10 + 1));
  size_t xd[4] = {32, 32, 3, n}, yd[2] = {n, 1};
  mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, MAT_FT_MAT5);
  if (!mat) return std::perror(path.c_str());
  matvar_t* vx = Mat_VarCreate("X", MAT_C_UINT8, MAT_T_UINT8, 4, xd, x.data(), 0);
  matvar_t* vy = Mat_VarCreate("y", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, yd, y.data(), 0);
  Mat_VarWrite(mat, vx, z);
  Mat_VarWrite(mat, vy, z);
  Mat_VarFree(vx);
  Mat_VarFree(vy);
  Mat_Close(mat);
}

#ifdef DCL_WITH_IMAGES
// JPEG (grey, RGB, CMYK, with an EXIF orientation) and PNG (grey, RGB, palette, 16-bit, alpha).
void write_images(const fs::path& dir) {
  Bytes px = counting(16 * 16 * 4, 5);
  tjhandle h = tjInitCompress();
  const int formats[3] = {TJPF_GRAY, TJPF_RGB, TJPF_CMYK};
  const int subsampling[3] = {TJSAMP_GRAY, TJSAMP_420, TJSAMP_444};
  for (int i = 0; i < 3; ++i) {
    unsigned char* out = nullptr;
    unsigned long size = 0;
    if (tjCompress2(h, px.data(), 16, 0, 16, formats[i], &out, &size, subsampling[i], 80, 0) != 0) continue;
    Bytes jpeg(out, out + size);
    tjFree(out);
    save(dir / ("seed" + std::to_string(i) + ".jpg"), jpeg);
    if (i == 1) {  // an APP1 Exif segment with orientation 6 after SOI
      Bytes app1 = {0xFF, 0xE1, 0,    34,   'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0,
                    1,    0,    0x12, 0x01, 3,   0,   1,   0,   0, 0, 6,   0,   0,  0, 0, 0, 0, 0};
      jpeg.insert(jpeg.begin() + 2, app1.begin(), app1.end());
      save(dir / "seed_exif.jpg", jpeg);
    }
  }
  tjDestroy(h);
  const png_uint_32 pngs[5] = {PNG_FORMAT_GRAY, PNG_FORMAT_RGB, PNG_FORMAT_RGB_COLORMAP, PNG_FORMAT_LINEAR_RGB,
                               PNG_FORMAT_RGBA};
  const uint8_t colormap[6] = {255, 0, 0, 0, 0, 255};
  Bytes indices(16 * 16);
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = uint8_t(i & 1);
  for (int i = 0; i < 5; ++i) {
    png_image p{};
    p.version = PNG_IMAGE_VERSION;
    p.width = p.height = 16;
    p.format = pngs[i];
    p.colormap_entries = i == 2 ? 2 : 0;
    const void* pixels = i == 2 ? static_cast<const void*>(indices.data()) : px.data();
    png_alloc_size_t size = 0;
    if (!png_image_write_to_memory(&p, nullptr, &size, 0, pixels, 0, i == 2 ? colormap : nullptr)) continue;
    Bytes png(size);
    if (png_image_write_to_memory(&p, png.data(), &size, 0, pixels, 0, i == 2 ? colormap : nullptr))
      save(dir / ("seed" + std::to_string(i) + ".png"), Bytes(png.begin(), png.begin() + long(size)));
  }
}
#endif

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const fs::path dir = argv[1];

  Bytes images, labels;
  for (uint32_t v : {0x803u, 2u, 4u, 4u}) put_be32(images, v);
  Bytes px = counting(32, 9);
  images.insert(images.end(), px.begin(), px.end());
  for (uint32_t v : {0x801u, 2u}) put_be32(labels, v);
  labels.insert(labels.end(), {3, 7});
  save(dir / "idx" / "seed", join(labels, images));

  Bytes c10, c100;
  for (uint8_t l : {uint8_t(1), uint8_t(9)}) {
    Bytes p = counting(3072, l);
    c10.push_back(l);
    c10.insert(c10.end(), p.begin(), p.end());
    c100.insert(c100.end(), {uint8_t(l * 2), uint8_t(l * 11)});
    c100.insert(c100.end(), p.begin(), p.end());
  }
  save(dir / "cifar10" / "seed", c10);
  save(dir / "cifar100" / "seed", c100);

  save(dir / "stl10" / "seed", join({4}, counting(3 * 96 * 96, 3)));

  fs::create_directories(dir / "svhn");
  write_svhn(dir / "svhn" / "seed.mat", 1, MAT_COMPRESSION_NONE);
  write_svhn(dir / "svhn" / "seed_zlib.mat", 2, MAT_COMPRESSION_ZLIB);

  // gzip of the IDX image file; gzopen writes a standard single-member stream.
  fs::create_directories(dir / "gzip");
  gzFile gz = gzopen((dir / "gzip" / "seed.gz").c_str(), "wb");
  if (gz) {
    gzwrite(gz, images.data(), unsigned(images.size()));
    gzclose(gz);
  }
#ifdef DCL_WITH_IMAGES
  write_images(dir / "image");
#endif
  return 0;
}
