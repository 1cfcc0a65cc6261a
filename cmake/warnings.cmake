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
endfunction()
