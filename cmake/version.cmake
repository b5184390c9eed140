# Writes OUT from IN with @SHOAL_VERSION@ and @SHOAL_REVISION@ filled in: VERSION (the CMake
# project version) and `git rev-parse --short HEAD` of SOURCE_DIR ("unknown" outside git).
# Run at build time (cmake -P, src/cli/CMakeLists.txt) so a new commit is seen without
# configuring again; OUT is rewritten only when its text changes, so an unchanged revision
# recompiles nothing.
execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse --short HEAD
                OUTPUT_VARIABLE SHOAL_REVISION OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE git_result ERROR_QUIET)
if(NOT git_result EQUAL 0 OR SHOAL_REVISION STREQUAL "")
  set(SHOAL_REVISION "unknown")
endif()
set(SHOAL_VERSION "${VERSION}")
configure_file("${IN}" "${OUT}" @ONLY)
