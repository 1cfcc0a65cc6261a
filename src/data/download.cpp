// `dcl data fetch`: libcurl downloads verified against published MD5s.
#include "dcl/data/download.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <vector>

#include "dcl/data/image_set.h"
#include "md5.h"

namespace fs = std::filesystem;

namespace dcl::data {
namespace {

// The server could not be reached at all: fetch_dataset turns this into offline instructions.
class UnreachableError : public DataError {
 public:
  using DataError::DataError;
};

constexpr long kConnectTimeoutS = 20;
// A transfer slower than 1 KiB/s for a minute is considered stalled and aborted.
constexpr long kLowSpeedBytesPerS = 1024;
constexpr long kLowSpeedTimeS = 60;

void global_init_once() {
  static std::once_flag flag;
  std::call_once(flag, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw DataError("libcurl initialisation failed");
  });
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

std::string megabytes(long long bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", bytes / 1e6);
  return text;
}

// State shared with the C callbacks; they must not throw through libcurl.
struct Transfer {
  FILE* out = nullptr;
  Md5 md5;
  std::string write_error;
  const ProgressFn* progress = nullptr;
  std::exception_ptr progress_error;
};

size_t on_data(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (std::fwrite(data, 1, bytes, t->out) != bytes) {
    t->write_error = std::strerror(errno);
    return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  t->md5.update(data, bytes);
  return bytes;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  try {
    (*t->progress)(now, total);
    return 0;
  } catch (...) {
    t->progress_error = std::current_exception();
    return 1;  // aborts the transfer; the exception is rethrown once curl has returned
  }
}

// Removes the temporary file unless the download was committed under its final name.
class PartFile {
 public:
  explicit PartFile(std::string path) : path_(std::move(path)) {}
  ~PartFile() {
    if (file_) std::fclose(file_);
    if (!committed_) std::remove(path_.c_str());
  }
  void open(const std::string& url) {
    file_ = std::fopen(path_.c_str(), "wb");
    if (!file_) throw DataError("download of " + url + ": cannot create " + path_ + ": " + std::strerror(errno));
  }
  FILE* get() const { return file_; }
  // Flushes and closes; false (with errno set) when the data did not reach the disk.
  bool close() {
    FILE* f = file_;
    file_ = nullptr;
    return std::fclose(f) == 0;
  }
  void commit() { committed_ = true; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  FILE* file_ = nullptr;
  bool committed_ = false;
};

std::string curl_failure(CURL* curl, CURLcode code, const char* detail, const Transfer& t) {
  const std::string reason = detail[0] ? detail : curl_easy_strerror(code);
  switch (code) {
    case CURLE_HTTP_RETURNED_ERROR: {
      long status = 0;
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
      return "server answered HTTP " + std::to_string(status) + " (" + reason + ")";
    }
    case CURLE_PARTIAL_FILE: {
      curl_off_t got = 0, expected = -1;
      curl_easy_getinfo(curl, CURLINFO_SIZE_DOWNLOAD_T, &got);
      curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expected);
      std::string what = "transfer interrupted after " + std::to_string(got) + " bytes";
      if (expected >= 0) what += " of " + std::to_string(expected);
      return what + " (" + reason + ")";
    }
    case CURLE_WRITE_ERROR:
      if (!t.write_error.empty()) return "cannot write the downloaded data: " + t.write_error;
      return reason;
    case CURLE_OPERATION_TIMEDOUT: return "timed out or stalled (" + reason + ")";
    default: return reason;
  }
}

bool is_unreachable(CURL* curl, CURLcode code) {
  if (code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_PROXY)
    return true;
  // A connect timeout reports OPERATION_TIMEDOUT too; no response at all means we never got through.
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  return code == CURLE_OPERATION_TIMEDOUT && status == 0;
}

}  // namespace

void download_file(const std::string& url, const std::string& dest_path, const std::string& expected_md5,
                   const ProgressFn& progress) {
  global_init_once();
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) throw DataError("download of " + url + ": libcurl could not create a handle");

  PartFile part(dest_path + ".part");
  part.open(url);
  Transfer t;
  t.out = part.get();
  t.progress = progress ? &progress : nullptr;
  char detail[CURL_ERROR_SIZE] = "";

  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutS);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, kLowSpeedBytesPerS);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, kLowSpeedTimeS);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM-based DNS timeouts in threaded callers
  curl_easy_setopt(c, CURLOPT_USERAGENT, "dcl-data-fetch/1");
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  if (t.progress) {
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  }

  const CURLcode code = curl_easy_perform(c);
  if (t.progress_error) std::rethrow_exception(t.progress_error);
  if (code != CURLE_OK) {
    const std::string message = "download of " + url + " failed: " + curl_failure(c, code, detail, t);
    if (is_unreachable(c, code)) throw UnreachableError(message);
    throw DataError(message);
  }
  if (!part.close())
    throw DataError("download of " + url + ": cannot write " + part.path() + ": " + std::strerror(errno));

  const std::string actual = t.md5.hex_digest();
  if (!expected_md5.empty() && actual != lower(expected_md5))
    throw DataError("download of " + url + ": checksum mismatch (expected md5 " + lower(expected_md5) + ", got " +
                    actual + "); the file was discarded");
  if (std::rename(part.path().c_str(), dest_path.c_str()) != 0)
    throw DataError("download of " + url + ": cannot rename " + part.path() + " to " + dest_path + ": " +
                    std::strerror(errno));
  part.commit();
}

