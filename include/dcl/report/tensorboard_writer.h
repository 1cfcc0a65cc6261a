#pragma once
// Writes TensorBoard event files without TensorFlow or a protobuf library: each file is a
// sequence of TFRecords (uint64 length, masked CRC-32C of the length, data, masked CRC-32C of the
// data), each record one tensorflow.Event protobuf, hand-encoded. Only the fields that scalars
// need are written: Event.wall_time (1), step (2), file_version (3), summary (5);
// Summary.value (1); Summary.Value.tag (1), simple_value (2).
#include <cstdint>
#include <cstdio>
#include <string>

namespace dcl {

class TensorBoardWriter {
 public:
  // Creates DIR (with parents) and a new file
  // DIR/events.out.tfevents.<unix seconds>.<hostname>.<pid>.<counter>, beginning with the
  // file_version event "brain.Event:2". Throws std::runtime_error naming the path and the reason.
  explicit TensorBoardWriter(const std::string& dir);
  ~TensorBoardWriter();  // flushes and closes, never throws
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  // One scalar summary event (Summary.Value{tag, simple_value}) at `step`, stamped now or with the
  // given wall_time (seconds since the epoch). TensorBoard stores scalars as float.
  void add_scalar(const std::string& tag, double value, int64_t step);
  void add_scalar(const std::string& tag, double value, int64_t step, double wall_time);

  // Writes what is buffered to the file. A failed write (full disk) throws std::runtime_error
  // naming the file, here or at the add_scalar that met it first, and again on every later call.
  void flush();

  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& data);
  std::string write_error() const;
  void check();  // throws write_error() once a write has failed

  std::string path_;
  std::FILE* file_ = nullptr;
  int error_ = 0;  // errno of the first failed write; the file is unusable from then on
  bool error_reported_ = false;
};

}  // namespace dcl
