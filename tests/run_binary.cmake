# Runs the shoehorn binary (through the cross emulator when there is one) and checks its exit
# status, and optionally its exact stdout and a substring of its stderr.
#   -DSHOEHORN=path -DEMULATOR="qemu;-L;root" -DARGS=a|b|c -DEXPECTED_STATUS=N
#   [-DEXPECTED_STDOUT=file] [-DEXPECTED_STDERR=substring]
string(REPLACE "|" ";" args "${ARGS}")
execute_process(COMMAND ${EMULATOR} ${SHOEHORN} ${args}
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL EXPECTED_STATUS)
  message(FATAL_ERROR "exit status ${status}, expected ${EXPECTED_STATUS}\nstderr: ${err}")
endif()
if(DEFINED EXPECTED_STDOUT)
  file(READ "${EXPECTED_STDOUT}" expected)
  if(NOT out STREQUAL expected)
    message(FATAL_ERROR "stdout differs from ${EXPECTED_STDOUT}:\n${out}")
  endif()
endif()
if(DEFINED EXPECTED_STDERR)
  string(FIND "${err}" "${EXPECTED_STDERR}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "stderr lacks '${EXPECTED_STDERR}': ${err}")
  endif()
endif()
