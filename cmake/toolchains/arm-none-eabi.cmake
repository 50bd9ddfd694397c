# Bare-metal 32-bit ARM: a Cortex-A15 (NEON, VFPv4, hard float) with no operating system, newlib
# as its C library and ARM semihosting (newlib's librdimon) for the console: the board is
# qemu-system-arm's virt machine with 32 MiB of RAM (scripts/run-baremetal.sh).
#   cmake -G Ninja -B build-arm -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/arm-none-eabi.cmake
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
# Unaligned loads fault on memory the MMU does not map as normal (it is off here), so the
# compiler must not turn a memcpy into one.
set(shoehorn_arm_flags "-mcpu=cortex-a15 -mfpu=neon-vfpv4 -mfloat-abi=hard -mthumb -mno-unaligned-access")
set(CMAKE_C_FLAGS_INIT "${shoehorn_arm_flags}")
set(CMAKE_CXX_FLAGS_INIT "${shoehorn_arm_flags}")
set(CMAKE_ASM_FLAGS_INIT "${shoehorn_arm_flags}")
# No executable links without the board's start code: configure checks compile only.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_FIND_ROOT_PATH /usr/lib/arm-none-eabi)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
