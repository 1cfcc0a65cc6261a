// `dcl data info | fetch | bench`.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "commands.h"
#include "dcl/data/download.h"
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

int data_info(const std::string& name, const std::string& dir) {
  const data::DatasetInfo& info = data::dataset_info(name);
  data::DatasetSplits splits = data::load_dataset(name, dir);
  std::printf("dataset:      %s (%s)\n", info.name.c_str(), info.description.c_str());
  std::printf("directory:    %s\n", data::resolve_data_dir(info, dir).c_str());
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
  std::string aug = info.random_crop ? "pad-" + std::to_string(info.crop_padding) + " random crop" : "";
  if (info.horizontal_flip) aug += (aug.empty() ? "" : " + ") + std::string("horizontal flip");
  std::printf("augmentation: %s\n", aug.empty() ? "none" : aug.c_str());
  std::string classes;
  for (const auto& c : info.class_names) classes += (classes.empty() ? "" : ", ") + c;
  std::printf("class names:  %s\n", classes.c_str());
  return 0;
}

// Data pipeline throughput: batches assembled by the prefetch thread, consumed as fast as possible.
int data_bench(const std::string& name, const std::string& dir, int batch_size, int epochs) {
  const data::DatasetInfo& info = data::dataset_info(name);
  data::DatasetSplits splits = data::load_dataset(name, dir);
  BatchLoader loader(splits.train, info, batch_size, true, 1);
  int64_t images = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (int e = 0; e < epochs; ++e) {
    loader.start_epoch(e);
    Batch b;
    while (loader.next(b)) images += b.labels.size(0);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "%s: %lld images in %.2f s = %.0f images/s (batch %d, one worker thread, augmentation: crop %s, flip %s)\n",
      name.c_str(), (long long)images, secs, double(images) / secs, batch_size, info.random_crop ? "yes" : "no",
      info.horizontal_flip ? "yes" : "no");
  return 0;
}

}  // namespace

void add_data_commands(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions) {
  auto* data_cmd = app.add_subcommand("data", "Inspect, download and benchmark datasets");
  data_cmd->require_subcommand(1);
  static std::string name, dir;
  static std::string mirror;
  static bool quiet = false;
  static int batch_size = 128, epochs = 1;

  auto* info = data_cmd->add_subcommand("info", "Print sizes, classes, shape and per-channel statistics of a dataset");
  info->add_option("name", name, "Dataset: " + names_list())->required();
  info->add_option("--data-dir", dir,
                   "Directory holding the dataset's files (default: the dataset's default location)");
  actions.emplace_back(info, [] { return data_info(name, dir); });

  auto* fetch = data_cmd->add_subcommand("fetch", "Download a dataset's official archives, verify checksums, unpack");
  fetch->add_option("name", name, "Dataset: " + names_list())->required();
  fetch->add_option("--dir", dir, "Destination directory")->required();
  fetch->add_option("--mirror", mirror, "Base URL replacing the official hosts (e.g. a local mirror)");
  fetch->add_flag("--quiet", quiet, "No progress output");
  actions.emplace_back(fetch, [] {
    data::fetch_dataset(data::dataset_info(name), dir, mirror, !quiet);
    return 0;
  });

  auto* bench =
      data_cmd->add_subcommand("bench", "Measure the data pipeline's throughput (augment + batch, one worker)");
  bench->add_option("name", name, "Dataset: " + names_list())->required();
  bench->add_option("--data-dir", dir, "Directory holding the dataset's files");
  bench->add_option("--batch-size", batch_size, "Batch size")->check(CLI::PositiveNumber);
  bench->add_option("--epochs", epochs, "Passes over the training set")->check(CLI::PositiveNumber);
  actions.emplace_back(bench, [] {
    configure_threads(1);
    return data_bench(name, dir, batch_size, epochs);
  });
}

}  // namespace dcl::cli
