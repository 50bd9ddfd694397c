# Runs a program and writes its standard output, less the one final newline (unless
# KEEP_FINAL_NEWLINE), as a C++ string constant. Script mode, for shoehorn_stdout_header
# (ShoehornCtime.cmake):
#   -DPROGRAM=path -DEMULATOR="qemu;-L;root" -DARGS=a|b|c -DOUTPUT=file.hpp -DNAME=identifier
#   [-DKEEP_FINAL_NEWLINE=ON]
include("${CMAKE_CURRENT_LIST_DIR}/ShoehornCtime.cmake")
string(REPLACE "|" ";" args "${ARGS}")
set(captured "${OUTPUT}.stdout")
execute_process(COMMAND ${EMULATOR} ${PROGRAM} ${args}
                RESULT_VARIABLE status OUTPUT_FILE "${captured}" ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} exited with ${status}: ${err}")
endif()
file(READ "${captured}" hex HEX)
if(NOT KEEP_FINAL_NEWLINE)
  string(REGEX REPLACE "0a$" "" hex "${hex}")
endif()
string(LENGTH "${hex}" digits)
math(EXPR bytes "${digits} / 2")
shoehorn_cpp_literal_from_hex("${hex}" literal)
file(WRITE "${OUTPUT}"
  "// Generated at build time: the standard output of\n"
  "//   ${PROGRAM} ${ARGS}\n"
  "#pragma once\n\n#include <string_view>\n\n"
  "inline constexpr std::string_view ${NAME}{${literal}, ${bytes}};\n")
