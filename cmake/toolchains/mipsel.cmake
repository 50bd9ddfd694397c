# 32-bit little-endian MIPS (the PS2's Emotion Engine family: a MIPS III core, 32-bit pointers),
# run under qemu user-mode emulation. Its 32-bit size_t is the point: every size and offset
# that could pass 4 GiB is computed in 64 bits and checked before it becomes a size_t.
#   cmake -G Ninja -B build-mipsel -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mipsel.cmake
#   ctest --test-dir build-mipsel
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR mipsel)

set(CMAKE_C_COMPILER mipsel-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER mipsel-linux-gnu-g++)
set(SHOEHORN_MIPSEL_SYSROOT /usr/mipsel-linux-gnu)

set(CMAKE_FIND_ROOT_PATH ${SHOEHORN_MIPSEL_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(CMAKE_CROSSCOMPILING_EMULATOR qemu-mipsel -L ${SHOEHORN_MIPSEL_SYSROOT})
