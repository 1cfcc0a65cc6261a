// The ImageFolder layout and list files: which image belongs to which class.
#include "dcl/data/image_folder.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "dcl/data/image_set.h"

namespace dcl::data {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> sorted_entries(const fs::path& dir, bool directories) {
  std::vector<fs::path> out;
  try {
    for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
      std::string name = e.path().filename().string();
      if (name.empty() || name[0] == '.') continue;  // hidden files and folders (.DS_Store, .cache)
      if (e.is_directory() == directories) out.push_back(e.path());
    }
  } catch (const fs::filesystem_error& e) {
    throw DataError(dir.string() + ": cannot read the folder (" + e.code().message() + ")");
  }
  std::sort(out.begin(), out.end());
  return out;
}

// One split: class folders under `dir`, in the order of `classes` (empty: take dir's own).
std::vector<ImageFile> scan_split(const fs::path& dir, std::vector<std::string>& classes, int64_t& ignored) {
  std::vector<std::string> found;
  for (const fs::path& p : sorted_entries(dir, true)) found.push_back(p.filename().string());
  if (found.empty())
    throw DataError(dir.string() + ": no class folders (expected " + dir.string() + "/<class>/<image>)");
  if (classes.empty()) classes = found;
  for (const std::string& c : classes)
    if (!std::binary_search(found.begin(), found.end(), c))
      throw DataError(dir.string() + ": has no folder for class '" + c + "', which the training split has");
  for (const std::string& c : found)
    if (std::find(classes.begin(), classes.end(), c) == classes.end())
      throw DataError(dir.string() + ": class folder '" + c + "' is not in the training split");
  std::vector<ImageFile> files;
  for (size_t label = 0; label < classes.size(); ++label) {
    const fs::path class_dir = dir / classes[label];
    size_t before = files.size();
    for (const fs::path& f : sorted_entries(class_dir, false)) {
      if (is_image_file_name(f.filename().string()))
        files.push_back({f.string(), int32_t(label)});
      else
        ++ignored;
    }
    if (files.size() == before)
      throw DataError(class_dir.string() + ": the class folder has no .jpg, .jpeg or .png files");
  }
  return files;
}

}  // namespace

bool is_image_file_name(const std::string& name) {
  std::string ext = fs::path(name).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

ImageFolderIndex scan_image_folder(const std::string& root) {
  const fs::path base(root);
  std::error_code ec;
  if (!fs::is_directory(base, ec)) throw DataError(root + ": no such folder");
  if (!fs::is_directory(base / "train", ec))
    throw DataError(root +
                    ": no train/ folder (expected the ImageFolder layout: train/<class>/<image> and "
                    "val/<class>/<image> or test/<class>/<image>)");
  fs::path test = base / "val";
  if (!fs::is_directory(test, ec)) test = base / "test";
  if (!fs::is_directory(test, ec)) throw DataError(root + ": no val/ or test/ folder beside train/");
  ImageFolderIndex index;
  index.train = scan_split(base / "train", index.class_names, index.ignored_files);
  index.test = scan_split(test, index.class_names, index.ignored_files);
  index.train_name = (base / "train").string();
  index.test_name = test.string();
  return index;
}

ImageFolderIndex read_image_lists(const std::string& train_list, const std::string& test_list,
                                  const std::string& root) {
  const fs::path base = root.empty() ? fs::path(train_list).parent_path() : fs::path(root);
  struct Line {
    std::string path, label;
  };
  auto read_list = [&](const std::string& file) {
    std::ifstream in(file);
    if (!in) throw DataError(file + ": cannot open the list file");
    std::vector<Line> lines;
    std::string text;
    for (int number = 1; std::getline(in, text); ++number) {
      if (!text.empty() && text.back() == '\r') text.pop_back();
      if (text.find_first_not_of(" \t") == std::string::npos || text[0] == '#') continue;
      // The label is the last field, so paths may hold spaces.
      size_t cut = text.find_last_of(" \t");
      std::string path = cut == std::string::npos ? "" : text.substr(0, text.find_last_not_of(" \t", cut) + 1);
      if (path.empty())
        throw DataError(file + " line " + std::to_string(number) + ": expected 'relative/path label', got '" + text +
                        "'");
      lines.push_back({path, text.substr(cut + 1)});
    }
    if (lines.empty()) throw DataError(file + ": the list file has no images");
    return lines;
  };
  std::vector<Line> train = read_list(train_list), test = read_list(test_list);
  // Integer labels name classes by number; any other label is a class name.
  auto is_index = [](const std::string& s) {
    return !s.empty() && s.size() < 9 &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
  };
  bool numeric = std::all_of(train.begin(), train.end(), [&](const Line& l) { return is_index(l.label); }) &&
                 std::all_of(test.begin(), test.end(), [&](const Line& l) { return is_index(l.label); });
  ImageFolderIndex index;
  std::map<std::string, int32_t> label_of;
  if (numeric) {
    int32_t top = 0;
    for (const auto* lines : {&train, &test})
      for (const Line& l : *lines) top = std::max(top, int32_t(std::stoi(l.label)));
    for (int32_t c = 0; c <= top; ++c) index.class_names.push_back(std::to_string(c)), label_of[std::to_string(c)] = c;
  } else {
    std::set<std::string> names;
    for (const Line& l : train) names.insert(l.label);
    index.class_names.assign(names.begin(), names.end());
    for (size_t c = 0; c < index.class_names.size(); ++c) label_of[index.class_names[c]] = int32_t(c);
  }
  auto files = [&](const std::vector<Line>& lines, const std::string& file) {
    std::vector<ImageFile> out;
    for (const Line& l : lines) {
      auto it = label_of.find(numeric ? std::to_string(std::stoi(l.label)) : l.label);
      if (it == label_of.end())
        throw DataError(file + ": label '" + l.label + "' of " + l.path + " is not a class of the training list");
      fs::path p(l.path);
      out.push_back({(p.is_absolute() ? p : base / p).string(), it->second});
    }
    return out;
  };
  index.train = files(train, train_list);
  index.test = files(test, test_list);
  std::vector<int64_t> per_class(index.class_names.size(), 0);
  for (const ImageFile& f : index.train) ++per_class[size_t(f.label)];
  for (size_t c = 0; c < per_class.size(); ++c)
    if (per_class[c] == 0) throw DataError(train_list + ": class " + index.class_names[c] + " has no training images");
  index.train_name = train_list;
  index.test_name = test_list;
  return index;
}

}  // namespace dcl::data
