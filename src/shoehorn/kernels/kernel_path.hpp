// Which implementation of the integer block kernels runs: portable scalar code, or SIMD code
// for the CPU found at run time. Every path computes the same bits (the same exact integer
// block sums, scaled and added in the same float order), so the choice changes speed only.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace shoehorn::kernels {

enum class KernelPath : unsigned char {
  scalar,  // portable C++: every target, the big-endian build included
  avx2,    // x86-64 AVX2 + FMA + F16C
  avx512,  // x86-64 AVX-512 (F, BW, VL) with VNNI
  amx,     // AVX-512 with AMX-INT8 tiles for batches (Linux: the kernel's leave asked first)
  neon,      // ARM NEON: 32-bit ARMv7 (built for it) or AArch64's Advanced SIMD
  neon_dot,  // AArch64 with the dot-product instructions (SDOT)
  vmx,       // PowerPC AltiVec / VMX (the big-endian ppc64 build; the Xbox 360's VMX128)
};

const char* to_string(KernelPath path);
std::optional<KernelPath> parse_kernel_path(std::string_view name);

// The paths this build and this CPU can run, scalar first; the last is the fastest.
std::vector<KernelPath> supported_kernel_paths();
// Throws Error when this build or CPU cannot run `path`.
void require_supported(KernelPath path);

// The process's path: the fastest supported one until set_kernel_path picks another. What a
// Transformer starts with (it may then keep a path of its own), and what kernel calls that name
// no path use.
KernelPath kernel_path();
// Sets the process's path; throws Error when this build or CPU cannot run it.
void set_kernel_path(KernelPath path);

// Whether `path` is faster on Q8_0 and Q4_0 rows interleaved by eight (q8_0x8, q4_0x8) than as
// the file has them (every path computes both, to the same bits).
bool interleaves_rows(KernelPath path);

}  // namespace shoehorn::kernels
