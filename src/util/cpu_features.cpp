#include "dcl/util/cpu_features.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace dcl {

CpuFeatures cpu_features() {
  CpuFeatures f;
#if defined(__x86_64__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  f.sse3 = c & bit_SSE3;
  const bool osxsave = c & bit_OSXSAVE, avx = c & bit_AVX, fma = c & bit_FMA;
  // The registers' state must be saved by the operating system too (XCR0): SSE and AVX (bits 1-2),
  // for AVX-512 the opmask and both halves of the ZMM registers (bits 5-7), for AMX the tile
  // configuration and data (bits 17-18).
  unsigned long long xcr0 = 0;
  if (osxsave) {
    unsigned lo = 0, hi = 0;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = (static_cast<unsigned long long>(hi) << 32) | lo;
  }
  const bool ymm = (xcr0 & 0x6) == 0x6, zmm = ymm && (xcr0 & 0xe0) == 0xe0, tiles = (xcr0 & 0x60000) == 0x60000;
  f.avx = avx && ymm;
  f.fma = fma && ymm;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    f.avx2 = ymm && (b & bit_AVX2);
    f.avx512f = zmm && (b & bit_AVX512F);
    f.avx512dq = zmm && (b & bit_AVX512DQ);
    f.avx512bw = zmm && (b & bit_AVX512BW);
    f.avx512vl = zmm && (b & bit_AVX512VL);
    f.amx_bf16 = tiles && (d & (1u << 22));
  }
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) f.avx512_bf16 = f.avx512f && (a & (1u << 5));
#endif
  return f;
}

bool native_bf16(const CpuFeatures& f) { return f.avx512_bf16 || f.amx_bf16; }

}  // namespace dcl
