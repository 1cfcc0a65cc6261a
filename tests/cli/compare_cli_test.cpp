// `dcl compare` end to end on real Fashion-MNIST: tables, skipping finished runs, resuming
// interrupted ones, refusing other settings in the same directory.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_test_util.h"

namespace fs = std::filesystem;
using namespace cli_test;

namespace {

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

}  // namespace

TEST(CompareE2E, WritesBothTablesSkipsFinishedRunsAndResumesInterruptedOnes) {
  if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  std::string dir = temp_dir("compare");
  std::string args =
      "compare --data fmnist --arch fc --methods bp,cafo --epochs 1 --batch-size 128 --limit-train 512 "
      "--limit-test 200 --fc-width 256 --threads 1 --reference --out " +
      dir;
  // Interrupted in the first run: a checkpoint, no tables.
  CliResult first = run_dcl(args + " --stop-after-steps 2");
  ASSERT_EQ(first.code, 130) << first.output;
  EXPECT_TRUE(fs::exists(dir + "/bp-seed1/checkpoint.pt"));
  EXPECT_FALSE(fs::exists(dir + "/compare.md"));
  // Given again: the interrupted run resumes, the other one trains.
  CliResult second = run_dcl(args);
  ASSERT_EQ(second.code, 0) << second.output;
  EXPECT_NE(second.output.find("resuming"), std::string::npos) << second.output;
  std::string md = read_file(dir + "/compare.md"), csv = read_file(dir + "/compare.csv");
  EXPECT_NE(md.find("| bp |"), std::string::npos) << md;
  EXPECT_NE(md.find("| cafo |"), std::string::npos) << md;
  // --reference: Table 3's F-MNIST BP error (4.53) is VGG8B's, so the fc row shows none, and says why.
  EXPECT_NE(md.find("paper error % (VGG8B)"), std::string::npos) << md;
  EXPECT_EQ(md.find("4.53"), std::string::npos) << md;
  EXPECT_NE(md.find("on VGG8B rows only"), std::string::npos) << md;
  EXPECT_EQ(count(csv, "\n"), 3) << csv;
  EXPECT_EQ(csv.rfind("method,seeds,test_error_mean", 0), 0u) << csv;
  EXPECT_NE(csv.find("\nbp,1,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\ncafo,1,"), std::string::npos) << csv;
  // The learning curves beside the tables, unless this dcl was built without figures.
  if (second.output.find("built without figures") == std::string::npos) {
    EXPECT_EQ(read_file(dir + "/learning_curves.png").substr(1, 3), "PNG") << second.output;
  }
  // Given a third time: nothing trains, the same tables come out.
  std::string summary = read_file(dir + "/cafo-seed1/summary.json");
  CliResult third = run_dcl(args);
  ASSERT_EQ(third.code, 0) << third.output;
  EXPECT_EQ(count(third.output, "skipped"), 2) << third.output;
  EXPECT_EQ(third.output.find("epoch 1/1"), std::string::npos) << third.output;
  EXPECT_EQ(read_file(dir + "/cafo-seed1/summary.json"), summary);
  EXPECT_EQ(read_file(dir + "/compare.csv"), csv);
  // A run's config.json is its complete record: a key removed from it is named, by file and key.
  const std::string saved_config = read_file(dir + "/cafo-seed1/config.json");
  nlohmann::json old_config = nlohmann::json::parse(saved_config);
  old_config.erase("ll_beta");
  std::ofstream(dir + "/cafo-seed1/config.json") << old_config.dump(2);
  CliResult fourth = run_dcl(args);
  EXPECT_NE(fourth.code, 0) << fourth.output;
  EXPECT_NE(fourth.output.find(dir + "/cafo-seed1/config.json: key 'll_beta' is missing"), std::string::npos)
      << fourth.output;
  std::ofstream(dir + "/cafo-seed1/config.json") << saved_config;
  // Other settings into the same directory are refused, naming what differs.
  CliResult other = run_dcl(
      "compare --data fmnist --arch fc --methods bp --epochs 2 --batch-size 128 --limit-train 512 "
      "--limit-test 200 --fc-width 256 --threads 1 --out " +
      dir);
  EXPECT_NE(other.code, 0);
  EXPECT_NE(other.output.find("epochs"), std::string::npos) << other.output;
  fs::remove_all(dir);
}

TEST(Compare, UnknownMethodIsAnErrorBeforeAnythingTrains) {
  std::string dir = temp_dir("compare_bad");
  CliResult r = run_dcl("compare --data fmnist --methods bp,nope --out " + dir);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("unknown method 'nope'"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir + "/bp-seed1"));
  fs::remove_all(dir);
}

TEST(CompareE2E, DclVariantsAreRowsWithTheirOwnSettings) {
  if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  std::string dir = temp_dir("compare_variants");
  CliResult r = run_dcl(
      "compare --data fmnist --arch fc --fc-width 256 --dcl-variants --epochs 1 --batch-size 128 "
      "--limit-train 512 --limit-test 256 --threads 2 --out " +
      dir);
  ASSERT_EQ(r.code, 0) << r.output;
  std::string csv = read_file(dir + "/compare.csv");
  for (const char* row :
       {"\ndcl-s,", "\ndcl-s:dict_init=orthogonal,", "\ndcl,", "\ndcl:similarity=cos,", "\ndcl:dict_map=linear,"})
    EXPECT_NE(csv.find(row), std::string::npos) << row << csv;
  EXPECT_EQ(read_json(dir + "/dcl.dict_map=linear-seed1/config.json")["dict_map"], "linear");
  EXPECT_EQ(read_json(dir + "/dcl-s.dict_init=orthogonal-seed1/config.json")["dict_init"], "orthogonal");
  EXPECT_EQ(read_json(dir + "/dcl.similarity=cos-seed1/config.json")["similarity"], "cos");
  // The linear map is trained state of its own: more auxiliary parameters than pooling's none.
  EXPECT_GT(read_json(dir + "/dcl.dict_map=linear-seed1/summary.json")["auxiliary_params"].get<int64_t>(),
            read_json(dir + "/dcl-seed1/summary.json")["auxiliary_params"].get<int64_t>());
  fs::remove_all(dir);
}

TEST(Compare, ARowThatCannotBeBuiltIsAnErrorBeforeAnythingTrains) {
  std::string dir = temp_dir("compare_bad_row");
  CliResult r =
      run_dcl("compare --data fmnist --arch fc --fc-width 64 --methods dcl,dcl-s:dict_init=orthogonal --out " + dir);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("--dict-init orthogonal needs Z <= CD (Z=10, CD=8)"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir + "/dcl-seed1"));
  fs::remove_all(dir);
}
