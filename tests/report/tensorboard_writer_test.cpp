// TensorBoardWriter: CRC-32C, the TFRecord framing and Event encoding read back byte by byte,
// failures that must be reported, and (when the tools venv exists) the real TensorBoard reader.
#include "dcl/report/tensorboard_writer.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "report/crc32c.h"

#ifdef DCL_TOOLS_PYTHON
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#endif

namespace dcl {
namespace {

namespace fs = std::filesystem;

// A fresh directory under GoogleTest's temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::path(::testing::TempDir()) / "dcl_tensorboard_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

uint64_t le(const std::string& bytes, size_t pos, int count) {
  uint64_t v = 0;
  for (int i = 0; i < count; ++i) v |= uint64_t(static_cast<unsigned char>(bytes[pos + size_t(i)])) << (8 * i);
  return v;
}

// The TFRecord mask, restated from the format's definition rather than taken from the writer.
uint32_t masked(const std::string& bytes, size_t pos, size_t size) {
  const uint32_t crc = crc32c(bytes.data() + pos, size);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

// Splits a TFRecord file into its records, checking every length and both CRCs on the way.
std::vector<std::string> read_records(const std::string& bytes) {
  std::vector<std::string> records;
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 12) {
      ADD_FAILURE() << "truncated record header at byte " << pos;
      break;
    }
    const uint64_t length = le(bytes, pos, 8);
    EXPECT_EQ(le(bytes, pos + 8, 4), masked(bytes, pos, 8)) << "length crc of the record at byte " << pos;
    if (bytes.size() - pos - 12 < length + 4) {
      ADD_FAILURE() << "truncated record data at byte " << pos;
      break;
    }
    EXPECT_EQ(le(bytes, pos + 12 + length, 4), masked(bytes, pos + 12, length)) << "data crc at byte " << pos;
    records.push_back(bytes.substr(pos + 12, length));
    pos += 12 + length + 4;
  }
  return records;
}

// Just enough of a protobuf decoder to check the writer's encoding independently of it.
struct ProtoField {
  uint32_t number = 0;
  uint32_t wire_type = 0;
  uint64_t number_value = 0;  // varint, fixed64 or fixed32
  std::string bytes;          // length-delimited
};

uint64_t read_varint(const std::string& msg, size_t& pos) {
  uint64_t v = 0;
  for (int shift = 0; pos < msg.size() && shift < 64; shift += 7) {
    const auto byte = static_cast<unsigned char>(msg[pos++]);
    v |= uint64_t(byte & 0x7Fu) << shift;
    if ((byte & 0x80u) == 0) return v;
  }
  throw std::runtime_error("bad varint");
}

std::vector<ProtoField> decode(const std::string& msg) {
  std::vector<ProtoField> fields;
  size_t pos = 0;
  while (pos < msg.size()) {
    const uint64_t key = read_varint(msg, pos);
    ProtoField f;
    f.number = static_cast<uint32_t>(key >> 3);
    f.wire_type = static_cast<uint32_t>(key & 7u);
    if (f.wire_type == 0) {
      f.number_value = read_varint(msg, pos);
    } else if (f.wire_type == 1 || f.wire_type == 5) {
      const int size = f.wire_type == 1 ? 8 : 4;
      if (msg.size() - pos < size_t(size)) throw std::runtime_error("truncated fixed field");
      f.number_value = le(msg, pos, size);
      pos += size_t(size);
    } else if (f.wire_type == 2) {
      const uint64_t size = read_varint(msg, pos);
      if (msg.size() - pos < size) throw std::runtime_error("truncated length-delimited field");
      f.bytes = msg.substr(pos, size);
      pos += size;
    } else {
      throw std::runtime_error("unexpected wire type " + std::to_string(f.wire_type));
    }
    fields.push_back(f);
  }
  return fields;
}

// The only field `number` of `msg`, which must have `wire_type`.
ProtoField field(const std::string& msg, uint32_t number, uint32_t wire_type) {
  std::vector<ProtoField> found;
  for (const ProtoField& f : decode(msg))
    if (f.number == number) found.push_back(f);
  if (found.size() != 1) throw std::runtime_error("field " + std::to_string(number) + " not present exactly once");
  if (found[0].wire_type != wire_type) throw std::runtime_error("field " + std::to_string(number) + ": wire type");
  return found[0];
}

double as_double(uint64_t bits) {
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

float as_float(uint64_t bits) {
  const auto bits32 = static_cast<uint32_t>(bits);
  float v;
  std::memcpy(&v, &bits32, sizeof v);
  return v;
}

TEST(Crc32c, KnownAnswers) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c("", 0), 0u);
  // RFC 3720 (iSCSI) appendix B.4: 32 bytes of zeros, of 0xFF.
  const std::string zeros(32, '\0'), ones(32, '\xFF');
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones.data(), ones.size()), 0x62A8AB43u);
}

