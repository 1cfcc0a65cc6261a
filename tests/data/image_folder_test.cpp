// The ImageFolder layout and list files: classes, labels, and every layout mistake named.
#include "dcl/data/image_folder.h"

#include <gtest/gtest.h>

#include "image_tree.h"

using namespace dcl::data;
using namespace dcl::data::test;

TEST(ImageFolder, ClassesAreTheSortedFolderNamesAndFilesOtherThanImagesAreIgnored) {
  TempDir dir;
  write_flat_tree(dir.path(), {"zebra", "apple", "mango"}, 2, 1, 8, 3);
  write_bytes(dir.file("train/apple/notes.txt"), {'x'});
  write_bytes(dir.file("train/apple/.DS_Store"), {'x'});
  ImageFolderIndex index = scan_image_folder(dir.path());
  EXPECT_EQ(index.class_names, (std::vector<std::string>{"apple", "mango", "zebra"}));
  ASSERT_EQ(index.train.size(), 6u);
  ASSERT_EQ(index.test.size(), 3u);
  EXPECT_NE(index.train[0].path.find("/train/apple/"), std::string::npos);
  EXPECT_EQ(index.train[0].label, 0);
  EXPECT_EQ(index.train[5].label, 2);
  EXPECT_EQ(index.ignored_files, 1);  // notes.txt; hidden files are not counted
  EXPECT_NE(index.test_name.find("val"), std::string::npos);
}

TEST(ImageFolder, TestIsTakenWhenThereIsNoVal) {
  TempDir dir;
  write_flat_tree(dir.path(), {"a", "b"}, 1, 1, 8, 1, "test");
  EXPECT_EQ(scan_image_folder(dir.path()).test.size(), 2u);
}

TEST(ImageFolder, LayoutMistakesAreNamed) {
  TempDir dir;
  expect_data_error({dir.path() + "/nothing", "no such folder"}, [&] { scan_image_folder(dir.path() + "/nothing"); });
  write_flat_tree(dir.path(), {"a", "b"}, 1, 0, 8, 1);
  expect_data_error({"no val/ or test/"}, [&] { scan_image_folder(dir.path()); });
  write_flat_tree(dir.path(), {"a"}, 0, 1, 8, 1);
  expect_data_error({"val", "no folder for class 'b'"}, [&] { scan_image_folder(dir.path()); });
  write_flat_tree(dir.path(), {"b", "c"}, 0, 1, 8, 1);
  expect_data_error({"class folder 'c' is not in the training split"}, [&] { scan_image_folder(dir.path()); });
  std::filesystem::remove_all(dir.path() + "/val/c");
  std::filesystem::create_directories(dir.path() + "/train/empty");
  std::filesystem::create_directories(dir.path() + "/val/empty");
  expect_data_error({"train/empty", "has no .jpg, .jpeg or .png files"}, [&] { scan_image_folder(dir.path()); });
}

TEST(ImageFolder, AnUnreadableFolderIsNamed) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any folder";
  TempDir dir;
  write_flat_tree(dir.path(), {"a", "b"}, 1, 1, 8, 1);
  std::filesystem::permissions(dir.path() + "/train/b", std::filesystem::perms::none);
  expect_data_error({"train/b", "cannot read the folder"}, [&] { scan_image_folder(dir.path()); });
  std::filesystem::permissions(dir.path() + "/train/b", std::filesystem::perms::owner_all);
}

TEST(ImageList, NumericLabelsNameClassesByNumberAndPathsAreRelativeToTheRoot) {
  TempDir dir;
  write_bytes(dir.file("lists/train.txt"), {});
  {
    std::ofstream("" + dir.file("lists/train.txt"))
        << "img/a.png 0\n# a comment\n\nimg/with space.png 2\nimg/c.png 1\n";
    std::ofstream("" + dir.file("lists/test.txt")) << "img/b.png 1\r\n";
  }
  ImageFolderIndex index = read_image_lists(dir.path() + "/lists/train.txt", dir.path() + "/lists/test.txt", "/data");
  EXPECT_EQ(index.class_names, (std::vector<std::string>{"0", "1", "2"}));
  ASSERT_EQ(index.train.size(), 3u);
  EXPECT_EQ(index.train[1].path, "/data/img/with space.png");
  EXPECT_EQ(index.train[1].label, 2);
  EXPECT_EQ(index.test[0].label, 1);
  // Without a root, paths are relative to the train list's folder.
  ImageFolderIndex here = read_image_lists(dir.path() + "/lists/train.txt", dir.path() + "/lists/test.txt", "");
  EXPECT_EQ(here.train[0].path, dir.path() + "/lists/img/a.png");
  // A class number that no training image has cannot be learned.
  std::ofstream(dir.file("lists/train.txt")) << "img/a.png 0\nimg/b.png 2\n";
  expect_data_error({"train.txt", "class 1 has no training images"},
                    [&] { read_image_lists(dir.path() + "/lists/train.txt", dir.path() + "/lists/test.txt", ""); });
}

TEST(ImageList, NamedLabelsAreSortedAndMistakesNameTheFileAndLine) {
  TempDir dir;
  std::ofstream(dir.file("train.txt")) << "x.png cat\ny.png ant\n";
  std::ofstream(dir.file("test.txt")) << "z.png cat\n";
  ImageFolderIndex index = read_image_lists(dir.file("train.txt"), dir.file("test.txt"), "");
  EXPECT_EQ(index.class_names, (std::vector<std::string>{"ant", "cat"}));
  EXPECT_EQ(index.train[0].label, 1);
  std::ofstream(dir.file("test.txt")) << "z.png dog\n";
  expect_data_error({"test.txt", "label 'dog'", "not a class"},
                    [&] { read_image_lists(dir.file("train.txt"), dir.file("test.txt"), ""); });
  std::ofstream(dir.file("train.txt")) << "x.png cat\nlonely\n";
  expect_data_error({"train.txt line 2", "expected 'relative/path label'"},
                    [&] { read_image_lists(dir.file("train.txt"), dir.file("test.txt"), ""); });
  expect_data_error({"missing.txt", "cannot open"},
                    [&] { read_image_lists(dir.file("missing.txt"), dir.file("test.txt"), ""); });
}
