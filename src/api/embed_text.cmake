# embed_text.cmake: writes a text file into a C++ source as a raw string literal, so that the
# binary carries it (the dashboard page, dashboard.html). Run at build time by
# add_custom_command (src/api/CMakeLists.txt), again whenever the input changes:
#   cmake -DIN=page.html -DOUT=page_html.cc -DNAMESPACE=shoal::api::embedded
#         -DNAME=kPageHtml -P embed_text.cmake
# The output defines `extern const char NAME[]` (the text, NUL-terminated) and
# `extern const std::size_t NAMESize` in NAMESPACE.
foreach(var IN ITEMS IN OUT NAMESPACE NAME)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_text.cmake: -D${var}= is required")
  endif()
endforeach()

file(READ "${IN}" text)
# The literal's delimiter may not occur in the text (it would end the literal early).
set(delimiter "shoal_embed")
string(FIND "${text}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "embed_text.cmake: ${IN} contains )${delimiter}\", the literal's end")
endif()
# C++ compilers need only support string literals of 65536 characters (clang -Wpedantic warns
# past that, and warnings are errors in the clang preset).
string(LENGTH "${text}" length)
if(length GREATER 65535)
  message(FATAL_ERROR "embed_text.cmake: ${IN} has ${length} bytes; keep it under 64 KiB")
endif()
get_filename_component(in_name "${IN}" NAME)

set(source "// Generated from ${in_name} by src/api/embed_text.cmake at build time: do not edit.
#include <cstddef>

namespace ${NAMESPACE} {

extern const char ${NAME}[];
extern const std::size_t ${NAME}Size;

const char ${NAME}[] = R\"${delimiter}(${text})${delimiter}\";
const std::size_t ${NAME}Size = sizeof(${NAME}) - 1;

}  // namespace ${NAMESPACE}
")
file(WRITE "${OUT}" "${source}")
