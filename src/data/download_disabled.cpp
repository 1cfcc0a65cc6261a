// `dcl data fetch` in a build without downloads (-DDCL_WITH_DOWNLOADS=OFF: no libcurl, libarchive
// or OpenSSL): each entry point says so and lists the files to place by hand.
#include <string>

#include "dcl/data/download.h"
#include "dcl/data/image_set.h"

namespace dcl::data {

namespace {

[[noreturn]] void disabled(const std::string& what) {
  throw DataError(what +
                  ": this dcl was built without downloads (CMake option DCL_WITH_DOWNLOADS=OFF); rebuild "
                  "with -DDCL_WITH_DOWNLOADS=ON, or place the files by hand");
}

}  // namespace

void download_file(const std::string& url, const std::string&, const std::string&, const ProgressFn&) {
  disabled("download of " + url);
}

void unpack_archive(const std::string& archive_path, const std::string&) { disabled("unpacking " + archive_path); }

void fetch_dataset(const DatasetInfo& info, const std::string& dir, const std::string&, bool) {
  std::string files;
  for (const auto& f : info.downloads) files += "\n  " + f.filename + "  (from " + f.url + ")";
  throw DataError("dcl data fetch " + info.name +
                  ": this dcl was built without downloads (CMake option DCL_WITH_DOWNLOADS=OFF). Download these "
                  "files on a machine with network access and place them in " +
                  dir + " (or rebuild with -DDCL_WITH_DOWNLOADS=ON):" + files);
}

}  // namespace dcl::data
