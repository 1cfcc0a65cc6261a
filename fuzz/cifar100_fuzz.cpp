// libFuzzer target: CIFAR-100 binary file, read for fine and for coarse labels.
#include "dcl/data/readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  for (auto which : {dcl::data::Cifar100Label::Fine, dcl::data::Cifar100Label::Coarse}) {
    try {
      const dcl::data::ImageSet s = dcl::data::parse_cifar100(bytes, which, "train.bin");
      const int classes = which == dcl::data::Cifar100Label::Fine ? 100 : 20;
      if (s.count * 3074 != int64_t(size)) abort();
      for (int32_t l : s.labels)
        if (l < 0 || l >= classes) abort();
    } catch (const dcl::data::DataError&) {
    }
  }
  return 0;
}
