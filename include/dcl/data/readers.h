#pragma once
// Native-format dataset readers (spec section 3). Plain C++: bytes in, ImageSet out.
// Every reader validates magic numbers, sizes and label ranges and throws DataError with a
// message naming the file and what was wrong.
#include <cstdint>
#include <string>
#include <vector>

#include "dcl/data/image_set.h"

namespace dcl::data {

// Whole file into memory; transparently gunzips when the file starts with the gzip magic.
// Throws DataError when the file is missing, unreadable or a damaged gzip stream.
std::vector<uint8_t> read_file_bytes(const std::string& path);

// IDX (MNIST, K-MNIST, Fashion-MNIST): an idx3-ubyte image file and an idx1-ubyte label file.
ImageSet parse_idx(const std::vector<uint8_t>& image_bytes, const std::vector<uint8_t>& label_bytes, int num_classes,
                   const std::string& images_name, const std::string& labels_name);
ImageSet read_idx(const std::string& images_path, const std::string& labels_path, int num_classes);
// IDX files come gzipped or not: `path` when it exists, else its twin with ".gz" added or removed
// when that exists, else `path` unchanged. read_idx applies it to both of its arguments.
std::string resolve_idx_path(const std::string& path);

// CIFAR-10 binary: records of 1 label byte + 3072 pixel bytes (R, G, B planes of 32x32).
ImageSet parse_cifar10(const std::vector<uint8_t>& bytes, const std::string& name);
ImageSet read_cifar10(const std::vector<std::string>& files);  // concatenated in order

// CIFAR-100 binary: records of coarse label byte, fine label byte, 3072 pixel bytes.
enum class Cifar100Label { Fine, Coarse };
ImageSet parse_cifar100(const std::vector<uint8_t>& bytes, Cifar100Label which, const std::string& name);
ImageSet read_cifar100(const std::string& file, Cifar100Label which);

// SVHN cropped digits, MATLAB .mat (X: 32x32x3xN uint8, y: Nx1, label 10 means digit 0).
ImageSet read_svhn(const std::string& mat_file);

// STL-10 binary: images column-major 3x96x96 per sample, labels bytes 1..10.
ImageSet parse_stl10(const std::vector<uint8_t>& image_bytes, const std::vector<uint8_t>& label_bytes,
                     const std::string& images_name, const std::string& labels_name);
ImageSet read_stl10(const std::string& images_path, const std::string& labels_path);

}  // namespace dcl::data
