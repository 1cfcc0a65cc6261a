#pragma once
// Folder datasets: `folder:PATH` (ImageFolder layout) and `list:TRAIN,TEST` (list files). The
// first use surveys every file's header (bad files are found before training), fixes the channels
// and size, and computes the normalisation from a fixed sample of training images (cached).
// Loading then decodes every image once into a memory-mapped cache file, or streams: each
// sample is decoded whenever a batch needs it (render_sample.h).
#include <cstdint>
#include <string>
#include <vector>

#include "dcl/data/image_decode.h"
#include "dcl/data/image_folder.h"
#include "dcl/data/registry.h"

namespace dcl::data {

struct BadImage {
  std::string path, problem;  // problem: the decoder's one-line message
};

struct FolderData {
  ImageFolderIndex index;                                            // without the skipped files
  std::vector<BadImage> skipped;                                     // with --skip-bad-images
  bool stream = false;                                               // decoded every epoch instead of cached
  int min_height = 0, max_height = 0, min_width = 0, max_width = 0;  // sizes seen (upright)
  uint64_t fingerprint = 0;  // paths, sizes, times and labels of every file, and the recipe
  std::string cache_file;    // where the decoded images are (cache mode)
};

bool is_folder_dataset(const std::string& name);
// Builds the registry entry of a folder dataset (the survey runs here). Throws DataError.
DatasetInfo folder_dataset_info(const std::string& name, const DataOptions& options);
// Both splits: from the cache file (built first when absent or stale), or streamed.
DatasetSplits load_folder_dataset(const DatasetInfo& info, const DataOptions& options);

// Where caches go: $DCL_CACHE_DIR, else $XDG_CACHE_HOME/dcl, else ~/.cache/dcl.
std::string image_cache_dir();

// Reads a whole file (no gunzip); DataError naming it when it cannot.
std::vector<uint8_t> read_image_bytes(const std::string& path);

// Decodes one image file into the stored form: the centred square of its short side resampled to
// side x side, planar uint8 (C, side, side).
void store_image(const std::string& path, int channels, int side, uint8_t* out);

}  // namespace dcl::data
