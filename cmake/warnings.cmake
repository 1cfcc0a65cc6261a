# Compiler warnings for the project's own targets (never for dependencies):
#   include(cmake/warnings.cmake)
#   dcl_warnings(<target>)
# DCL_WERROR=ON (CI: scripts/test.sh and scripts/sanitize.sh turn it on) makes every warning an error.
include_guard(GLOBAL)

option(DCL_WERROR "Treat compiler warnings as errors" OFF)

function(dcl_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(DCL_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  # GCC 12 at -O3 in C++20 (which LibTorch 2.x requires) reports std::string concatenation as
  # memcpy bounds of 2^63 and more: GCC bugs 105329 and 105651, fixed in GCC 13. Off there only.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13 AND Torch_VERSION
     VERSION_GREATER_EQUAL 2)
    target_compile_options(${target} PRIVATE -Wno-stringop-overflow -Wno-restrict -Wno-array-bounds)
  endif()
endfunction()
