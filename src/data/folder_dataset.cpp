// Folder datasets: the header survey, the registry entry, the normalisation sample and loading.
#include "dcl/data/folder_dataset.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "dcl/data/image_cache.h"
#include "dcl/data/image_survey.h"
#include "dcl/util/atomic_file.h"
#include "parallel_for.h"

namespace dcl::data {
namespace {

namespace fs = std::filesystem;

constexpr int kSmallImage = 64;                    // at most this side: pad-and-crop; above: resized crops
constexpr int64_t kCacheLimit = int64_t(4) << 30;  // auto: cache when the decoded images fit in this
constexpr int kStatsSample = 1000;                 // training images behind the normalisation

uint64_t fnv1a(uint64_t h, const std::string& text) {
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
  return h;
}

std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)v);
  return buf;
}

ImageFolderIndex index_of(const std::string& name, const DataOptions& o) {
  if (name.rfind("folder:", 0) == 0) {
    std::string root = name.substr(7);
    if (root.empty()) throw DataError("folder: give the dataset's folder, as folder:PATH");
    return scan_image_folder(root);
  }
  std::string lists = name.substr(5);
  size_t comma = lists.find(',');
  if (comma == std::string::npos || comma == 0 || comma + 1 == lists.size())
    throw DataError("list: give the training and test list files, as list:TRAIN.txt,TEST.txt");
  return read_image_lists(lists.substr(0, comma), lists.substr(comma + 1), o.data_dir);
}

// Per-channel mean and std (on pixel/255) of up to kStatsSample training images, evenly spaced,
// in their stored form at a side of at most 64: a fixed sample, so every run of the same folder
// normalises alike. Cached beside the images' cache.
void normalisation(DatasetInfo& info, const FolderData& folder, int side, int threads) {
  const std::string cache = image_cache_dir() + "/stats-" + hex(folder.fingerprint) + ".txt";
  std::ifstream in(cache);
  std::vector<float> mean(size_t(info.channels)), std(size_t(info.channels));
  bool ok = bool(in);
  for (size_t c = 0; ok && c < mean.size(); ++c) ok = bool(in >> mean[c] >> std[c]) && std[c] > 0;
  if (!ok) {
    const auto& files = folder.index.train;
    const int64_t n = std::min<int64_t>(kStatsSample, int64_t(files.size()));
    const int64_t plane = int64_t(side) * side;
    std::vector<uint8_t> pixels(size_t(n * info.channels * plane));
    parallel_for(n, threads, [&](int64_t k) {
      store_image(files[size_t(k * int64_t(files.size()) / n)].path, info.channels, side,
                  pixels.data() + k * info.channels * plane);
    });
    std::ostringstream out;
    out.precision(9);  // floats read back exactly: every run of the folder normalises alike
    for (int c = 0; c < info.channels; ++c) {
      double sum = 0, sq = 0;
      for (int64_t k = 0; k < n; ++k)
        for (int64_t p = 0; p < plane; ++p) {
          double v = pixels[size_t((k * info.channels + c) * plane + p)] / 255.0;
          sum += v, sq += v * v;
        }
      double m = sum / double(n * plane), var = std::max(0.0, sq / double(n * plane) - m * m);
      mean[size_t(c)] = float(m);
      std[size_t(c)] = float(std::max(std::sqrt(var), 1e-3));
      out << mean[size_t(c)] << ' ' << std[size_t(c)] << '\n';
    }
    try {
      fs::create_directories(image_cache_dir());
      write_file_atomic(cache, out.str());
    } catch (const std::exception&) {
      // An unwritable cache only costs recomputing the sample next time.
    }
  }
  info.mean = mean;
  info.std = std;
}

// A fixed order mixing the classes (folders list them one after another), the same in every run
// and every standard library: --limit-train N then takes a sample of every class, as with the
// built-in datasets, whose files are already mixed.
void mix_order(std::vector<ImageFile>& files) {
  std::mt19937_64 rng(0x5eedf01d);
  for (size_t i = files.size(); i > 1; --i) {
    uint64_t bound = i, limit = UINT64_MAX - UINT64_MAX % bound, r;
    do r = rng();
    while (r >= limit);
    std::swap(files[i - 1], files[size_t(r % bound)]);
  }
}

