# Installs the build into a scratch prefix, builds examples/embed against it with
# find_package(shoehorn), and runs it on the bundled model: it must print the prompt and a story
# after it (256 positions).
#   cmake -DBUILD=... -DSOURCE=... -DSCRATCH=... -DGENERATOR=... -DC_COMPILER=... -DCXX_COMPILER=... -P this
file(REMOVE_RECURSE "${SCRATCH}")
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${ARGN}: exit ${status}\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()
run(${CMAKE_COMMAND} --install "${BUILD}" --prefix "${SCRATCH}/prefix")
foreach(file include/shoehorn/shoehorn.h lib/libshoehorn.a lib/cmake/shoehorn/shoehornConfig.cmake)
  if(NOT EXISTS "${SCRATCH}/prefix/${file}")
    message(FATAL_ERROR "the install has no ${file}")
  endif()
endforeach()
run(${CMAKE_COMMAND} -S "${SOURCE}/examples/embed" -B "${SCRATCH}/embed" -G "${GENERATOR}"
    -DCMAKE_PREFIX_PATH=${SCRATCH}/prefix -DCMAKE_C_COMPILER=${C_COMPILER}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build "${SCRATCH}/embed")
run("${SCRATCH}/embed/embed" "${SOURCE}/models/shoehorn-default.gguf" "Once upon a time")
string(LENGTH "${out}" length)
if(NOT out MATCHES "^Once upon a time[,. ]" OR length LESS 200)
  message(FATAL_ERROR "embed printed:\n${out}")
endif()
message(STATUS "embed printed ${length} bytes")
