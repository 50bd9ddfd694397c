# 64-bit ARM (Raspberry Pi class: Cortex-A53/A72/A76), run under qemu user-mode emulation. The
# NEON path runs everywhere; the dot-product path (SDOT) where the CPU reports it, as qemu's
# default "max" CPU does.
#   cmake -G Ninja -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64.cmake
#   ctest --test-dir build-aarch64
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(SHOEHORN_AARCH64_SYSROOT /usr/aarch64-linux-gnu)

set(CMAKE_FIND_ROOT_PATH ${SHOEHORN_AARCH64_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L ${SHOEHORN_AARCH64_SYSROOT})