void apply_augment(DatasetInfo& info, const std::string& augment) {
  if (augment == "auto") return;
  info.random_crop = augment == "crop-flip";
  info.horizontal_flip = augment != "none";
}

}  // namespace

bool is_folder_dataset(const std::string& name) { return name.rfind("folder:", 0) == 0 || name.rfind("list:", 0) == 0; }

std::string image_cache_dir() {
  if (const char* d = std::getenv("DCL_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return std::string(d) + "/dcl";
  if (const char* d = std::getenv("HOME"); d && *d) return std::string(d) + "/.cache/dcl";
  return (fs::temp_directory_path() / "dcl-cache").string();
}

std::vector<uint8_t> read_image_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw DataError(path + ": cannot open the file");
  std::streamoff size = in.tellg();
  if (size < 0) throw DataError(path + ": cannot read the file");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), size)) throw DataError(path + ": cannot read the file");
  return bytes;
}

DatasetInfo folder_dataset_info(const std::string& name, const DataOptions& o) {
  if (!image_codecs_available())
    throw DataError(name + ": this dcl was built without JPEG/PNG support (CMake option DCL_WITH_IMAGES=OFF); "
                           "rebuild with -DDCL_WITH_IMAGES=ON (Debian: libturbojpeg0-dev, libpng-dev)");
  auto folder = std::make_shared<FolderData>();
  folder->index = index_of(name, o);
  ImageFolderIndex& index = folder->index;

  // Every header, before anything trains: damaged files are named now, not mid-epoch.
  std::vector<ImageFile*> files;
  std::vector<std::string> paths;
  for (auto* split : {&index.train, &index.test})
    for (ImageFile& f : *split) files.push_back(&f), paths.push_back(f.path);
  const std::vector<SurveyedImage> survey = survey_images(paths, o.threads);
  std::vector<BadImage> bad;
  for (size_t i = 0; i < files.size(); ++i)
    if (!survey[i].problem.empty()) bad.push_back({files[i]->path, survey[i].problem});
  if (!bad.empty() && !o.skip_bad_images)
    throw DataError(bad[0].problem +
                    (bad.size() > 1
                         ? " (and " + std::to_string(bad.size() - 1) + " more bad file" + (bad.size() > 2 ? "s)" : ")")
                         : std::string()) +
                    "; --skip-bad-images skips and counts them");
  folder->skipped = bad;

  // Drop the bad files; a class left without training images cannot be learned.
  uint64_t fingerprint = fnv1a(1469598103934665603ULL, "dcl-folder-v2 " + std::to_string(o.skip_bad_images));
  bool all_grey = true;
  bool first = true;
  size_t at = 0;
  for (auto* split : {&index.train, &index.test}) {
    std::vector<ImageFile> kept;
    for (ImageFile& f : *split) {
      const SurveyedImage& s = survey[at++];
      if (!s.problem.empty()) continue;
      const ImageHeader& h = s.header;
      all_grey = all_grey && h.grey;
      folder->min_height = first ? h.height : std::min(folder->min_height, h.height);
      folder->max_height = std::max(folder->max_height, h.height);
      folder->min_width = first ? h.width : std::min(folder->min_width, h.width);
      folder->max_width = std::max(folder->max_width, h.width);
      first = false;
      fingerprint = fnv1a(fingerprint, f.path + '\n' + std::to_string(f.label) + ' ' + std::to_string(s.bytes) + ' ' +
                                           std::to_string(s.mtime));
      kept.push_back(std::move(f));
    }
    mix_order(kept);
    *split = std::move(kept);
    fingerprint = fnv1a(fingerprint, "|split|");
  }
  if (index.test.empty()) throw DataError(index.test_name + ": no readable test images");
  std::vector<int64_t> per_class(index.class_names.size(), 0);
  for (const ImageFile& f : index.train) ++per_class[size_t(f.label)];
  for (size_t c = 0; c < per_class.size(); ++c)
    if (per_class[c] == 0)
      throw DataError(index.train_name + ": class " + index.class_names[c] + " has no readable training images");

  DatasetInfo info;
  info.name = name;
  info.classes = int(index.class_names.size());
  info.class_names = index.class_names;
  info.channels = all_grey ? 1 : 3;
  const bool one_size = folder->min_height == folder->max_height && folder->min_width == folder->max_width;
  int side = o.image_size;
  if (side == 0) {
    if (!one_size || folder->min_height != folder->min_width)
      throw DataError(name + ": the images are " + std::to_string(folder->min_width) + "-" +
                      std::to_string(folder->max_width) + " pixels wide and " + std::to_string(folder->min_height) +
                      "-" + std::to_string(folder->max_height) + " high; give the input size with --image-size S");
    side = folder->min_height;
  }
  info.height = info.width = side;
  info.resized_crop = side > kSmallImage;
  info.stored_size = info.resized_crop ? int(std::lround(side / 0.875)) : side;
  // torchvision's recipes: small images as CIFAR (pad 1/8 and crop, flip; grey ones as
  // Fashion-MNIST, flip only), larger ones RandomResizedCrop + flip.
  info.random_crop = info.resized_crop || info.channels == 3;
  info.crop_padding = std::max(1, side / 8);
  info.horizontal_flip = true;
  apply_augment(info, o.augment);
  info.preset_class = info.channels == 1  ? PresetClass::FashionMnist
                      : side > 32         ? PresetClass::Stl10
                      : info.classes > 10 ? PresetClass::Cifar100
                                          : PresetClass::Cifar10;
  info.fc_width = info.channels == 1 && side == 28 ? 1024 : 3072;
  info.fc_patches = info.channels == 1 && side == 28 ? 8 : info.classes > 10 ? 12 : 48;

  fingerprint = fnv1a(fingerprint, std::to_string(info.channels) + "x" + std::to_string(info.stored_size));
  folder->fingerprint = fingerprint;
  const int64_t decoded =
      int64_t(index.train.size() + index.test.size()) * info.channels * info.stored_size * info.stored_size;
  if (o.loading != "auto" && o.loading != "cache" && o.loading != "stream")
    throw std::invalid_argument("--image-loading must be cache, stream or auto, not '" + o.loading + "'");
  folder->stream = o.loading == "stream" || (o.loading == "auto" && decoded > kCacheLimit);
  folder->cache_file = image_cache_dir() + "/images-" + hex(fingerprint) + ".bin";
  normalisation(info, *folder, std::min(info.stored_size, kSmallImage), o.threads);

  std::ostringstream d;
  d << "images from " << (name.rfind("folder:", 0) == 0 ? "folder " : "lists ") << name.substr(name.find(':') + 1)
    << ", " << index.train.size() << " train / " << index.test.size() << " test, " << info.classes << " classes, "
    << info.channels << "x" << side << "x" << side << (folder->stream ? ", streamed" : ", cached");
  info.description = d.str();
  info.folder = folder;
  return info;
}

DatasetSplits load_folder_dataset(const DatasetInfo& info, const DataOptions& o) {
  const FolderData& folder = *info.folder;
  DatasetSplits splits;
  splits.skipped_images = int64_t(folder.skipped.size());
  if (!folder.stream) {
    CachedImages cached = load_or_build_image_cache(folder, info.channels, info.stored_size, o);
    splits.train = std::move(cached.train);
    splits.test = std::move(cached.test);
    splits.skipped_images += cached.skipped_while_decoding;
    return splits;
  }
  auto streamed = [&](const std::vector<ImageFile>& files) {
    ImageSet set;
    set.count = int64_t(files.size());
    set.channels = info.channels;
    set.height = set.width = info.height;
    auto paths = std::make_shared<std::vector<std::string>>();
    for (const ImageFile& f : files) paths->push_back(f.path), set.labels.push_back(f.label);
    set.files = paths;
    return set;
  };
  splits.train = streamed(folder.index.train);
  splits.test = streamed(folder.index.test);
  return splits;
}

}  // namespace dcl::data
