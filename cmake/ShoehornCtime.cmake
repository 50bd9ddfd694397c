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

# shoehorn_bake(OUTPUT_VAR NAME MODEL TOKENIZER [bake flags...]): a custom command that writes
# ${CMAKE_CURRENT_BINARY_DIR}/baked/NAME.hpp (struct shoehorn::baked::NAME); OUTPUT_VAR gets
# its path. Runs through the cross emulator when there is one.
function(shoehorn_bake out_var name model tokenizer)
  set(header "${CMAKE_CURRENT_BINARY_DIR}/baked/${name}.hpp")
  add_custom_command(
    OUTPUT "${header}"
    COMMAND shoehorn bake "${model}" -z "${tokenizer}" -o "${header}" --name "${name}" ${ARGN}
    DEPENDS shoehorn "${model}" "${tokenizer}"
    COMMENT "Baking ${name}.hpp"
    VERBATIM)
  set(${out_var} "${header}" PARENT_SCOPE)
endfunction()

# shoehorn_stdout_header(OUTPUT NAME COMMAND...): a custom command that runs COMMAND (an
# executable target first) and writes its standard output, less the one final newline, as
# `inline constexpr std::string_view NAME` in OUTPUT.
function(shoehorn_stdout_header output name)
  set(command ${ARGN})
  list(POP_FRONT command target)
  string(REPLACE ";" "|" joined "${command}")
  add_custom_command(
    OUTPUT "${output}"
    COMMAND "${CMAKE_COMMAND}" "-DPROGRAM=$<TARGET_FILE:${target}>"
            "-DEMULATOR=${CMAKE_CROSSCOMPILING_EMULATOR}" "-DARGS=${joined}"
            "-DOUTPUT=${output}" "-DNAME=${name}"
            -P "${SHOEHORN_CTIME_DIR}/stdout_to_header.cmake"
    DEPENDS ${target} "${SHOEHORN_CTIME_DIR}/stdout_to_header.cmake"
    COMMENT "Recording ${name} from ${target}"
    VERBATIM)
endfunction()
