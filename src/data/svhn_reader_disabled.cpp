// SVHN in a build without matio (-DDCL_WITH_MATIO=OFF): its .mat files cannot be read.
#include <string>

#include "dcl/data/image_set.h"
#include "dcl/data/readers.h"

namespace dcl::data {

ImageSet read_svhn(const std::string& mat_file) {
  throw DataError(mat_file + ": SVHN's .mat files need matio, and this dcl was built without it (CMake option "
                             "DCL_WITH_MATIO=OFF); rebuild with -DDCL_WITH_MATIO=ON (Debian: libmatio-dev)");
}

}  // namespace dcl::data
