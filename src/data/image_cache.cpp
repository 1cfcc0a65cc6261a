// The decoded-image cache file: a fixed header, every label, then every image, mapped read-only.
#include "dcl/data/image_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "parallel_for.h"

namespace dcl::data {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'D', 'C', 'L', 'I', 'M', 'G', '0', '1'};

struct CacheHeader {
  char magic[8];
  uint64_t fingerprint;
  int64_t train_count, test_count, skipped;
  int32_t channels, side;
  char reserved[16];
};
static_assert(sizeof(CacheHeader) == 64, "the cache header is 64 bytes");

size_t pixels_offset(int64_t count) { return (sizeof(CacheHeader) + size_t(count) * 4 + 63) / 64 * 64; }

// Decodes every file of both splits into stored form; damaged files are errors or, with
// skip_bad_images, dropped (and counted).
struct Decoded {
  std::vector<uint8_t> pixels;
  std::vector<int32_t> labels;
  int64_t train = 0, test = 0, skipped = 0;
};

Decoded decode_all(const FolderData& folder, int channels, int side, const DataOptions& o) {
  std::vector<const ImageFile*> files;
  for (const auto* split : {&folder.index.train, &folder.index.test})
    for (const ImageFile& f : *split) files.push_back(&f);
  const size_t image = size_t(channels) * side * side;
  std::vector<uint8_t> pixels(files.size() * image);
  std::vector<std::string> problems(files.size());
  std::atomic<int64_t> done{0};
  const auto start = std::chrono::steady_clock::now();
  std::thread progress;
  std::atomic<bool> finished{false};
  if (files.size() >= 20000)  // long builds say how far they are
    progress = std::thread([&] {
      while (!finished) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (s >= 2)
          std::fprintf(stderr, "\rdecoding images into the cache: %lld / %zu", (long long)done.load(), files.size());
      }
      std::fprintf(stderr, "\n");
    });
  try {
    parallel_for(int64_t(files.size()), o.threads, [&](int64_t i) {
      try {
        store_image(files[size_t(i)]->path, channels, side, pixels.data() + size_t(i) * image);
      } catch (const DataError& e) {
        problems[size_t(i)] = e.what();
      }
      ++done;
    });
  } catch (...) {
    finished = true;
    if (progress.joinable()) progress.join();
    throw;
  }
  finished = true;
  if (progress.joinable()) progress.join();

  Decoded out;
  size_t kept = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    if (!problems[i].empty()) {
      if (!o.skip_bad_images) throw DataError(problems[i] + "; --skip-bad-images skips and counts such files");
      ++out.skipped;
      continue;
    }
    if (kept != i) std::memmove(pixels.data() + kept * image, pixels.data() + i * image, image);
    out.labels.push_back(files[i]->label);
    ++(i < folder.index.train.size() ? out.train : out.test);
    ++kept;
  }
  pixels.resize(kept * image);
  out.pixels = std::move(pixels);
  if (out.test == 0) throw DataError("no readable test images");
  return out;
}

ImageSet view(std::shared_ptr<const uint8_t> base, size_t offset, const std::vector<int32_t>& labels, size_t first,
              int64_t count, int channels, int side) {
  ImageSet s;
  s.count = count;
  s.channels = channels;
  s.height = s.width = side;
  s.labels.assign(labels.begin() + long(first), labels.begin() + long(first + size_t(count)));
  s.mapped = std::shared_ptr<const uint8_t>(base, base.get() + offset);
  return s;
}

// Maps the file when its header matches; an empty result otherwise.
std::optional<CachedImages> map_cache(const std::string& path, const FolderData& folder, int channels, int side) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  CacheHeader h{};
  bool ok = ::fstat(fd, &st) == 0 && ::pread(fd, &h, sizeof h, 0) == ssize_t(sizeof h) &&
            std::memcmp(h.magic, kMagic, 8) == 0 && h.fingerprint == folder.fingerprint && h.channels == channels &&
            h.side == side && h.train_count >= 0 && h.test_count > 0;
  const int64_t count = ok ? h.train_count + h.test_count : 0;
  const size_t image = size_t(channels) * side * side;
  ok = ok && uint64_t(st.st_size) == pixels_offset(count) + size_t(count) * image;
  void* map = ok ? ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
  ::close(fd);
  if (map == MAP_FAILED) return std::nullopt;
  const size_t length = size_t(st.st_size);
  std::shared_ptr<const uint8_t> base(static_cast<const uint8_t*>(map),
                                      [length](const uint8_t* p) { ::munmap(const_cast<uint8_t*>(p), length); });
  std::vector<int32_t> labels(static_cast<size_t>(count));
  std::memcpy(labels.data(), base.get() + sizeof(CacheHeader), labels.size() * 4);
  CachedImages c;
  const size_t offset = pixels_offset(count);
  c.train = view(base, offset, labels, 0, h.train_count, channels, side);
  c.test =
      view(base, offset + size_t(h.train_count) * image, labels, size_t(h.train_count), h.test_count, channels, side);
  c.skipped_while_decoding = h.skipped;
  return c;
}

bool write_cache(const std::string& path, const Decoded& d, const FolderData& folder, int channels, int side) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    CacheHeader h{};
    std::memcpy(h.magic, kMagic, 8);
    h.fingerprint = folder.fingerprint;
    h.train_count = d.train, h.test_count = d.test, h.skipped = d.skipped;
    h.channels = channels, h.side = side;
    out.write(reinterpret_cast<const char*>(&h), sizeof h);
    out.write(reinterpret_cast<const char*>(d.labels.data()), std::streamsize(d.labels.size() * 4));
    std::vector<char> pad(pixels_offset(d.train + d.test) - sizeof h - d.labels.size() * 4, 0);
    out.write(pad.data(), std::streamsize(pad.size()));
    out.write(reinterpret_cast<const char*>(d.pixels.data()), std::streamsize(d.pixels.size()));
    if (!out.flush()) {
      fs::remove(tmp, ec);
      return false;
    }
  }
  fs::rename(tmp, path, ec);  // whole or not at all: a concurrent reader sees the old state or this one
  if (ec) fs::remove(tmp, ec);
  return !ec;
}

}  // namespace

CachedImages load_or_build_image_cache(const FolderData& folder, int channels, int side, const DataOptions& o) {
  if (auto cached = map_cache(folder.cache_file, folder, channels, side)) return std::move(*cached);
  Decoded d = decode_all(folder, channels, side, o);
  if (write_cache(folder.cache_file, d, folder, channels, side))
    if (auto cached = map_cache(folder.cache_file, folder, channels, side)) return std::move(*cached);
  std::fprintf(stderr, "note: cannot write the image cache %s; the images stay in memory for this run only\n",
               folder.cache_file.c_str());
  CachedImages c;
  const size_t image = size_t(channels) * side * side;
  auto split = [&](int64_t first, int64_t count) {
    ImageSet s;
    s.count = count, s.channels = channels, s.height = s.width = side;
    s.labels.assign(d.labels.begin() + first, d.labels.begin() + first + count);
    s.pixels.assign(d.pixels.begin() + long(size_t(first) * image),
                    d.pixels.begin() + long(size_t(first + count) * image));
    return s;
  };
  c.train = split(0, d.train);
  c.test = split(d.train, d.test);
  c.skipped_while_decoding = d.skipped;
  return c;
}

}  // namespace dcl::data
