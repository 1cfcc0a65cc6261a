#include "dcl/runtime/blas_kernel.h"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <utility>
#include <vector>

namespace dcl {

std::string best_openblas_core(const CpuFeatures& f) {
  const bool avx512 = f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl;
  if (avx512 && f.avx512_bf16) return "Cooperlake";
  if (avx512) return "SkylakeX";
  if (f.avx2 && f.fma) return "Haswell";
  if (f.avx) return "Sandybridge";
  if (f.sse3) return "Prescott";
  return "";
}

int openblas_core_rank(const std::string& core) {
  // OpenBLAS's x86-64 DYNAMIC_ARCH cores of Intel's line, by the instructions their kernels use.
  static const std::vector<std::pair<std::string, int>> ranks = {
      {"katmai", 0},      {"coppermine", 0}, {"northwood", 0},  {"banias", 0},     {"prescott", 0},
      {"core2", 1},       {"penryn", 1},     {"dunnington", 1}, {"atom", 1},       {"nehalem", 2},
      {"sandybridge", 3}, {"haswell", 4},    {"skylakex", 5},   {"cooperlake", 6}, {"sapphirerapids", 6}};
  std::string lower = core;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
  for (const auto& [name, rank] : ranks)
    if (lower == name) return rank;
  return -1;
}

std::string openblas_core_override(const std::string& current, const CpuFeatures& f) {
  const std::string best = best_openblas_core(f);
  const int have = openblas_core_rank(current);
  if (best.empty() || have < 0) return "";
  return openblas_core_rank(best) > have ? best : "";
}

BlasInfo loaded_blas() {
  BlasInfo info;
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    auto pos = line.find('/');
    if (pos != std::string::npos && line.find("libblas.so", pos) != std::string::npos) {
      info.library = line.substr(pos);
      break;
    }
  }
  // OpenBLAS names its kernel; other BLAS libraries do not have the symbol.
  using CoreName = char* (*)();
  if (auto corename = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename")))
    if (const char* name = corename()) info.core = name;
  return info;
}

std::string BlasInfo::describe() const {
  const bool openblas = !core.empty() && library.find("openblas") != std::string::npos;
  return (openblas ? "OpenBLAS (core " + core + ")" : "BLAS") + (library.empty() ? "" : ", " + library);
}

}  // namespace dcl