TEST(TensorBoardWriter, FileNameFollowsTensorBoardsPattern) {
  TempDir dir;
  TensorBoardWriter a(dir.path()), b(dir.path());
  const std::string name = fs::path(a.path()).filename().string();
  EXPECT_EQ(fs::path(a.path()).parent_path(), fs::path(dir.path()));
  EXPECT_EQ(name.rfind("events.out.tfevents.", 0), 0u) << name;
  EXPECT_NE(name.find("." + std::to_string(::getpid()) + "."), std::string::npos) << name;
  EXPECT_NE(a.path(), b.path()) << "two writers in one directory need two files";
}

TEST(TensorBoardWriter, RecordsAreFramedAndEventsEncoded) {
  TempDir dir;
  std::string path;
  {
    TensorBoardWriter writer(dir.file("logs"));
    path = writer.path();
    writer.add_scalar("loss/block0", 0.25, 0, 1700000000.5);
    writer.add_scalar("accuracy", -3.0e-7, 123456789012345, 1700000001.25);
    writer.add_scalar("negative_step", 1.0, -2, 1700000002.0);
  }  // the destructor flushes
  const std::vector<std::string> records = read_records(read_bytes(path));
  ASSERT_EQ(records.size(), 4u);

  EXPECT_EQ(field(records[0], 3, 2).bytes, "brain.Event:2");
  EXPECT_GT(as_double(field(records[0], 1, 1).number_value), 1.5e9) << "wall time is now, in seconds";

  struct Expected {
    std::string tag;
    float value;
    int64_t step;
    double wall_time;
  };
  const Expected expected[] = {{"loss/block0", 0.25f, 0, 1700000000.5},
                               {"accuracy", -3.0e-7f, 123456789012345, 1700000001.25},
                               {"negative_step", 1.0f, -2, 1700000002.0}};
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(expected[i].tag);
    const std::string& event = records[i + 1];
    EXPECT_EQ(as_double(field(event, 1, 1).number_value), expected[i].wall_time);
    EXPECT_EQ(static_cast<int64_t>(field(event, 2, 0).number_value), expected[i].step);
    const std::string value = field(field(event, 5, 2).bytes, 1, 2).bytes;  // Event.summary.value
    EXPECT_EQ(field(value, 1, 2).bytes, expected[i].tag);
    EXPECT_EQ(as_float(field(value, 2, 5).number_value), expected[i].value);
  }
}

TEST(TensorBoardWriter, FlushMakesEventsVisibleBeforeClosing) {
  TempDir dir;
  TensorBoardWriter writer(dir.path());
  writer.add_scalar("x", 1.0, 1);
  writer.flush();
  EXPECT_EQ(read_records(read_bytes(writer.path())).size(), 2u);
  writer.add_scalar("x", 2.0, 2);
  writer.flush();
  EXPECT_EQ(read_records(read_bytes(writer.path())).size(), 3u);
}

TEST(TensorBoardWriter, CreatesMissingParents) {
  TempDir dir;
  TensorBoardWriter writer(dir.file("a/b/c"));
  EXPECT_EQ(fs::path(writer.path()).parent_path(), fs::path(dir.file("a/b/c")));
  EXPECT_TRUE(fs::is_regular_file(writer.path()));
}

TEST(TensorBoardWriter, UnusableDirectoryThrowsNamingThePath) {
  TempDir dir;
  std::ofstream(dir.file("plain")) << "a regular file";
  const std::string bad = dir.file("plain/logs");
  try {
    TensorBoardWriter writer(bad);
    FAIL() << "expected an error for " << bad;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Not a directory"), std::string::npos) << e.what();
  }
}

