#pragma once
// Downloads for users who are online: `dcl data fetch NAME [--dir DIR]`.
#include <functional>
#include <string>

#include "dcl/data/registry.h"

namespace dcl::data {

// Called with (bytes received, total bytes or 0 when unknown).
using ProgressFn = std::function<void(long long, long long)>;

// Downloads `url` to `dest_path`: writes `dest_path + ".part"`, verifies the MD5 when
// `expected_md5` is non-empty, then renames. On any failure (HTTP error, interrupted transfer,
// checksum mismatch) nothing is left under `dest_path` or the temporary name, and DataError says why.
void download_file(const std::string& url, const std::string& dest_path, const std::string& expected_md5,
                   const ProgressFn& progress = nullptr);

// Extracts a .tar.gz into `dir` (files appear only when complete).
void unpack_archive(const std::string& archive_path, const std::string& dir);

// Fetches every RemoteFile of the dataset into `dir` (skipping ones already verified),
// unpacking archives. `mirror` (optional) replaces everything before the file name in each URL,
// e.g. "http://127.0.0.1:8000/" for tests or private mirrors.
void fetch_dataset(const DatasetInfo& info, const std::string& dir, const std::string& mirror = "",
                   bool show_progress = true);

}  // namespace dcl::data
