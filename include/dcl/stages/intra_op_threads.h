#pragma once
// The intra-op thread count of the calling thread, for LibTorch's own pool and for the BLAS it
// calls for matrix products. Debian's OpenBLAS (pthread build) keeps a pool of its own, sized to
// every core, that LibTorch 1.13's set_num_threads leaves alone: two workers with one LibTorch
// thread each would still run four threads on two cores. OpenBLAS's count is per process.
namespace dcl {

void set_intra_op_threads(int threads);

}  // namespace dcl
