#pragma once
// Streaming MD5 for verifying downloads against published checksums (private to dcl_data).
#include <cstddef>
#include <string>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace dcl::data {

class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;

  void update(const void* data, std::size_t size);
  // Lower-case hex of everything passed to update(); call once.
  std::string hex_digest();

 private:
  evp_md_ctx_st* ctx_;
};

// MD5 of a whole file; throws DataError when it cannot be read.
std::string md5_file(const std::string& path);

}  // namespace dcl::data
