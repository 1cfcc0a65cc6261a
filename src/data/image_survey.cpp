// The header survey of a folder dataset and its cache file.
#include "dcl/data/image_survey.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "dcl/data/folder_dataset.h"
#include "dcl/data/image_set.h"
#include "dcl/util/atomic_file.h"
#include "parallel_for.h"

namespace dcl::data {
namespace {

constexpr size_t kHeaderBytes = 16 * 1024;  // most headers; a longer EXIF block: the whole file
constexpr char kSurveyMagic[8] = {'D', 'C', 'L', 'S', 'R', 'V', '0', '1'};

void stat_file(const std::string& path, SurveyedImage& s) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    s.problem = path + ": cannot read the file";
    return;
  }
  s.bytes = int64_t(st.st_size);
  s.mtime = int64_t(st.st_mtime);
}

void read_header(const std::string& path, SurveyedImage& s) {
  if (!s.problem.empty()) return;
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw DataError(path + ": cannot open the file");
    std::vector<uint8_t> head(std::min<size_t>(kHeaderBytes, size_t(s.bytes)));
    in.read(reinterpret_cast<char*>(head.data()), std::streamsize(head.size()));
    try {
      s.header = read_image_header(head.data(), head.size(), path);
    } catch (const DataError&) {
      if (head.size() == size_t(s.bytes)) throw;
      std::vector<uint8_t> all = read_image_bytes(path);  // a header beyond the first block
      s.header = read_image_header(all.data(), all.size(), path);
    }
  } catch (const DataError& e) {
    s.problem = e.what();
  }
}

// The cache: magic, count, then per file height, width, grey, format, problem length and text.
template <class T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <class T>
bool take(const std::string& in, size_t& at, T& v) {
  if (at + sizeof v > in.size()) return false;
  std::memcpy(&v, in.data() + at, sizeof v);
  at += sizeof v;
  return true;
}

bool load(const std::string& file, std::vector<SurveyedImage>& survey) {
  std::ifstream f(file, std::ios::binary);
  if (!f) return false;
  const std::string in((std::istreambuf_iterator<char>(f)), {});
  size_t at = 8;
  uint64_t count = 0;
  if (in.size() < 8 || std::memcmp(in.data(), kSurveyMagic, 8) != 0 || !take(in, at, count) || count != survey.size())
    return false;
  for (SurveyedImage& s : survey) {
    int32_t h = 0, w = 0;
    uint8_t grey = 0, format = 0;
    uint32_t length = 0;
    if (!take(in, at, h) || !take(in, at, w) || !take(in, at, grey) || !take(in, at, format) || !take(in, at, length) ||
        at + length > in.size())
      return false;
    s.header.height = h, s.header.width = w, s.header.grey = grey != 0;
    s.header.format = format ? ImageFormat::Png : ImageFormat::Jpeg;
    s.problem.assign(in, at, length);
    at += length;
  }
  return at == in.size();
}

void save(const std::string& file, const std::vector<SurveyedImage>& survey) {
  std::string out(kSurveyMagic, 8);
  put(out, uint64_t(survey.size()));
  for (const SurveyedImage& s : survey) {
    put(out, int32_t(s.header.height));
    put(out, int32_t(s.header.width));
    put(out, uint8_t(s.header.grey));
    put(out, uint8_t(s.header.format == ImageFormat::Png));
    put(out, uint32_t(s.problem.size()));
    out += s.problem;
  }
  try {
    std::filesystem::create_directories(std::filesystem::path(file).parent_path());
    write_file_atomic(file, out);
  } catch (const std::exception&) {
    // An unwritable cache folder costs only the survey's time next run.
  }
}

}  // namespace

std::vector<SurveyedImage> survey_images(const std::vector<std::string>& paths, int threads) {
  std::vector<SurveyedImage> survey(paths.size());
  parallel_for(int64_t(paths.size()), threads, [&](int64_t i) { stat_file(paths[size_t(i)], survey[size_t(i)]); });
  uint64_t key = 1469598103934665603ULL;
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string entry = paths[i] + '\n' + std::to_string(survey[i].bytes) + ' ' + std::to_string(survey[i].mtime);
    for (unsigned char c : entry) key = (key ^ c) * 1099511628211ULL;
  }
  char name[40];
  std::snprintf(name, sizeof name, "/survey-%016llx.bin", (unsigned long long)key);
  const std::string file = image_cache_dir() + name;
  std::vector<SurveyedImage> cached = survey;
  if (load(file, cached)) return cached;
  parallel_for(int64_t(paths.size()), threads, [&](int64_t i) { read_header(paths[size_t(i)], survey[size_t(i)]); });
  save(file, survey);
  return survey;
}

}  // namespace dcl::data
