// The dataset registry (spec section 3) and load_dataset, which maps a name to its native reader.
#include "dcl/data/registry.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>

#include "dcl/data/folder_dataset.h"
#include "dcl/data/readers.h"
#include "dcl/util/names.h"

namespace dcl::data {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> digits() {
  std::vector<std::string> names;
  for (char c = '0'; c <= '9'; ++c) names.emplace_back(1, c);
  return names;
}

const std::vector<float> kCifarMean = {0.4914f, 0.4822f, 0.4465f};
const std::vector<float> kCifarStd = {0.2023f, 0.1994f, 0.2010f};

// MNIST-family datasets share file names; only the mirror and checksums differ.
std::vector<RemoteFile> idx_downloads(const std::string& base, const char* const (&md5)[4]) {
  const char* files[4] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                          "t10k-labels-idx1-ubyte.gz"};
  std::vector<RemoteFile> out;
  for (int i = 0; i < 4; ++i) out.push_back({base + files[i], files[i], md5[i], false});
  return out;
}

DatasetInfo idx_dataset(const std::string& name, const std::string& description, std::vector<std::string> classes,
                        float mean, float std, bool flip, std::vector<RemoteFile> downloads) {
  DatasetInfo d;
  d.name = name;
  d.description = description;
  d.classes = 10;
  d.channels = 1, d.height = 28, d.width = 28;
  d.fc_patches = 8;
  d.fc_width = 1024;
  d.preset_class = PresetClass::Mnist;
  d.class_names = std::move(classes);
  d.mean = {mean};
  d.std = {std};
  d.horizontal_flip = flip;
  d.downloads = std::move(downloads);
  d.train_files = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"};
  d.test_files = {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
  d.read = [](const DatasetInfo& info, const std::vector<std::string>& files) {
    return read_idx(files[0], files[1], info.classes);
  };
  d.locate = resolve_idx_path;
  d.locate_note = " (gzipped or not)";
  return d;
}

DatasetInfo rgb_dataset(const std::string& name, const std::string& description, std::vector<std::string> classes,
                        int side, std::vector<float> mean, std::vector<float> std, bool flip) {
  DatasetInfo d;
  d.name = name;
  d.description = description;
  d.classes = int(classes.size());
  d.channels = 3, d.height = side, d.width = side;
  d.class_names = std::move(classes);
  d.mean = std::move(mean);
  d.std = std::move(std);
  d.random_crop = true;
  d.horizontal_flip = flip;
  return d;
}

// Sets info's class groups from {group, member class names}; every class must be in exactly one.
void set_groups(DatasetInfo& info, const std::vector<std::pair<std::string, std::vector<std::string>>>& groups) {
  info.group_names.clear();
  info.class_group.assign(info.class_names.size(), -1);
  for (const auto& [group, members] : groups) {
    for (const auto& member : members) {
      auto it = std::find(info.class_names.begin(), info.class_names.end(), member);
      if (it == info.class_names.end() || info.class_group[size_t(it - info.class_names.begin())] != -1)
        throw std::logic_error(info.name + ": class group " + group + " names '" + member + "' wrongly");
      info.class_group[size_t(it - info.class_names.begin())] = int(info.group_names.size());
    }
    info.group_names.push_back(group);
  }
  if (std::count(info.class_group.begin(), info.class_group.end(), -1) != 0)
    throw std::logic_error(info.name + ": a class has no group");
}

std::vector<DatasetInfo> build_registry() {
  std::vector<DatasetInfo> r;

  // Checksums as published in torchvision/datasets/mnist.py.
  static const char* const mnist_md5[4] = {"f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
                                           "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"};
  static const char* const kmnist_md5[4] = {"bdb82020997e1d708af4cf47b453dcf7", "e144d726b3acfaa3e44228e80efcd344",
                                            "5c965bf0a639b31b8f53240b1b52f4d7", "7320c461ea6c1c855c0b718fb2a4b134"};
  static const char* const fmnist_md5[4] = {"8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                                            "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"};
  r.push_back(idx_dataset("mnist", "MNIST handwritten digits, 28x28 grey, 60000 train / 10000 test", digits(), 0.5f,
                          0.5f, false, idx_downloads("https://ossci-datasets.s3.amazonaws.com/mnist/", mnist_md5)));
  r.push_back(idx_dataset("kmnist", "Kuzushiji-MNIST cursive hiragana, 28x28 grey, 60000 train / 10000 test",
                          {"o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"}, 0.1904f, 0.3475f, false,
                          idx_downloads("http://codh.rois.ac.jp/kmnist/dataset/kmnist/", kmnist_md5)));
  r.push_back(idx_dataset(
      "fmnist", "Fashion-MNIST Zalando articles, 28x28 grey, 60000 train / 10000 test",
      {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"},
      0.286f, 0.353f, true, idx_downloads("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", fmnist_md5)));
  r.back().default_dir = "/usr/share/datasets/fashion-mnist";  // Debian's dataset-fashion-mnist
  r.back().preset_class = PresetClass::FashionMnist;
  // Our grouping by kind of article (the dataset defines none): what a wearer would call tops,
  // footwear, and the three articles unlike any other.
  set_groups(r.back(), {{"tops", {"T-shirt/top", "Pullover", "Coat", "Shirt"}},
                        {"footwear", {"Sandal", "Sneaker", "Ankle boot"}},
                        {"trousers", {"Trouser"}},
                        {"dresses", {"Dress"}},
                        {"bags", {"Bag"}}});

  // CIFAR binary archives: checksums as the dataset page (cs.toronto.edu/~kriz/cifar.html) lists them.
  DatasetInfo c10 =
      rgb_dataset("cifar10", "CIFAR-10 natural images, 32x32 RGB, 50000 train / 10000 test",
                  {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}, 32,
                  kCifarMean, kCifarStd, true);
  c10.downloads = {{"https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", "cifar-10-binary.tar.gz",
                    "c32a1d4ab5d03f1284b67883e8d87530", true}};
  set_groups(c10, {{"vehicles", {"airplane", "automobile", "ship", "truck"}},
                   {"animals", {"bird", "cat", "deer", "dog", "frog", "horse"}}});
  for (int i = 1; i <= 5; ++i)
    c10.train_files.push_back("cifar-10-batches-bin/data_batch_" + std::to_string(i) + ".bin");
  c10.test_files = {"cifar-10-batches-bin/test_batch.bin"};
  c10.read = [](const DatasetInfo&, const std::vector<std::string>& files) { return read_cifar10(files); };
  r.push_back(c10);

  DatasetInfo c100 = rgb_dataset(
      "cifar100", "CIFAR-100 natural images, 100 fine classes, 32x32 RGB, 50000 train / 10000 test",
      {"apple",      "aquarium_fish", "baby",         "bear",       "beaver",      "bed",         "bee",
       "beetle",     "bicycle",       "bottle",       "bowl",       "boy",         "bridge",      "bus",
       "butterfly",  "camel",         "can",          "castle",     "caterpillar", "cattle",      "chair",
       "chimpanzee", "clock",         "cloud",        "cockroach",  "couch",       "crab",        "crocodile",
       "cup",        "dinosaur",      "dolphin",      "elephant",   "flatfish",    "forest",      "fox",
       "girl",       "hamster",       "house",        "kangaroo",   "keyboard",    "lamp",        "lawn_mower",
       "leopard",    "lion",          "lizard",       "lobster",    "man",         "maple_tree",  "motorcycle",
       "mountain",   "mouse",         "mushroom",     "oak_tree",   "orange",      "orchid",      "otter",
       "palm_tree",  "pear",          "pickup_truck", "pine_tree",  "plain",       "plate",       "poppy",
       "porcupine",  "possum",        "rabbit",       "raccoon",    "ray",         "road",        "rocket",
       "rose",       "sea",           "seal",         "shark",      "shrew",       "skunk",       "skyscraper",
       "snail",      "snake",         "spider",       "squirrel",   "streetcar",   "sunflower",   "sweet_pepper",
       "table",      "tank",          "telephone",    "television", "tiger",       "tractor",     "train",
       "trout",      "tulip",         "turtle",       "wardrobe",   "whale",       "willow_tree", "wolf",
       "woman",      "worm"},
      32, kCifarMean, kCifarStd, true);
  c100.downloads = {{"https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz", "cifar-100-binary.tar.gz",
                     "03b5dce01913d631647c71ecec9e9cb8", true}};
  c100.train_files = {"cifar-100-binary/train.bin"};
  c100.test_files = {"cifar-100-binary/test.bin"};
  c100.fc_patches = 12;
  c100.preset_class = PresetClass::Cifar100;
  c100.read = [](const DatasetInfo&, const std::vector<std::string>& files) {
    return read_cifar100(files[0], Cifar100Label::Fine);
  };
  // The 20 superclasses as the dataset page (cs.toronto.edu/~kriz/cifar.html) lists them: the
  // coarse label byte of every record.
  set_groups(c100, {{"aquatic_mammals", {"beaver", "dolphin", "otter", "seal", "whale"}},
                    {"fish", {"aquarium_fish", "flatfish", "ray", "shark", "trout"}},
                    {"flowers", {"orchid", "poppy", "rose", "sunflower", "tulip"}},
                    {"food_containers", {"bottle", "bowl", "can", "cup", "plate"}},
                    {"fruit_and_vegetables", {"apple", "mushroom", "orange", "pear", "sweet_pepper"}},
                    {"household_electrical_devices", {"clock", "keyboard", "lamp", "telephone", "television"}},
                    {"household_furniture", {"bed", "chair", "couch", "table", "wardrobe"}},
                    {"insects", {"bee", "beetle", "butterfly", "caterpillar", "cockroach"}},
                    {"large_carnivores", {"bear", "leopard", "lion", "tiger", "wolf"}},
                    {"large_man-made_outdoor_things", {"bridge", "castle", "house", "road", "skyscraper"}},
                    {"large_natural_outdoor_scenes", {"cloud", "forest", "mountain", "plain", "sea"}},
                    {"large_omnivores_and_herbivores", {"camel", "cattle", "chimpanzee", "elephant", "kangaroo"}},
                    {"medium_mammals", {"fox", "porcupine", "possum", "raccoon", "skunk"}},
                    {"non-insect_invertebrates", {"crab", "lobster", "snail", "spider", "worm"}},
                    {"people", {"baby", "boy", "girl", "man", "woman"}},
                    {"reptiles", {"crocodile", "dinosaur", "lizard", "snake", "turtle"}},
                    {"small_mammals", {"hamster", "mouse", "rabbit", "shrew", "squirrel"}},
                    {"trees", {"maple_tree", "oak_tree", "palm_tree", "pine_tree", "willow_tree"}},
                    {"vehicles_1", {"bicycle", "bus", "motorcycle", "pickup_truck", "train"}},
                    {"vehicles_2", {"lawn_mower", "rocket", "streetcar", "tank", "tractor"}}});
  r.push_back(c100);

  // CIFAR-20: the same files read through the coarse (superclass) label byte.
  DatasetInfo c20 = c100;
  c20.name = "cifar20";
  c20.description = "CIFAR-100 with its 20 coarse superclasses, 32x32 RGB, 50000 train / 10000 test";
  c20.class_names = c100.group_names;  // the coarse label byte's order
  c20.group_names.clear();
  c20.class_group.clear();
  c20.classes = 20;
  c20.read = [](const DatasetInfo&, const std::vector<std::string>& files) {
    return read_cifar100(files[0], Cifar100Label::Coarse);
  };
  r.push_back(c20);

  // SVHN: torchvision/datasets/svhn.py checksums. No flip: mirrored digits are different digits.
  DatasetInfo svhn = rgb_dataset("svhn", "SVHN cropped house-number digits, 32x32 RGB, 73257 train / 26032 test",
                                 digits(), 32, {0.431f, 0.430f, 0.446f}, {0.197f, 0.198f, 0.199f}, false);
  svhn.downloads = {{"http://ufldl.stanford.edu/housenumbers/train_32x32.mat", "train_32x32.mat",
                     "e26dedcc434d2e4c54c9b2d4a06d8373", false},
                    {"http://ufldl.stanford.edu/housenumbers/test_32x32.mat", "test_32x32.mat",
                     "eb5a983be6a315427106f1b164d9cef3", false}};
  svhn.train_files = {"train_32x32.mat"};
  svhn.test_files = {"test_32x32.mat"};
  svhn.preset_class = PresetClass::Svhn;
  svhn.read = [](const DatasetInfo&, const std::vector<std::string>& files) { return read_svhn(files[0]); };
  r.push_back(svhn);

  // STL-10: torchvision/datasets/stl10.py checksum (the archive also holds the unlabeled split).
  DatasetInfo stl = rgb_dataset("stl10", "STL-10 labelled images, 96x96 RGB, 5000 train / 8000 test",
                                {"airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"},
                                96, {0.447f, 0.440f, 0.407f}, {0.260f, 0.257f, 0.271f}, true);
  stl.downloads = {{"http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz", "stl10_binary.tar.gz",
                    "91f7769df0f17e558f3565bffb0c7dfb", true}};
  stl.train_files = {"stl10_binary/train_X.bin", "stl10_binary/train_y.bin"};
  stl.test_files = {"stl10_binary/test_X.bin", "stl10_binary/test_y.bin"};
  stl.preset_class = PresetClass::Stl10;
  stl.read = [](const DatasetInfo&, const std::vector<std::string>& files) { return read_stl10(files[0], files[1]); };
  r.push_back(stl);
  return r;
}

const std::vector<DatasetInfo>& registry() {
  static const std::vector<DatasetInfo> r = build_registry();
  return r;
}

}  // namespace

const std::vector<std::string>& augment_names() {
  static const std::vector<std::string> names = {"auto", "none", "flip", "crop-flip"};
  return names;
}

const DatasetInfo& dataset_info(const std::string& name, const DataOptions& o) {
  if (std::find(augment_names().begin(), augment_names().end(), o.augment) == augment_names().end())
    throw std::invalid_argument("--augment must be one of " + join_names(augment_names()) + ", not '" + o.augment +
                                "'");
  const DatasetInfo* builtin = nullptr;
  for (const DatasetInfo& d : registry())
    if (d.name == name) builtin = &d;
  if (!builtin && !is_folder_dataset(name))
    throw std::invalid_argument("unknown dataset '" + name + "'; valid names: " + join_names(dataset_names()) +
                                ", folder:PATH (train/ and val/ or test/ of class folders) or list:TRAIN,TEST");
  if (builtin && o.image_size != 0 && (o.image_size != builtin->height || builtin->height != builtin->width))
    throw std::invalid_argument("--image-size: " + name + " is " + std::to_string(builtin->height) + "x" +
                                std::to_string(builtin->width) +
                                "; other sizes are for folder:PATH and list:TRAIN,TEST datasets");
  if (!o.mean.empty() || !o.std.empty()) {
    if (o.mean.size() != o.std.size())
      throw std::invalid_argument("--mean and --std: give both, one value per channel");
    for (float v : o.std)
      if (!(v > 0) || !std::isfinite(v)) throw std::invalid_argument("--std: every value must be a positive number");
    for (float v : o.mean)
      if (!std::isfinite(v)) throw std::invalid_argument("--mean: every value must be a finite number");
  }
  if (builtin && o.augment == "auto" && o.mean.empty()) return *builtin;
  // Entries that depend on the options live as long as the process, one per distinct request.
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<DatasetInfo>> variants;
  std::string stats;
  for (size_t c = 0; c < o.mean.size(); ++c) stats += std::to_string(o.mean[c]) + "/" + std::to_string(o.std[c]) + " ";
  const std::string key = name + '\n' + stats + o.augment + '\n' + std::to_string(o.image_size) + '\n' + o.loading +
                          '\n' + std::to_string(o.skip_bad_images) + '\n' + (builtin ? "" : o.data_dir);
  std::lock_guard<std::mutex> lock(mutex);
  auto& entry = variants[key];
  if (!entry) {
    DatasetInfo info = builtin ? *builtin : folder_dataset_info(name, o);
    if (builtin && o.augment != "auto") {
      info.random_crop = o.augment == "crop-flip";
      info.horizontal_flip = o.augment != "none";
    }
    if (!o.mean.empty()) {
      if (int(o.mean.size()) != info.channels)
        throw std::invalid_argument("--mean/--std: " + name + " has " + std::to_string(info.channels) +
                                    " channel(s), " + std::to_string(o.mean.size()) + " values given");
      info.mean = o.mean;
      info.std = o.std;
    }
    entry = std::make_unique<DatasetInfo>(std::move(info));
  }
  return *entry;
}

std::vector<std::string> dataset_names() {
  std::vector<std::string> names;
  for (const DatasetInfo& d : registry()) names.push_back(d.name);
  return names;
}

std::string resolve_data_dir(const DatasetInfo& info, const std::string& data_dir) {
  if (!data_dir.empty()) return data_dir;
  if (!info.default_dir.empty()) return info.default_dir;
  throw DataError(info.name + ": no data directory given; pass --data-dir DIR (`dcl data fetch " + info.name +
                  " --dir DIR` downloads the files)");
}

DatasetSplits load_dataset(const std::string& name, const DataOptions& options) {
  const DatasetInfo& info = dataset_info(name, options);
  if (info.folder) return load_folder_dataset(info, options);
  const std::string& data_dir = options.data_dir;
  const std::string dir = resolve_data_dir(info, data_dir);
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw DataError(info.name + ": " + dir + " is a file, not a directory; --data-dir names the directory that holds " +
                    join_names(info.train_files) + " and the test files");

  // Check every file first so one message lists all that is missing, not just the first.
  auto locate = [&](const std::vector<std::string>& rel, std::vector<std::string>& missing) {
    std::vector<std::string> paths;
    for (const std::string& r : rel) {
      std::string p = (fs::path(dir) / r).string();
      if (info.locate) p = info.locate(p);
      if (!fs::exists(p)) missing.push_back(r);
      paths.push_back(p);
    }
    return paths;
  };
  std::vector<std::string> missing;
  const std::vector<std::string> train = locate(info.train_files, missing);
  const std::vector<std::string> test = locate(info.test_files, missing);
  if (!missing.empty()) {
    std::vector<std::string> all = info.train_files;
    all.insert(all.end(), info.test_files.begin(), info.test_files.end());
    const std::string what = missing.size() == all.size() ? "no " + info.name + " files in " + dir
                                                          : "missing " + join_names(missing) + " in " + dir;
    std::vector<std::string> archives;
    for (const RemoteFile& f : info.downloads)
      if (f.unpack) archives.push_back(f.filename);
    throw DataError(info.name + ": " + what + ". Expected there: " + join_names(all) + info.locate_note +
                    (archives.empty() ? "" : ", as unpacked from the official " + join_names(archives)) +
                    ". Run `dcl data fetch " + info.name + " --dir " + dir + "` to download them.");
  }

  DatasetSplits s{info.read(info, train), info.read(info, test)};
  for (const auto* split : {&s.train, &s.test}) {
    if (split->channels != info.channels || split->height != info.height || split->width != info.width) {
      const std::string& file = split == &s.train ? train[0] : test[0];
      throw DataError(file + ": images are " + std::to_string(split->channels) + "x" + std::to_string(split->height) +
                      "x" + std::to_string(split->width) + ", " + info.name + " expects " +
                      std::to_string(info.channels) + "x" + std::to_string(info.height) + "x" +
                      std::to_string(info.width));
    }
  }
  return s;
}

}  // namespace dcl::data
