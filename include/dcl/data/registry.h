#pragma once
// The dataset registry: name -> files, classes, shape, class names, normalisation and
// train-time augmentation (spec section 3), and the official archives for `dcl data fetch`.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dcl/data/image_set.h"

namespace dcl::data {

struct RemoteFile {
  std::string url;       // official location
  std::string filename;  // name written into the data directory
  std::string md5;       // published checksum (lower-case hex)
  bool unpack = false;   // a .tar.gz to extract into the data directory after verification
};

// The row of a published schedule table a dataset takes (spec section 4 has rows for MNIST,
// Fashion-MNIST, CIFAR-10, CIFAR-100, SVHN and STL-10): its own, or the row of the dataset it
// resembles (K-MNIST takes MNIST's, CIFAR-20 CIFAR-100's).
enum class PresetClass { Mnist, FashionMnist, Cifar10, Cifar100, Svhn, Stl10 };
// The MNIST family: 28x28 grey images of 10 classes.
inline bool mnist_like(PresetClass c) { return c == PresetClass::Mnist || c == PresetClass::FashionMnist; }

struct FolderData;  // folder datasets' files (folder_dataset.h)

// How a run reads its data: what the registry cannot know by name alone.
struct DataOptions {
  std::string data_dir;          // a built-in dataset's directory; a list dataset's root for relative paths
  int image_size = 0;            // folder datasets: the input side S (0: the images' own, when all share one)
  std::string augment = "auto";  // auto (the dataset's recipe) | none | flip | crop-flip
  std::string loading = "auto";  // folder datasets: cache (decoded once) | stream (decoded every epoch) | auto
  bool skip_bad_images = false;  // folder datasets: skip (and count) damaged files instead of stopping
  std::vector<float> mean, std;  // per channel, on pixel/255; empty = the dataset's (folders: computed)
  int threads = 0;               // decoding threads for surveys and caches (0 = all cores)
};

struct DatasetInfo {
  std::string name;
  std::string description;
  PresetClass preset_class = PresetClass::Cifar10;
  int classes = 0;
  int channels = 0, height = 0, width = 0;
  std::vector<std::string> class_names;  // `classes` entries
  // Groups of related classes, for the dictionary-structure analysis (spec section 6, Figure 6):
  // CIFAR-100's 20 superclasses (the dataset's own coarse labels), and documented groupings for
  // Fashion-MNIST and CIFAR-10. Empty when the dataset has none.
  std::vector<std::string> group_names;
  std::vector<int> class_group;  // per class: an index into group_names
  std::vector<float> mean, std;  // per channel, on pixel/255
  bool random_crop = false;      // pad-`crop_padding` random crop at train time
  int crop_padding = 4;
  bool horizontal_flip = false;  // random horizontal flip at train time
  // Images of any size (folder datasets with S > 64): stored as stored_size-pixel squares (or
  // streamed from their files) and brought to height x width by torchvision's recipes:
  // RandomResizedCrop (+ flip) at train time, short side to S/0.875 and a centre crop at test time.
  bool resized_crop = false;
  int stored_size = 0;                       // side of the stored square images; 0: they are height x width
  std::shared_ptr<const FolderData> folder;  // set for folder: and list: datasets
  int fc_patches = 48;                       // the fc network's patch count P (spec section 1)
  int fc_width = 3072;                       // the fc network's width W (spec section 2: 1024 for 28x28 grey)
  std::string default_dir;                   // used when --data-dir is not given ("" = none)
  std::vector<RemoteFile> downloads;
  std::vector<std::string> train_files;  // paths relative to the data directory
  std::vector<std::string> test_files;
  // Reads one split from its files (absolute paths, in the order of train_files / test_files).
  std::function<ImageSet(const DatasetInfo& info, const std::vector<std::string>& files)> read;
  // Where a listed file is found (the MNIST family's are read gzipped or not); nullptr: the path.
  std::function<std::string(const std::string& path)> locate;
  std::string locate_note;  // what `locate` accepts, for the missing-file message (" (gzipped or not)")
};

struct DatasetSplits {
  ImageSet train;
  ImageSet test;
  int64_t skipped_images = 0;  // folder datasets: bad files skipped (--skip-bad-images)
};

// Throws std::invalid_argument listing the valid names when `name` is unknown. `folder:PATH` and
// `list:TRAIN,TEST` name folder datasets (folder_dataset.h), surveyed on first use; `options`
// shape them (size, augmentation) and override a built-in dataset's augmentation.
const DatasetInfo& dataset_info(const std::string& name, const DataOptions& options = {});
std::vector<std::string> dataset_names();
// The values --augment takes.
const std::vector<std::string>& augment_names();

// `data_dir` empty means the dataset's default_dir; throws DataError when no directory is known.
std::string resolve_data_dir(const DatasetInfo& info, const std::string& data_dir);

// Reads both splits from their native files; a missing file gives a DataError that says which
// files to place where (and that `dcl data fetch NAME` downloads them).
DatasetSplits load_dataset(const std::string& name, const DataOptions& options);
inline DatasetSplits load_dataset(const std::string& name, const std::string& data_dir) {
  DataOptions options;
  options.data_dir = data_dir;
  return load_dataset(name, options);
}

}  // namespace dcl::data
