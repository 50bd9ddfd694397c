# Build-time helpers for the compile-time engine: bake a model with the shoehorn just built,
# and turn text into C++ string constants. The baked headers are large and derived from
# ../shared data: they live in the build tree only.

set(SHOEHORN_CTIME_DIR "${CMAKE_CURRENT_LIST_DIR}")

# A C++ string literal with every byte as a \xHH escape (exact for any bytes; an escape ends at
# the next backslash, so none swallows the character after it).
function(shoehorn_cpp_literal_from_hex hex out_var)
  string(REGEX REPLACE "(..)" "\\\\x\\1" escaped "${hex}")
  set(${out_var} "\"${escaped}\"" PARENT_SCOPE)
endfunction()

# shoehorn_bake(OUT var NAME name [MODEL file] [TOKENIZER file] [FLAGS bake flags...]): a
# custom command that writes ${CMAKE_CURRENT_BINARY_DIR}/baked/NAME.hpp (struct
# shoehorn::baked::NAME) with the shoehorn just built (through the cross emulator when there is
# one); var gets its path. A Llama model needs its TOKENIZER; without MODEL, pass FLAGS
# --vocab-only; an n-gram model (MODEL alone) needs neither.
function(shoehorn_bake)
  cmake_parse_arguments(PARSE_ARGV 0 BAKE "" "OUT;NAME;MODEL;TOKENIZER" "FLAGS")
  set(header "${CMAKE_CURRENT_BINARY_DIR}/baked/${BAKE_NAME}.hpp")
  set(tokenizer)
  if(BAKE_TOKENIZER)
    set(tokenizer -z "${BAKE_TOKENIZER}")
  endif()
  add_custom_command(
    OUTPUT "${header}"
    COMMAND shoehorn bake ${BAKE_MODEL} ${tokenizer} -o "${header}" --name "${BAKE_NAME}"
            ${BAKE_FLAGS}
    DEPENDS shoehorn ${BAKE_MODEL} ${BAKE_TOKENIZER}
    COMMENT "Baking ${BAKE_NAME}.hpp"
    VERBATIM)
  set(${BAKE_OUT} "${header}" PARENT_SCOPE)
endfunction()

# shoehorn_stdout_header(OUTPUT file NAME name [EXACT] [DEPENDS files...] COMMAND target args...):
# a custom command that runs the executable target with args and writes its standard output,
# less the one final newline (EXACT: every byte, for output that does not end with a newline
# of its own), as `inline constexpr std::string_view NAME` in the file; file.stdout keeps the
# output as it was. DEPENDS: files the command reads that the build makes.
function(shoehorn_stdout_header)
  cmake_parse_arguments(PARSE_ARGV 0 HEADER "EXACT" "OUTPUT;NAME" "DEPENDS;COMMAND")
  set(command ${HEADER_COMMAND})
  list(POP_FRONT command target)
  string(REPLACE ";" "|" joined "${command}")
  add_custom_command(
    OUTPUT "${HEADER_OUTPUT}"
    COMMAND "${CMAKE_COMMAND}" "-DPROGRAM=$<TARGET_FILE:${target}>"
            "-DEMULATOR=${CMAKE_CROSSCOMPILING_EMULATOR}" "-DARGS=${joined}"
            "-DOUTPUT=${HEADER_OUTPUT}" "-DNAME=${HEADER_NAME}"
            "-DKEEP_FINAL_NEWLINE=${HEADER_EXACT}"
            -P "${SHOEHORN_CTIME_DIR}/stdout_to_header.cmake"
    DEPENDS ${target} ${HEADER_DEPENDS} "${SHOEHORN_CTIME_DIR}/stdout_to_header.cmake"
    COMMENT "Recording ${HEADER_NAME} from ${target}"
    VERBATIM)
endfunction()