namespace {

std::string mirror_url(const std::string& mirror, const RemoteFile& file) {
  if (mirror.empty()) return file.url;
  return mirror.back() == '/' ? mirror + file.filename : mirror + "/" + file.filename;
}

bool verified(const std::string& path, const std::string& md5) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  return md5.empty() || md5_file(path) == lower(md5);
}

bool all_present(const std::string& dir, const DatasetInfo& info) {
  std::error_code ec;
  for (const auto* list : {&info.train_files, &info.test_files})
    for (const auto& f : *list)
      if (!fs::exists(fs::path(dir) / f, ec)) return false;
  return true;
}

// What a user without network access has to do instead.
std::string offline_instructions(const DatasetInfo& info, const std::string& dir, const std::string& failure) {
  std::ostringstream s;
  s << failure << "\nThe server cannot be reached (is this machine offline?). Download these files on a machine "
    << "with network access and place them in " << dir << ":\n";
  for (const auto& f : info.downloads) s << "  " << f.filename << "  (from " << f.url << ")\n";
  const bool archives =
      std::any_of(info.downloads.begin(), info.downloads.end(), [](const RemoteFile& f) { return f.unpack; });
  if (archives) {
    s << "then extract the archives there, so that these files exist:\n";
    for (const auto* list : {&info.train_files, &info.test_files})
      for (const auto& f : *list) s << "  " << (fs::path(dir) / f).string() << "\n";
  }
  s << "Running `dcl data fetch " << info.name << " --dir " << dir << "` afterwards verifies their checksums.";
  return s.str();
}

// One progress line on stderr, redrawn in place at most ten times a second.
class ProgressLine {
 public:
  explicit ProgressLine(std::string name) : name_(std::move(name)), start_(Clock::now()) {}
  void update(long long now, long long total) {
    if (now == 0) return;  // nothing to show yet (and nothing at all if the connection fails)
    const auto t = Clock::now();
    const bool complete = total > 0 && now == total;
    if (complete ? now == last_now_ : t - last_ < std::chrono::milliseconds(100)) return;
    last_ = t;
    last_now_ = now;
    const double seconds = std::chrono::duration<double>(t - start_).count();
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.1f MB/s", seconds > 0 ? now / 1e6 / seconds : 0.0);
    std::string line = "\r  " + name_ + "  ";
    if (total > 0) {
      line += std::to_string(now * 100 / total) + "%  " + megabytes(now) + " / " + megabytes(total) + " MB";
    } else {
      line += megabytes(now) + " MB";
    }
    line += "  " + std::string(rate) + "   ";
    std::cerr << line << std::flush;
    drawn_ = true;
  }
  void finish() {
    if (drawn_) std::cerr << "\n" << std::flush;
    drawn_ = false;
  }

 private:
  using Clock = std::chrono::steady_clock;
  std::string name_;
  Clock::time_point start_, last_{};
  long long last_now_ = -1;
  bool drawn_ = false;
};

}  // namespace

void fetch_dataset(const DatasetInfo& info, const std::string& dir, const std::string& mirror, bool show_progress) {
  fs::create_directories(dir);
  std::vector<std::string> report;  // one line per file, printed at the end
  for (const auto& file : info.downloads) {
    const std::string dest = (fs::path(dir) / file.filename).string();
    if (verified(dest, file.md5)) {
      report.push_back("verified " + dest + " (already present)");
      // The archive is verified; extract again only when its contents went missing.
      if (!file.unpack || all_present(dir, info)) continue;
    } else {
      std::error_code ec;
      const bool replacing = fs::exists(dest, ec);
      // A damaged or outdated copy stays until a verified download replaces it (download_file
      // writes DEST.part and renames it over DEST only after the checksum matched): offline, the
      // user's file is still there to inspect.
      if (replacing) std::cerr << "  " << dest << ": checksum does not match, downloading a verified copy\n";
      ProgressLine line(file.filename);
      ProgressFn progress;
      if (show_progress) progress = [&line](long long now, long long total) { line.update(now, total); };
      try {
        download_file(mirror_url(mirror, file), dest, file.md5, progress);
      } catch (const UnreachableError& e) {
        line.finish();
        std::string kept = replacing ? "\n" + dest + " was kept as it was, but its md5 is not " + file.md5 +
                                           "; replace it with the original file."
                                     : "";
        throw DataError(offline_instructions(info, dir, e.what()) + kept);
      } catch (...) {
        line.finish();
        throw;
      }
      line.finish();
      report.push_back("wrote    " + dest);
    }
    if (file.unpack) {
      if (show_progress) std::cerr << "  extracting " << file.filename << "\n";
      unpack_archive(dest, dir);
      report.push_back("unpacked " + file.filename + " into " + dir);
    }
  }
  std::cout << info.name << ":\n";
  for (const auto& line : report) std::cout << "  " << line << "\n";
}

}  // namespace dcl::data