// Lowers this process's file-size limit (and ignores the SIGXFSZ it raises) for one scope, so
// that writes fail with EFBIG as they would on a full disk.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    rlimit limit = saved_;
    limit.rlim_cur = saved_.rlim_max == RLIM_INFINITY || bytes < saved_.rlim_max ? bytes : saved_.rlim_max;
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, old_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
  void (*old_handler_)(int) = SIG_DFL;
};

TEST(TensorBoardWriter, FailedWriteIsReportedNamingTheFile) {
  TempDir dir;
  TensorBoardWriter writer(dir.path());
  for (int step = 0; step < 10; ++step) writer.add_scalar("a_long_tag/" + std::string(50, 't'), 1.0, step);
  std::string error;  // the limit covers the flush only: GoogleTest's own output may be a file too
  {
    FileSizeLimit limit(100);
    try {
      writer.flush();
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
  }
  EXPECT_NE(error.find(writer.path()), std::string::npos) << "expected an error naming the file, got: " << error;
  // The failure stays: later events must not be silently dropped either.
  EXPECT_THROW(writer.add_scalar("x", 1.0, 11), std::runtime_error);
  EXPECT_THROW(writer.flush(), std::runtime_error);
}

#ifdef DCL_TOOLS_PYTHON
std::string shell_quote(const std::string& s) {
  std::string quoted = "'";
  for (char c : s) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// Runs tests/report/read_tensorboard_events.py on `dir`; returns its exit status and stdout.
std::pair<int, std::string> read_with_tensorboard(const std::string& dir) {
  const std::string command = shell_quote(DCL_TOOLS_PYTHON) + " " +
                              shell_quote(std::string(DCL_TEST_SOURCE_DIR) + "/report/read_tensorboard_events.py") +
                              " " + shell_quote(dir);
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(TensorBoardWriter, RealTensorBoardReadsTheScalars) {
  TempDir dir;
  const double start = 1700000000.0;
  {
    TensorBoardWriter writer(dir.path());
    for (int64_t step = 0; step < 20; ++step) {
      writer.add_scalar("loss/block0", 2.5 / double(step + 1), step, start + double(step));
      if (step % 5 == 0) writer.add_scalar("accuracy", -0.1 * double(step) + 1e-9, step, start + double(step) + 0.5);
    }
    writer.add_scalar("now", 42.0, 7);
  }
  const auto [status, out] = read_with_tensorboard(dir.path());
  ASSERT_EQ(status, 0) << out;
  const nlohmann::json scalars = nlohmann::json::parse(out);
  ASSERT_EQ(scalars.size(), 3u) << out;

  const auto& loss = scalars.at("loss/block0");
  ASSERT_EQ(loss.size(), 20u);
  for (int64_t step = 0; step < 20; ++step) {
    const auto& e = loss[size_t(step)];
    EXPECT_EQ(e[0].get<int64_t>(), step);
    // float -> Python double -> JSON -> double -> float is exact: compare as floats.
    EXPECT_EQ(static_cast<float>(e[1].get<double>()), static_cast<float>(2.5 / double(step + 1)));
    EXPECT_DOUBLE_EQ(e[2].get<double>(), start + double(step));
  }
  const auto& accuracy = scalars.at("accuracy");
  ASSERT_EQ(accuracy.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const auto step = int64_t(i) * 5;
    EXPECT_EQ(accuracy[i][0].get<int64_t>(), step);
    EXPECT_EQ(static_cast<float>(accuracy[i][1].get<double>()), static_cast<float>(-0.1 * double(step) + 1e-9));
    EXPECT_DOUBLE_EQ(accuracy[i][2].get<double>(), start + double(step) + 0.5);
  }
  const auto& now = scalars.at("now");
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0][0].get<int64_t>(), 7);
  EXPECT_EQ(now[0][1].get<double>(), 42.0);
  EXPECT_NEAR(now[0][2].get<double>(), double(::time(nullptr)), 600.0);
}

TEST(TensorBoardWriter, CorruptedRecordIsAnErrorForTheReader) {
  TempDir dir;
  std::string path;
  {
    TensorBoardWriter writer(dir.path());
    writer.add_scalar("x", 1.0, 0);
    path = writer.path();
  }
  std::string bytes = read_bytes(path);
  bytes[bytes.size() - 6] ^= 0x01;  // inside the last event's data
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  EXPECT_NE(read_with_tensorboard(dir.path()).first, 0);
}
#endif  // DCL_TOOLS_PYTHON

}  // namespace
}  // namespace dcl
