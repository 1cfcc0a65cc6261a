// The BLAS kernel choice: OpenBLAS core types from the processor's instruction sets (no timing).
#include <gtest/gtest.h>

#include <string>

#include "cli/cli_test_util.h"
#include "dcl/runtime/blas_kernel.h"

using namespace dcl;

namespace {

CpuFeatures avx512(bool bf16) {
  CpuFeatures f;
  f.sse3 = f.avx = f.avx2 = f.fma = true;
  f.avx512f = f.avx512bw = f.avx512dq = f.avx512vl = true;
  f.avx512_bf16 = bf16;
  return f;
}

}  // namespace

TEST(BlasKernel, TheNewestKernelFamilyTheInstructionSetsAllow) {
  EXPECT_EQ(best_openblas_core(avx512(true)), "Cooperlake");  // Sapphire Rapids, Cooper Lake
  EXPECT_EQ(best_openblas_core(avx512(false)), "SkylakeX");   // Skylake-SP, Ice Lake
  CpuFeatures knights = avx512(false);                        // AVX-512F without BW/DQ/VL
  knights.avx512bw = knights.avx512dq = knights.avx512vl = false;
  EXPECT_EQ(best_openblas_core(knights), "Haswell");
  CpuFeatures haswell;
  haswell.sse3 = haswell.avx = haswell.avx2 = haswell.fma = true;
  EXPECT_EQ(best_openblas_core(haswell), "Haswell");
  haswell.fma = false;  // AVX2 without FMA: the AVX kernels
  EXPECT_EQ(best_openblas_core(haswell), "Sandybridge");
  CpuFeatures old;
  old.sse3 = true;
  EXPECT_EQ(best_openblas_core(old), "Prescott");
  EXPECT_EQ(best_openblas_core(CpuFeatures{}), "");
}

TEST(BlasKernel, OnlyAGenericChoiceIsOverridden) {
  // Debian's OpenBLAS 0.3.21 on a Sapphire Rapids: Prescott; the processor runs Cooperlake's.
  EXPECT_EQ(openblas_core_override("Prescott", avx512(true)), "Cooperlake");
  EXPECT_EQ(openblas_core_override("PRESCOTT", avx512(false)), "SkylakeX");
  EXPECT_EQ(openblas_core_override("Haswell", avx512(false)), "SkylakeX");
  // OpenBLAS's own choice is kept when it is as good, better, or a family this table does not rank.
  EXPECT_EQ(openblas_core_override("SkylakeX", avx512(false)), "");
  EXPECT_EQ(openblas_core_override("Cooperlake", avx512(false)), "");
  EXPECT_EQ(openblas_core_override("Zen", avx512(false)), "");
  EXPECT_EQ(openblas_core_override("", avx512(false)), "");
  EXPECT_EQ(openblas_core_override("Prescott", CpuFeatures{}), "");
  EXPECT_LT(openblas_core_rank("Prescott"), openblas_core_rank("Nehalem"));
  EXPECT_LT(openblas_core_rank("Sandybridge"), openblas_core_rank("Haswell"));
  EXPECT_EQ(openblas_core_rank("Zen"), -1);
}

// `dcl bench` names the BLAS and its kernel: the best this processor runs, unless the user chose
// one with OPENBLAS_CORETYPE, which wins (with a warning when it is slower than the best).
TEST(BlasKernelCli, BenchNamesTheKernelAndTheUsersChoiceWins) {
  const std::string bench =
      " bench --arch fc --input 1x8x8 --fc-width 16 --methods bp --steps 1 --warmup 0 "
      "--batch-size 4 --threads 1";
  cli_test::CliResult r = cli_test::run_dcl(bench);
  ASSERT_EQ(r.code, 0) << r.output;
  const size_t at = r.output.find("OpenBLAS (core ");
  if (at == std::string::npos) GTEST_SKIP() << "not OpenBLAS: " << r.output;
  const std::string core = r.output.substr(at + 15, r.output.find(')', at) - at - 15);
  const std::string best = best_openblas_core(cpu_features());
  if (openblas_core_rank(core) >= 0) {
    EXPECT_GE(openblas_core_rank(core), openblas_core_rank(best)) << r.output;
  }
  EXPECT_EQ(r.output.find("generic"), std::string::npos) << r.output;

  cli_test::CliResult forced = cli_test::run_dcl_raw("OPENBLAS_CORETYPE=Prescott " + std::string(DCL_BINARY) + bench);
  ASSERT_EQ(forced.code, 0) << forced.output;
  EXPECT_NE(forced.output.find("OpenBLAS (core Prescott)"), std::string::npos) << forced.output;
  if (openblas_core_rank(best) > 0) {
    EXPECT_NE(forced.output.find("runs its generic Prescott kernel (OPENBLAS_CORETYPE=Prescott)"), std::string::npos)
        << forced.output;
  }
}
