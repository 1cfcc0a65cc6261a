#pragma once
// Datasets that are folders of image files: torchvision's ImageFolder layout
// (ROOT/train/<class>/*, ROOT/val/<class>/* or ROOT/test/<class>/*) and list files (lines
// "relative/path label"). Only the layout is read here; image_survey.h reads the files' headers.
#include <cstdint>
#include <string>
#include <vector>

namespace dcl::data {

struct ImageFile {
  std::string path;  // absolute or relative to the working directory, as found
  int32_t label = 0;
};

struct ImageFolderIndex {
  std::vector<std::string> class_names;  // label i is class_names[i]
  std::vector<ImageFile> train, test;
  std::string train_name, test_name;  // where the splits came from (folders or list files), for messages
  int64_t ignored_files = 0;          // files without a .jpg/.jpeg/.png name (skipped, as ImageFolder does)
};

// True for names ending in .jpg, .jpeg or .png, in any case.
bool is_image_file_name(const std::string& name);

// ROOT/train and ROOT/val (or ROOT/test): classes are the sub-folders' names, sorted, and both
// splits must have the same ones, each with at least one image. Throws DataError naming the
// folder that is missing, empty, unreadable or lacks a class.
ImageFolderIndex scan_image_folder(const std::string& root);

// Two list files (train, test); each line is "PATH LABEL" with PATH relative to `root` (the
// train list's folder when empty). LABEL is an integer class index (classes named by number) or
// a class name (classes sorted by name). Throws DataError naming the file and line.
ImageFolderIndex read_image_lists(const std::string& train_list, const std::string& test_list, const std::string& root);

}  // namespace dcl::data
