#pragma once
// Files replaced whole or not at all: the bytes go to PATH.tmp, are synced, and the temporary is
// renamed over PATH, so a reader (or a crash) sees the old file or the new one, never half of one.
#include <string>

namespace dcl {

// Writes `bytes` to `path` atomically. Throws std::runtime_error naming the path and the reason;
// the temporary is removed and `path` left as it was.
void write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace dcl
