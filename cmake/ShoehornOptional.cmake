# shoehorn_missing(WHAT PACKAGE CONSEQUENCE): an optional part of this build is not found.
# A warning that says what is left out, or with SHOEHORN_REQUIRE_ALL (CI's builds) a configure
# error, so that no command or test vanishes unnoticed.
function(shoehorn_missing what package consequence)
  if(SHOEHORN_REQUIRE_ALL)
    message(FATAL_ERROR "${what} not found (Debian package: ${package}; scripts/deps.sh installs "
                        "it) and SHOEHORN_REQUIRE_ALL is ON: ${consequence}")
  endif()
  message(WARNING "${what} not found (Debian package: ${package}): ${consequence}")
endfunction()
