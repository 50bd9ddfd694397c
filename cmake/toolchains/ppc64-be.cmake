# Big-endian PowerPC 64 (the Xbox 360's byte order), run under qemu user-mode emulation.
#   cmake -G Ninja -B build-ppc64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/ppc64-be.cmake
#   ctest --test-dir build-ppc64
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ppc64)

set(CMAKE_C_COMPILER powerpc64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER powerpc64-linux-gnu-g++)
set(SHOEHORN_PPC64_SYSROOT /usr/powerpc64-linux-gnu)

set(CMAKE_FIND_ROOT_PATH ${SHOEHORN_PPC64_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(CMAKE_CROSSCOMPILING_EMULATOR qemu-ppc64 -L ${SHOEHORN_PPC64_SYSROOT})
