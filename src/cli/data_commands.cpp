// `dcl data info | fetch | bench`.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "commands.h"
#include "dcl/data/download.h"
#include "dcl/data/folder_dataset.h"
#include "dcl/data/image_encode.h"
#include "dcl/data/registry.h"
#include "dcl/training/batch_loader.h"
#include "dcl/training/trainer.h"

namespace dcl::cli {

namespace {

std::string names_list() {
  std::string s;
  for (const auto& n : data::dataset_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

// Data options of the `data` subcommands: a folder dataset's shape and loading.
data::DataOptions data_flags;

void print_folder_info(const data::DatasetInfo& info, const data::DatasetSplits& splits) {
  const data::FolderData& f = *info.folder;
  std::printf("train:        %lld images (%s)\n", (long long)splits.train.count, f.index.train_name.c_str());
  std::printf("test:         %lld images (%s)\n", (long long)splits.test.count, f.index.test_name.c_str());
  std::printf("classes:      %d\n", info.classes);
  std::vector<int64_t> train(size_t(info.classes), 0), test(size_t(info.classes), 0);
  for (int32_t l : splits.train.labels) ++train[size_t(l)];
  for (int32_t l : splits.test.labels) ++test[size_t(l)];
  for (int c = 0; c < info.classes; ++c)
    std::printf("  %-24s %8lld train %8lld test\n", info.class_names[size_t(c)].c_str(), (long long)train[size_t(c)],
                (long long)test[size_t(c)]);
  std::printf("sizes seen:   %d-%d x %d-%d pixels (W x H), %s\n", f.min_width, f.max_width, f.min_height, f.max_height,
              info.channels == 1 ? "all grey" : "colour (grey files are replicated to RGB)");
  std::printf("input:        %dx%dx%d (CxHxW)\n", info.channels, info.height, info.width);
  if (f.index.ignored_files > 0)
    std::printf("ignored:      %lld files without a .jpg, .jpeg or .png name\n", (long long)f.index.ignored_files);
  std::printf("bad files:    %lld skipped%s\n", (long long)splits.skipped_images,
              splits.skipped_images > 0 ? "" : " (none found)");
  for (const auto& b : f.skipped) std::printf("  %s\n", b.problem.c_str());
  std::printf("loading:      %s\n",
              f.stream ? "streamed (decoded every epoch)" : ("cached in " + f.cache_file).c_str());
  for (int c = 0; c < info.channels; ++c)
    std::printf("channel %d:    mean %.4f std %.4f (from a fixed sample of up to 1000 training images)\n", c,
                info.mean[size_t(c)], info.std[size_t(c)]);
}

int data_info(const std::string& name) {
  const data::DatasetInfo& info = data::dataset_info(name, data_flags);
  data::DatasetSplits splits = data::load_dataset(name, data_flags);
  std::printf("dataset:      %s (%s)\n", info.name.c_str(), info.description.c_str());
  if (info.folder) {
    print_folder_info(info, splits);
  } else {
    std::printf("directory:    %s\n", data::resolve_data_dir(info, data_flags.data_dir).c_str());
    std::printf("train:        %lld images\n", (long long)splits.train.count);
    std::printf("test:         %lld images\n", (long long)splits.test.count);
    std::printf("classes:      %d\n", info.classes);
    std::printf("shape:        %dx%dx%d (CxHxW)\n", info.channels, info.height, info.width);
    // Per-channel statistics of the training set, on pixel/255, beside the registry's constants.
    const auto& t = splits.train;
    int64_t plane = int64_t(t.height) * t.width;
    for (int c = 0; c < t.channels; ++c) {
      double sum = 0, sq = 0;
      for (int64_t i = 0; i < t.count; ++i) {
        const uint8_t* p = t.image(i) + c * plane;
        int64_t s1 = 0, s2 = 0;
        for (int64_t k = 0; k < plane; ++k) {
          s1 += p[k];
          s2 += int64_t(p[k]) * p[k];
        }
        sum += double(s1);
        sq += double(s2);
      }
      double n = double(t.count) * double(plane);
      double mean = sum / n / 255.0, var = sq / n / (255.0 * 255.0) - mean * mean;
      std::printf("channel %d:    mean %.4f std %.4f (normalisation constants: %.4f / %.4f)\n", c, mean,
                  std::sqrt(std::max(0.0, var)), info.mean[size_t(c)], info.std[size_t(c)]);
    }
    std::string classes;
    for (const auto& c : info.class_names) classes += (classes.empty() ? "" : ", ") + c;
    std::printf("class names:  %s\n", classes.c_str());
  }
  std::string aug = info.resized_crop && info.random_crop ? "RandomResizedCrop (scale 0.08-1, ratio 3/4-4/3)"
                    : info.random_crop                    ? "pad-" + std::to_string(info.crop_padding) + " random crop"
                                                          : "";
  if (info.horizontal_flip) aug += (aug.empty() ? "" : " + ") + std::string("horizontal flip");
  std::printf("augmentation: %s\n", aug.empty() ? "none" : aug.c_str());
  return 0;
}

// Data pipeline throughput: batches assembled by the loader, consumed by a stand-in for a training
// step of `step_ms` (0: as fast as possible). The wait is the time the consumer spent blocked on
// the loader: what a training step of that length would lose to data.
int data_bench(const std::string& name, int batch_size, int epochs, int64_t max_batches, int threads, double step_ms) {
  const data::DatasetInfo& info = data::dataset_info(name, data_flags);
  data::DatasetSplits splits = data::load_dataset(name, data_flags);
  BatchLoader loader(splits.train, info, batch_size, true, 1);
  loader.set_threads(threads);
  int64_t images = 0, batches = 0;
  double wait = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (int e = 0; e < epochs && (max_batches == 0 || batches < max_batches); ++e) {
    loader.start_epoch(e);
    Batch b;
    while (max_batches == 0 || batches < max_batches) {
      auto w0 = std::chrono::steady_clock::now();
      if (!loader.next(b)) break;
      wait += std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
      images += b.labels.size(0);
      ++batches;
      if (step_ms > 0) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(step_ms));
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const bool streamed = splits.train.streamed();
  std::printf(
      "%s: %lld images in %.2f s = %.0f images/s, %.0f per loader thread (batch %d, %d loader thread%s, %s, "
      "input %dx%dx%d)\n",
      name.c_str(), (long long)images, secs, double(images) / secs, double(images) / secs / threads, batch_size,
      threads, threads == 1 ? "" : "s", streamed ? "streamed: decode + augment + batch" : "cached: augment + batch",
      info.channels, info.height, info.width);
  std::printf("loader wait: %.1f ms per batch (%.0f%% of the time)%s\n",
              1e3 * wait / double(std::max<int64_t>(1, batches)), 100.0 * wait / secs,
              step_ms > 0 ? (" behind a " + std::to_string(int(step_ms)) + " ms step").c_str() : "");
  return 0;
}

// Writes a dataset as an ImageFolder tree: OUT/train/<NN-class>/<index>.<ext> and OUT/test/...
int data_export(const std::string& name, const std::string& out, const std::string& format, int quality,
                int64_t limit) {
  if (format != "jpeg" && format != "png") throw std::invalid_argument("--format must be jpeg or png");
  if (quality < 1 || quality > 100) throw std::invalid_argument("--quality must be in [1, 100]");
  const data::DatasetInfo& info = data::dataset_info(name, data_flags);
  if (info.folder)
    throw std::invalid_argument("data export writes a built-in dataset; " + name + " is a folder already");
  data::DatasetSplits splits = data::load_dataset(name, data_flags);
  namespace fs = std::filesystem;
  if (fs::exists(out) && !fs::is_empty(out))
    throw std::invalid_argument("--out " + out + " exists and is not empty; give a new folder");
  // Class folders sort in the dataset's label order: a zero-padded index before the name.
  const int digits = int(std::to_string(info.classes - 1).size());
  std::vector<std::string> folders;
  for (int c = 0; c < info.classes; ++c) {
    std::string label = info.class_names[size_t(c)];
    for (char& ch : label)
      if (ch == '/' || ch == ' ') ch = '-';
    std::string index = std::to_string(c);
    folders.push_back(std::string(size_t(digits) - index.size(), '0') + index + "-" + label);
  }
  for (const auto& [split, set] :
       {std::pair<std::string, const data::ImageSet*>{"train", &splits.train}, {"test", &splits.test}}) {
    const int64_t n = limit > 0 ? std::min(limit, set->count) : set->count;
    for (const auto& f : folders) fs::create_directories(fs::path(out) / split / f);
    for (int64_t i = 0; i < n; ++i) {
      data::DecodedImage img;
      img.height = set->height, img.width = set->width, img.channels = set->channels;
      img.pixels.resize(size_t(set->image_size()));
      const int64_t plane = int64_t(img.height) * img.width;
      for (int c = 0; c < img.channels; ++c)  // planar to interleaved
        for (int64_t p = 0; p < plane; ++p) img.pixels[size_t(p * img.channels + c)] = set->image(i)[c * plane + p];
      std::vector<uint8_t> bytes = format == "jpeg" ? data::encode_jpeg(img, quality) : data::encode_png(img);
      const fs::path file = fs::path(out) / split / folders[size_t(set->labels[size_t(i)])] /
                            (std::to_string(i) + (format == "jpeg" ? ".jpg" : ".png"));
      std::ofstream(file, std::ios::binary)
          .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    }
    std::printf("%s: %lld images written under %s\n", split.c_str(), (long long)n, (fs::path(out) / split).c_str());
  }
  return 0;
}

void add_data_options(CLI::App* cmd) {
  cmd->add_option("--data-dir,--data-root", data_flags.data_dir,
                  "Directory holding the dataset's files (default: its standard location); for list: datasets the "
                  "folder the listed paths are relative to");
  cmd->add_option("--image-size", data_flags.image_size, "Folder datasets: the input side S (0 = the images' own)")
      ->check(integer_in(0, 4096, "0 = the images' own size"));
  cmd->add_option("--image-loading", data_flags.loading, "Folder datasets: cache | stream | auto");
  cmd->add_option("--augment", data_flags.augment, "auto | none | flip | crop-flip");
  cmd->add_flag("--skip-bad-images", data_flags.skip_bad_images, "Folder datasets: skip (and count) bad files");
  cmd->add_option("--mean", data_flags.mean, "Per-channel normalisation mean (with --std)");
  cmd->add_option("--std", data_flags.std, "Per-channel normalisation standard deviation (with --mean)");
}

}  // namespace

void add_data_commands(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions) {
  auto* data_cmd = app.add_subcommand("data", "Inspect, download and benchmark datasets");
  data_cmd->require_subcommand(1);
  // The flags of the `data` subcommands, back to their defaults for every parse (the Python
  // package runs several commands in one process).
  struct DataCommandFlags {
    std::string name, dir, mirror, format = "jpeg";
    bool quiet = false;
    int batch_size = 128, epochs = 1, loader_threads = 1, quality = 95;
    int64_t batches = 0, limit = 0;
    double step_ms = 0;
  };
  static DataCommandFlags flags;
  flags = DataCommandFlags{};
  data_flags = data::DataOptions{};
  auto& [name, dir, mirror, format, quiet, batch_size, epochs, loader_threads, quality, batches, limit, step_ms] =
      flags;

  auto* info = data_cmd->add_subcommand(
      "info",
      "Print sizes, classes, shape and per-channel statistics of a dataset (folder datasets: counts per class, "
      "sizes seen, bad files, the cache)");
  info->add_option("name", name, "Dataset: " + names_list() + ", folder:PATH or list:TRAIN,TEST")->required();
  add_data_options(info);
  actions.emplace_back(info, [] { return data_info(flags.name); });

  auto* fetch = data_cmd->add_subcommand("fetch", "Download a dataset's official archives, verify checksums, unpack");
  fetch->add_option("name", name, "Dataset: " + names_list())->required();
  fetch->add_option("--dir", dir, "Destination directory")->required();
  fetch->add_option("--mirror", mirror, "Base URL replacing the official hosts (e.g. a local mirror)");
  fetch->add_flag("--quiet", quiet, "No progress output");
  actions.emplace_back(fetch, [] {
    data::fetch_dataset(data::dataset_info(flags.name), flags.dir, flags.mirror, !flags.quiet);
    return 0;
  });

  auto* bench = data_cmd->add_subcommand(
      "bench", "Measure the data pipeline's throughput (decode + augment + batch) and the time a step waits for it");
  bench->add_option("name", name, "Dataset: " + names_list() + ", folder:PATH or list:TRAIN,TEST")->required();
  add_data_options(bench);
  bench->add_option("--batch-size", batch_size, "Batch size")->check(CLI::PositiveNumber);
  bench->add_option("--epochs", epochs, "Passes over the training set")->check(CLI::PositiveNumber);
  bench->add_option("--batches", batches, "Stop after N batches (0 = whole epochs)")->check(CLI::NonNegativeNumber);
  bench->add_option("--loader-threads", loader_threads, "Threads decoding and augmenting each batch")
      ->check(CLI::Range(1, 256));
  bench->add_option("--step-ms", step_ms, "Consume each batch with a stand-in step of this many ms (0 = none)")
      ->check(CLI::Range(0.0, 1e6));
  actions.emplace_back(bench, [] {
    configure_threads(1);
    return data_bench(flags.name, flags.batch_size, flags.epochs, flags.batches, flags.loader_threads, flags.step_ms);
  });

  auto* exp = data_cmd->add_subcommand(
      "export", "Write a built-in dataset as an ImageFolder tree of JPEG or PNG files (OUT/train, OUT/test)");
  exp->add_option("name", name, "Dataset: " + names_list())->required();
  exp->add_option("--out", dir, "A new folder")->required();
  exp->add_option("--data-dir", data_flags.data_dir, "Directory holding the dataset's files");
  exp->add_option("--format", format, "jpeg | png");
  exp->add_option("--quality", quality, "JPEG quality (1-100)")->check(integer_in(1, 100));
  exp->add_option("--limit", limit, "At most N images per split (0 = all)")->check(CLI::NonNegativeNumber);
  actions.emplace_back(exp,
                       [] { return data_export(flags.name, flags.dir, flags.format, flags.quality, flags.limit); });
}

}  // namespace dcl::cli
