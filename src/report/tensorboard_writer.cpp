#include "dcl/report/tensorboard_writer.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "crc32c.h"

namespace dcl {
namespace {

// TFRecord masks its CRCs because a CRC over data that itself holds CRCs is weak.
uint32_t masked_crc32c(const void* data, std::size_t size) {
  const uint32_t crc = crc32c(data, size);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

void put_le(std::string& out, uint64_t bits, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xFFu));
}

// Protobuf wire format: a key (field number << 3 | wire type), then the value.
enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

void put_varint(std::string& out, uint64_t v) {
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7Fu) | 0x80u));
  out.push_back(static_cast<char>(v));
}

void put_key(std::string& out, uint32_t field, WireType type) { put_varint(out, (field << 3) | type); }

void put_double(std::string& out, uint32_t field, double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  put_key(out, field, kFixed64);
  put_le(out, bits, 8);
}

void put_float(std::string& out, uint32_t field, float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  put_key(out, field, kFixed32);
  put_le(out, bits, 4);
}

// int64 is a plain varint of the two's complement (a negative step takes ten bytes).
void put_int64(std::string& out, uint32_t field, int64_t value) {
  put_key(out, field, kVarint);
  put_varint(out, static_cast<uint64_t>(value));
}

void put_bytes(std::string& out, uint32_t field, const std::string& bytes) {
  put_key(out, field, kLengthDelimited);
  put_varint(out, bytes.size());
  out += bytes;
}

// tensorflow.Event's fields (tensorboard/compat/proto/event.proto, summary.proto).
constexpr uint32_t kEventWallTime = 1, kEventStep = 2, kEventFileVersion = 3, kEventSummary = 5;
constexpr uint32_t kSummaryValue = 1;
constexpr uint32_t kValueTag = 1, kValueSimpleValue = 2;

std::string event_header(double wall_time, int64_t step) {
  std::string event;
  put_double(event, kEventWallTime, wall_time);
  put_int64(event, kEventStep, step);
  return event;
}

double now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

TensorBoardWriter::TensorBoardWriter(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("tensorboard: cannot create directory " + dir + ": " + ec.message());

  // The counter keeps two writers of one process apart within the same second.
  static std::atomic<unsigned> counter{0};
  const std::string name = "events.out.tfevents." + std::to_string(std::time(nullptr)) + "." + hostname() + "." +
                           std::to_string(::getpid()) + "." + std::to_string(counter++);
  path_ = (std::filesystem::path(dir) / name).string();
  // "x": never append to or truncate another writer's file.
  file_ = std::fopen(path_.c_str(), "wbx");
  if (file_ == nullptr) throw std::runtime_error("tensorboard: cannot create " + path_ + ": " + std::strerror(errno));

  std::string version = event_header(now(), 0);
  put_bytes(version, kEventFileVersion, "brain.Event:2");
  write_record(version);
  if (error_ != 0) {  // the destructor will not run: close here
    std::fclose(file_);
    throw std::runtime_error(write_error());
  }
}

TensorBoardWriter::~TensorBoardWriter() {
  if (error_ == 0 && std::fflush(file_) != 0) error_ = errno;
  if (std::fclose(file_) != 0 && error_ == 0) error_ = errno;
  // A destructor cannot throw: say it on stderr rather than lose the failure (no allocation here).
  if (error_ != 0 && !error_reported_)
    std::fprintf(stderr, "warning: tensorboard: cannot write %s: %s\n", path_.c_str(), std::strerror(error_));
}

void TensorBoardWriter::add_scalar(const std::string& tag, double value, int64_t step) {
  add_scalar(tag, value, step, now());
}

void TensorBoardWriter::add_scalar(const std::string& tag, double value, int64_t step, double wall_time) {
  std::string summary_value;
  put_bytes(summary_value, kValueTag, tag);
  put_float(summary_value, kValueSimpleValue, static_cast<float>(value));
  std::string summary;
  put_bytes(summary, kSummaryValue, summary_value);
  std::string event = event_header(wall_time, step);
  put_bytes(event, kEventSummary, summary);
  write_record(event);
  check();
}

void TensorBoardWriter::flush() {
  if (error_ == 0 && std::fflush(file_) != 0) error_ = errno;
  check();
}

void TensorBoardWriter::write_record(const std::string& data) {
  if (error_ != 0) return;  // after a failed write the record boundaries are lost
  std::string record;
  put_le(record, data.size(), 8);
  put_le(record, masked_crc32c(record.data(), 8), 4);
  record += data;
  put_le(record, masked_crc32c(data.data(), data.size()), 4);
  errno = 0;
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size()) error_ = errno != 0 ? errno : EIO;
}

std::string TensorBoardWriter::write_error() const {
  return "tensorboard: cannot write " + path_ + ": " + std::strerror(error_);
}

void TensorBoardWriter::check() {
  if (error_ == 0) return;
  error_reported_ = true;
  throw std::runtime_error(write_error());
}

}  // namespace dcl
