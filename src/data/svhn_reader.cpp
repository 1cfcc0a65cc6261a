// SVHN cropped-digits reader: MATLAB v5 .mat with X (32x32x3xN uint8, column-major) and y (N labels,
// 1..10, where 10 stands for the digit 0). Parsing the container is left to matio.
#include <matio.h>
#include <sys/stat.h>

#include <cmath>
#include <memory>
#include <mutex>

#include "dcl/data/readers.h"
#include "mat5_guard.h"
#include "parse_util.h"

namespace dcl::data {
namespace {

using detail::fail;

constexpr size_t kSide = 32;
constexpr size_t kPlane = kSide * kSide;
constexpr size_t kImage = 3 * kPlane;

// matio reports why it gave up only through its logger; keep the last message so our error can
// quote it. Thread-local because readers may run on several threads.
thread_local std::string matio_message;

void capture_matio_log(int level, char* message) {
  if ((level & (MATIO_LOG_LEVEL_ERROR | MATIO_LOG_LEVEL_CRITICAL)) && message) matio_message = message;
}

std::string matio_reason() { return matio_message.empty() ? std::string() : " (matio: " + matio_message + ")"; }

struct MatCloser {
  void operator()(mat_t* m) const { Mat_Close(m); }
};
struct VarFreer {
  void operator()(matvar_t* v) const { Mat_VarFree(v); }
};
using MatPtr = std::unique_ptr<mat_t, MatCloser>;
using VarPtr = std::unique_ptr<matvar_t, VarFreer>;

size_t element_count(const matvar_t& v) {
  size_t n = 1;
  for (int i = 0; i < v.rank; ++i) {
    if (v.dims[i] != 0 && n > SIZE_MAX / v.dims[i]) return SIZE_MAX;
    n *= v.dims[i];
  }
  return n;
}

std::string dims_text(const matvar_t& v) {
  std::string s;
  for (int i = 0; i < v.rank; ++i) s += (i ? "x" : "") + std::to_string(v.dims[i]);
  return s.empty() ? "scalar" : s;
}

// A label as a double whatever numeric class MATLAB stored it in; NaN when not numeric.
double label_at(const matvar_t& y, size_t i) {
  const void* d = y.data;
  switch (y.class_type) {
    case MAT_C_DOUBLE: return static_cast<const double*>(d)[i];
    case MAT_C_SINGLE: return static_cast<const float*>(d)[i];
    case MAT_C_INT8: return static_cast<const int8_t*>(d)[i];
    case MAT_C_UINT8: return static_cast<const uint8_t*>(d)[i];
    case MAT_C_INT16: return static_cast<const int16_t*>(d)[i];
    case MAT_C_UINT16: return static_cast<const uint16_t*>(d)[i];
    case MAT_C_INT32: return static_cast<const int32_t*>(d)[i];
    case MAT_C_UINT32: return static_cast<const uint32_t*>(d)[i];
    case MAT_C_INT64: return double(static_cast<const int64_t*>(d)[i]);
    case MAT_C_UINT64: return double(static_cast<const uint64_t*>(d)[i]);
    default: return NAN;
  }
}

size_t class_size(matio_classes c) {
  switch (c) {
    case MAT_C_DOUBLE:
    case MAT_C_INT64:
    case MAT_C_UINT64: return 8;
    case MAT_C_SINGLE:
    case MAT_C_INT32:
    case MAT_C_UINT32: return 4;
    case MAT_C_INT16:
    case MAT_C_UINT16: return 2;
    case MAT_C_INT8:
    case MAT_C_UINT8: return 1;
    default: return 0;
  }
}

// y: a real numeric N-vector; checked on the header before its data is read, and again after.
void check_labels_header(const matvar_t& y, size_t n, const std::string& file) {
  if (class_size(y.class_type) == 0 || y.isComplex || y.rank != 2 || (y.dims[0] != 1 && y.dims[1] != 1)) {
    fail(file, "y must be a real numeric Nx1 vector, found " + dims_text(y));
  }
  if (element_count(y) != n) {
    fail(file, "count mismatch: y has " + std::to_string(element_count(y)) + " labels, X has " + std::to_string(n) +
                   " images");
  }
}

VarPtr read_var(mat_t* mat, const char* name, const std::string& file) {
  matio_message.clear();
  VarPtr v(Mat_VarRead(mat, name));
  if (!v) fail(file, std::string("no readable variable '") + name + "'" + matio_reason());
  return v;
}

}  // namespace

ImageSet read_svhn(const std::string& mat_file) {
  static std::once_flag log_once;
  std::call_once(log_once, [] { Mat_LogInitFunc("dcl", capture_matio_log); });

  struct stat st {};
  if (::stat(mat_file.c_str(), &st) != 0) fail(mat_file, "file not found");
  if (st.st_size < 128) {  // the MATLAB v5 header alone is 128 bytes
    fail(mat_file, "truncated: " + std::to_string(st.st_size) + " bytes is too small for a MATLAB .mat file");
  }
  detail::check_mat5_headers(mat_file);
  matio_message.clear();
  MatPtr mat(Mat_Open(mat_file.c_str(), MAT_ACC_RDONLY));
  if (!mat) fail(mat_file, "not a readable MATLAB .mat file" + matio_reason());

  // Check X's header before reading its data, so a damaged header cannot ask for a huge buffer.
  matio_message.clear();
  VarPtr info(Mat_VarReadInfo(mat.get(), "X"));
  if (!info) fail(mat_file, "no readable variable 'X'" + matio_reason());
  const bool shape_ok =
      (info->rank == 4 || info->rank == 3) && info->dims[0] == kSide && info->dims[1] == kSide && info->dims[2] == 3;
  if (!shape_ok || info->class_type != MAT_C_UINT8 || info->isComplex) {
    fail(mat_file, "X must be a real 32x32x3xN uint8 array, found " + dims_text(*info) + " of class " +
                       std::to_string(int(info->class_type)));
  }
  const size_t n = info->rank == 4 ? info->dims[3] : 1;  // MATLAB drops a trailing singleton dimension
  if (n == 0) fail(mat_file, "X holds no images");
  // Deflate expands at most ~1032:1; anything bigger is a corrupt header.
  const size_t ratio = info->compression == MAT_COMPRESSION_NONE ? 1 : 1032;
  if (n > (size_t(st.st_size) / kImage + 1) * ratio) {
    fail(mat_file, "X claims " + std::to_string(n) + " images, more than the file can hold");
  }
  info.reset();
  matio_message.clear();
  VarPtr y_info(Mat_VarReadInfo(mat.get(), "y"));
  if (!y_info) fail(mat_file, "no readable variable 'y'" + matio_reason());
  check_labels_header(*y_info, n, mat_file);
  y_info.reset();

  VarPtr x = read_var(mat.get(), "X", mat_file);
  if (x->class_type != MAT_C_UINT8 || !x->data || x->nbytes < n * kImage || element_count(*x) != n * kImage) {
    fail(mat_file, "X data is damaged: expected " + std::to_string(n * kImage) + " uint8 values");
  }
  VarPtr y = read_var(mat.get(), "y", mat_file);
  check_labels_header(*y, n, mat_file);
  const size_t label_size = class_size(y->class_type);
  if (!y->data || y->nbytes < n * label_size) fail(mat_file, "y data is damaged");

  ImageSet set;
  uint8_t* dst = detail::grow(set, int64_t(n), 3, int(kSide), int(kSide));
  for (size_t i = 0; i < n; ++i) {
    const double v = label_at(*y, i);
    if (!(v >= 1 && v <= 10) || v != std::floor(v)) {
      fail(mat_file, "label y(" + std::to_string(i + 1) + ") = " + std::to_string(v) + " is not an integer in [1, 10]");
    }
    set.labels[i] = int32_t(v) % 10;  // SVHN writes the digit 0 as class 10
  }
  // Column-major: element (row y, column x) of a plane sits at x * 32 + y.
  const uint8_t* src = static_cast<const uint8_t*>(x->data);
  for (size_t plane = 0; plane < 3 * n; ++plane) {
    const uint8_t* s = src + plane * kPlane;
    uint8_t* d = dst + plane * kPlane;
    for (size_t c = 0; c < kSide; ++c)
      for (size_t r = 0; r < kSide; ++r) d[r * kSide + c] = s[c * kSide + r];
  }
  return set;
}

}  // namespace dcl::data
