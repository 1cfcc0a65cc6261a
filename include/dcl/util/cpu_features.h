#pragma once
// The processor's instruction sets that decide between kernels: OpenBLAS's x86-64 core types
// (runtime/blas_kernel.h) and whether bfloat16 convolutions run natively (nn/conv_block.h).

namespace dcl {

// cpuid's answer, each set counted only where the operating system saves its register state too.
struct CpuFeatures {
  bool sse3 = false, avx = false, avx2 = false, fma = false;
  bool avx512f = false, avx512bw = false, avx512dq = false, avx512vl = false, avx512_bf16 = false;
  bool amx_bf16 = false;
};
CpuFeatures cpu_features();  // all false off x86-64

// Whether bfloat16 products run in hardware (AVX512-BF16 dot products or AMX tiles). Elsewhere
// oneDNN emulates them with float32 arithmetic and conversions: 2-2.5x slower than float32 for
// VGG8B's convolutions on an AVX-512 processor without BF16.
bool native_bf16(const CpuFeatures& f);

}  // namespace dcl
