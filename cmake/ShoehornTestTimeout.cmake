# Test timeouts: each test gets about twice what it took natively on a loaded two-core machine
# (60 s unless named longer), times SHOEHORN_TEST_TIME_SCALE for builds that run slower, so
# that a hang costs a minute or a few, not CI's whole run.
if(SHOEHORN_SANITIZE)
  set(shoehorn_default_time_scale 4)  # ASan + UBSan at -O1
elseif(CMAKE_CROSSCOMPILING)
  set(shoehorn_default_time_scale 8)  # under an emulator (qemu)
else()
  set(shoehorn_default_time_scale 1)
endif()
set(SHOEHORN_TEST_TIME_SCALE ${shoehorn_default_time_scale} CACHE STRING
    "Factor on every test's timeout (default: 1 native, 4 with the sanitizers, 8 under an emulator)")
set(SHOEHORN_TEST_TIMEOUT 60)  # seconds, natively, for a test not named longer

# shoehorn_timeout(VAR SECONDS): a native timeout scaled for this build.
function(shoehorn_timeout var seconds)
  math(EXPR scaled "${seconds} * ${SHOEHORN_TEST_TIME_SCALE}")
  set(${var} ${scaled} PARENT_SCOPE)
endfunction()

# The default timeout for every add_test of the calling directory that has none of its own.
function(shoehorn_default_timeouts)
  shoehorn_timeout(seconds ${SHOEHORN_TEST_TIMEOUT})
  get_property(tests DIRECTORY PROPERTY TESTS)
  foreach(test IN LISTS tests)
    get_test_property(${test} TIMEOUT own)
    if(NOT own)
      set_tests_properties(${test} PROPERTIES TIMEOUT ${seconds})
    endif()
  endforeach()
endfunction()
