#pragma once
// The decoded-image cache of a folder dataset: every image in its stored form (uint8, planar,
// square), both splits' labels, in one file keyed by the folder's fingerprint. Built once with
// every core, then memory-mapped by each run (and shared by the processes of one machine).
#include <cstdint>

#include "dcl/data/folder_dataset.h"

namespace dcl::data {

struct CachedImages {
  ImageSet train, test;
  int64_t skipped_while_decoding = 0;  // damaged past the header (with --skip-bad-images)
};

// Maps folder.cache_file, building it first when it is absent or does not match. When the cache
// folder cannot be written the images are decoded into memory instead (with a note).
CachedImages load_or_build_image_cache(const FolderData& folder, int channels, int side, const DataOptions& options);

}  // namespace dcl::data
