# Writes OUT, a C++ header holding the layout viewer's page parts
# (viewer.html, viewer.css, viewer.js in SRC) as string constants, so
# bucketmap-replay --html writes one self-contained file.
#   cmake -DSRC=tools/viewer -DOUT=viewer_assets.h -P embed.cmake
set(body "// Generated from tools/viewer/ by embed.cmake: do not edit.\n#pragma once\n#include <string_view>\n")
foreach(part html css js)
  file(READ "${SRC}/viewer.${part}" text)
  string(FIND "${text}" ")VIEWER\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "viewer.${part} holds the raw string's delimiter")
  endif()
  string(SUBSTRING "${part}" 0 1 first)
  string(TOUPPER "${first}" first)
  string(SUBSTRING "${part}" 1 -1 rest)
  string(APPEND body "inline constexpr std::string_view kViewer${first}${rest} = R\"VIEWER(${text})VIEWER\";\n")
endforeach()
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
