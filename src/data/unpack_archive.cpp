// Extraction of downloaded .tar.gz archives (CIFAR and friends ship that way).
#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "dcl/data/download.h"
#include "dcl/data/image_set.h"

namespace fs = std::filesystem;

namespace dcl::data {
namespace {

using ArchivePtr = std::unique_ptr<archive, int (*)(archive*)>;

// Archives come from the network: an entry must stay inside the target directory.
void check_entry_path(const std::string& archive_path, const std::string& name) {
  const fs::path path(name);
  bool bad = name.empty() || path.has_root_directory() || path.has_root_name();
  for (const auto& part : path) bad = bad || part == "..";
  if (bad) throw DataError(archive_path + ": refusing to extract entry '" + name + "' (absolute path or '..')");
}

// Writes the entry's data to `target` via a temporary name so that a crash or a damaged
// archive never leaves a half-written file that looks complete.
void extract_file(archive* in, const std::string& archive_path, const std::string& name, const fs::path& target) {
  const std::string temp = target.string() + ".part";
  std::unique_ptr<FILE, int (*)(FILE*)> out(std::fopen(temp.c_str(), "wb"), &std::fclose);
  if (!out)
    throw DataError("cannot create " + temp + " while extracting " + archive_path + ": " + std::strerror(errno));
  std::string error;
  const void* block;
  size_t size;
  la_int64_t offset;
  for (;;) {
    const int r = archive_read_data_block(in, &block, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      error = std::string("damaged archive: ") + archive_error_string(in);
      break;
    }
    // Sparse entries report offsets; tar files from dataset sites are dense, but honour them.
    if (std::fseek(out.get(), static_cast<long>(offset), SEEK_SET) != 0 ||
        std::fwrite(block, 1, size, out.get()) != size) {
      error = std::string("write error: ") + std::strerror(errno);
      break;
    }
  }
  if (error.empty() && std::fclose(out.release()) != 0) error = std::string("write error: ") + std::strerror(errno);
  if (error.empty() && std::rename(temp.c_str(), target.c_str()) != 0)
    error = "cannot rename " + temp + " to " + target.string() + ": " + std::strerror(errno);
  if (!error.empty()) {
    out.reset();
    std::remove(temp.c_str());
    throw DataError(archive_path + ": extracting '" + name + "' failed: " + error);
  }
}

}  // namespace

void unpack_archive(const std::string& archive_path, const std::string& dir) {
  ArchivePtr in(archive_read_new(), &archive_read_free);
  if (!in) throw DataError("libarchive: out of memory opening " + archive_path);
  archive_read_support_filter_gzip(in.get());
  archive_read_support_format_tar(in.get());
  if (archive_read_open_filename(in.get(), archive_path.c_str(), 1 << 16) != ARCHIVE_OK)
    throw DataError("cannot open archive " + archive_path + ": " + archive_error_string(in.get()));

  fs::create_directories(dir);
  archive_entry* entry;
  for (;;) {
    const int r = archive_read_next_header(in.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) throw DataError("damaged archive " + archive_path + ": " + archive_error_string(in.get()));
    const char* raw_name = archive_entry_pathname(entry);
    const std::string name = raw_name ? raw_name : "";
    check_entry_path(archive_path, name);
    const fs::path target = fs::path(dir) / name;
    switch (archive_entry_filetype(entry)) {
      case AE_IFDIR: fs::create_directories(target); break;
      case AE_IFREG:
        fs::create_directories(target.parent_path());
        extract_file(in.get(), archive_path, name, target);
        break;
      default:
        // Links and devices are never part of a dataset and a link could point outside `dir`.
        break;
    }
  }
}

}  // namespace dcl::data
