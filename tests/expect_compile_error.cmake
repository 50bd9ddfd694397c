# Compiles a file that must not compile, and checks that the compiler says why.
#   -DCOMPILE=compiler|flags...|file -DEXPECTED=substring of the diagnostics
string(REPLACE "|" ";" command "${COMPILE}")
execute_process(COMMAND ${command} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(status EQUAL 0)
  message(FATAL_ERROR "compiled, but must not")
endif()
string(FIND "${out}${err}" "${EXPECTED}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the diagnostics lack '${EXPECTED}':\n${err}")
endif()
