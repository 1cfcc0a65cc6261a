#!/usr/bin/env bash
# Builds the project twice more with sanitizers and runs a chosen part of the test suite in each
# (CI runs this after scripts/test.sh). Both builds are RelWithDebInfo with warnings as errors.
#
#   build-asan  AddressSanitizer + UndefinedBehaviorSanitizer (-DDCL_SANITIZE=address), runs the
#               tests labelled `unit` (the fast tests of every layer) and `data` (parsers,
#               augmentation, downloads): out-of-bounds accesses, use-after-free and undefined
#               behaviour in our own code. The end-to-end tests (CLI runs that train for minutes)
#               are left out to keep CI within 90 minutes on 2 cores: they reach the same code as
#               the unit tests, only slower.
#   build-tsan  ThreadSanitizer (-DDCL_SANITIZE=thread), runs only the tests whose names match
#               BatchLoader|Prefetch|Download|BoundedQueue: the batch loader with its prefetch
#               thread, and the queue that joins the pipeline schedule's threads, are where our
#               code synchronises threads of its own; the download tests are cheap and cover the
#               once-only libcurl initialisation and the callbacks libcurl calls back into. The
#               pipeline's stage threads otherwise run LibTorch, and LibTorch's intra-op and Gloo's
#               threads run uninstrumented code that TSan cannot check, so running more there
#               would cost build and test time and find nothing.
#
# Runtime options and why:
#   ASan   detect_leaks=0: LibTorch keeps static allocations until exit, which LeakSanitizer would
#          report as leaks of every test binary that links it.
#   UBSan  halt_on_error=1, with stack traces. There is no UBSan suppressions file: UBSan ignores
#          suppressions for checks built with -fno-sanitize-recover, so a false positive must be
#          excluded at compile time, in cmake/sanitizers.cmake.
#   TSan   ignore_noninstrumented_modules=1: LibTorch, OpenMP (libgomp), OpenBLAS and TBB are not
#          built with TSan, and the futexes and atomics they synchronise with are invisible to it;
#          scripts/sanitizer-suppressions/tsan.supp covers what reaches our code through them.
#          OMP_NUM_THREADS=1 and OPENBLAS_NUM_THREADS=1 keep LibTorch's own worker threads out of
#          the way (their code is not checked anyway); the threads under test are ours.
#          On kernels with more than 28 bits of mmap randomisation (vm.mmap_rnd_bits), GCC 12's TSan
#          cannot map its shadow memory: builds and tests then run under `setarch -R`.
#
# Environment (defaults in brackets):
#   SANITIZERS       which legs run ["address thread"]
#   ASAN_LABELS      ctest -L regex for the ASan leg ['^(unit|data)$']
#   ASAN_TESTS       ctest -R regex for the ASan leg [all that match ASAN_LABELS]
#   TSAN_LABELS      ctest -L regex for the TSan leg [any label]
#   TSAN_TESTS       ctest -R regex for the TSan leg ['BatchLoader|Prefetch|Download|BoundedQueue']
#   ASAN_TARGETS, TSAN_TARGETS   targets to build [all]
#   CTEST_JOBS       parallel tests [2]
#   SANITIZE_OPT_FLAGS  CMAKE_CXX_FLAGS_RELWITHDEBINFO of both builds ['-O1 -g1 -DNDEBUG']
# A leg whose selection matches no test fails, so a renamed suite cannot drop out silently.
# Extra arguments are CMake arguments for both builds.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
supp="$repo/scripts/sanitizer-suppressions"

SANITIZERS=${SANITIZERS:-address thread}
ASAN_LABELS=${ASAN_LABELS-'^(unit|data)$'}
ASAN_TESTS=${ASAN_TESTS-}
TSAN_LABELS=${TSAN_LABELS-}
TSAN_TESTS=${TSAN_TESTS-'BatchLoader|Prefetch|Download|BoundedQueue'}
CTEST_JOBS=${CTEST_JOBS:-2}
SANITIZE_OPT_FLAGS=${SANITIZE_OPT_FLAGS:--O1 -g1 -DNDEBUG}

export ASAN_OPTIONS="detect_leaks=0:check_initialization_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
tsan_env=(
  TSAN_OPTIONS="ignore_noninstrumented_modules=1:halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
)

# GCC 12's TSan runtime fails on address layouts with more than 28 random bits (newer kernels).
tsan_prefix=()
rnd_bits=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28)
if [ "$rnd_bits" -gt 28 ] && setarch "$(uname -m)" -R true 2>/dev/null; then
  tsan_prefix=(setarch "$(uname -m)" -R)
fi

# Runs a command with the sanitizer's runtime environment: sanitized_run SANITIZER [VAR=value...] CMD...
sanitized_run() {
  local sanitizer=$1
  shift
  local vars=()
  while [ $# -gt 0 ] && [[ $1 == *=* ]]; do vars+=("$1"); shift; done
  if [ "$sanitizer" = thread ]; then
    env "${tsan_env[@]}" ${vars[@]+"${vars[@]}"} ${tsan_prefix[@]+"${tsan_prefix[@]}"} "$@"
  else
    env ${vars[@]+"${vars[@]}"} "$@"
  fi
}

# leg NAME BUILD_DIR SANITIZER LABEL_REGEX TEST_REGEX TARGETS [CMake args...]
leg() {
  local name=$1 dir=$2 sanitizer=$3 labels=$4 tests=$5 targets=$6
  shift 6
  local start=$SECONDS
  echo "== sanitize: $name: building $dir"
  # The build runs the test binaries too (gtest test discovery), so it needs the runtime options.
  # Line tables (-g1) are all a sanitizer report needs, and much cheaper than full debug info for
  # translation units that include torch.
  sanitized_run "$sanitizer" BUILD_DIR="$dir" BUILD_TARGETS="$targets" bash scripts/build.sh \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$SANITIZE_OPT_FLAGS" \
    -DDCL_SANITIZE="$sanitizer" -DDCL_WERROR=ON "$@"
  local built=$SECONDS
  local select=()
  [ -z "$labels" ] || select+=(-L "$labels")
  [ -z "$tests" ] || select+=(-R "$tests")
  echo "== sanitize: $name: ctest ${select[*]}"
  sanitized_run "$sanitizer" ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$CTEST_JOBS" \
    ${select[@]+"${select[@]}"}
  echo "== sanitize: $name: build $((built - start)) s, tests $((SECONDS - built)) s"
}

for s in $SANITIZERS; do
  case "$s" in
    address) leg "ASan+UBSan" build-asan address "$ASAN_LABELS" "$ASAN_TESTS" "${ASAN_TARGETS:-}" "$@" ;;
    thread) leg "TSan" build-tsan thread "$TSAN_LABELS" "$TSAN_TESTS" "${TSAN_TARGETS:-}" "$@" ;;
    *) echo "sanitize: unknown sanitizer '$s' (address or thread)" >&2; exit 2 ;;
  esac
done
