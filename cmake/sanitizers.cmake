# Sanitizer builds for every target defined after this file is included:
#   cmake -B build-asan -DDCL_SANITIZE=address   # AddressSanitizer + UndefinedBehaviorSanitizer
#   cmake -B build-tsan -DDCL_SANITIZE=thread    # ThreadSanitizer
# UBSan findings abort the test (-fno-sanitize-recover=undefined), so ctest reports them as failures.
# scripts/sanitize.sh builds both and says which suites run under which sanitizer, and with which
# runtime options (leak detection off, suppressions for the uninstrumented LibTorch/OpenMP).
include_guard(GLOBAL)

set(DCL_SANITIZE "" CACHE STRING "Sanitizer build: empty (none), address (ASan + UBSan) or thread (TSan)")
set_property(CACHE DCL_SANITIZE PROPERTY STRINGS "" address thread)

if(DCL_SANITIZE STREQUAL "address")
  set(_dcl_sanitize_flags -fsanitize=address,undefined)
  add_compile_options(${_dcl_sanitize_flags} -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(${_dcl_sanitize_flags})
elseif(DCL_SANITIZE STREQUAL "thread")
  set(_dcl_sanitize_flags -fsanitize=thread)
  add_compile_options(${_dcl_sanitize_flags} -fno-omit-frame-pointer)
  add_link_options(${_dcl_sanitize_flags})
elseif(NOT DCL_SANITIZE STREQUAL "")
  message(FATAL_ERROR "DCL_SANITIZE must be empty, 'address' or 'thread', not '${DCL_SANITIZE}'")
endif()

if(DCL_SANITIZE)
  # The sanitizers' instrumentation makes GCC 12 report uninitialised reads inside LibTorch's inlined
  # headers (c10::optional copies) that plain builds do not see; with -Werror they would stop the
  # build. The sanitizer itself checks what these warnings guess at.
  add_compile_options(-Wno-maybe-uninitialized)
  message(STATUS "dcl: building with DCL_SANITIZE=${DCL_SANITIZE} (${_dcl_sanitize_flags})")
endif()
