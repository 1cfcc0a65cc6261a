// `dcl export` and the loader of runs and exports (training/run_export.h), and the command line
// run as a function (cli/run_cli.h), as the Python package runs it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <torch/script.h>

#include "cli_test_util.h"
#include "dcl/cli/run_cli.h"
#include "dcl/training/run_export.h"
#include "training/tiny_dataset.h"

using namespace dcl;
using namespace cli_test;
namespace fs = std::filesystem;

TEST(ExportCli, ExportHoldsEveryTensorByNameAndLoadsBackToTheSamePredictions) {
  std::string dir = temp_dir("export"), data = dir + "/data", run = dir + "/run", file = dir + "/run.pt";
  fs::create_directories(data);
  tiny_dataset::write(data);
  CliResult t = run_dcl("train --data fmnist --data-dir " + data +
                        " --arch fc --method dcl --epochs 1 --batch-size 64 --threads 1 --out " + run);
  ASSERT_EQ(t.code, 0) << t.output;
  CliResult e = run_dcl("export --run " + run + " --out " + file);
  ASSERT_EQ(e.code, 0) << e.output;

  LoadedModel from_run = load_model(run);
  std::string bytes = read_file(file);
  c10::IValue saved = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  ASSERT_TRUE(saved.isGenericDict());
  auto tensors = saved.toGenericDict();
  auto state = from_run.model.named_state();
  ASSERT_EQ(size_t(tensors.size()), state.size());
  for (auto& [name, t] : state) {
    auto it = tensors.find(name);
    ASSERT_NE(it, tensors.end()) << name;
    EXPECT_TRUE(torch::equal(it->value().toTensor(), t)) << name;
  }
  nlohmann::json a = read_json(file + ".json");
  EXPECT_EQ(a["config"]["method"], "dcl");
  EXPECT_EQ(a["class_names"][9], "Ankle boot");
  EXPECT_EQ(a["tensors"].size(), state.size());

  LoadedModel from_export = load_model(file);
  torch::Tensor images = torch::randint(0, 256, {16, 1, 28, 28}, torch::kUInt8);
  torch::Tensor x = from_run.normalise(images);
  EXPECT_TRUE(torch::equal(x, from_export.normalise(images)));
  EXPECT_TRUE(torch::equal(from_run.predict(x), from_export.predict(x)));
  // The normalisation is the run's: (pixel / 255 - mean) / std.
  EXPECT_NEAR(x[0][0][0][0].item<double>(), (images[0][0][0][0].item<int>() / 255.0 - 0.286) / 0.353, 1e-5);

  // A damaged export is refused naming the file, not half-loaded.
  std::ofstream(file, std::ios::binary | std::ios::trunc) << "not a zip";
  try {
    load_model(file);
    FAIL() << "a damaged export loaded";
  } catch (const std::runtime_error& err) {
    EXPECT_NE(std::string(err.what()).find(file + " is not a file torch.save wrote"), std::string::npos) << err.what();
  }
  fs::remove(file + ".json");
  EXPECT_THROW(load_model(file), std::runtime_error);
  fs::remove_all(dir);
}

TEST(ExportCli, BadRunIsOneLineNamingIt) {
  CliResult r = run_dcl("export --run /nonexistent/run --out /tmp/x.pt");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.output, "dcl: error: --run /nonexistent/run: not a directory\n");
}

TEST(RunCli, ErrorsGoToTheCallerAndEveryCallParsesAfresh) {
  auto run = [](std::vector<std::string> args, std::string& error) {
    args.insert(args.begin(), "dcl");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    return cli::run_cli(int(args.size()), argv.data(), &error);
  };
  std::string error;
  EXPECT_EQ(run({"train", "--no-such-flag"}, error), 2);
  EXPECT_NE(error.find("--no-such-flag"), std::string::npos) << error;
  EXPECT_EQ(error.find("dcl: error:"), std::string::npos) << error;  // the line alone
  EXPECT_NE(run({"train", "--resume", "/nonexistent/run"}, error), 0);
  EXPECT_NE(error.find("--resume /nonexistent/run"), std::string::npos) << error;
  // The flags of the call before are gone: this one is not a resume.
  EXPECT_NE(run({"train", "--data", "no-such-data", "--out", "/nonexistent/out"}, error), 0);
  EXPECT_EQ(error.find("--resume"), std::string::npos) << error;
  EXPECT_NE(error.find("no-such-data"), std::string::npos) << error;
}
