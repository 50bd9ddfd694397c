#include "shoehorn/kernels/kernel_path.hpp"

#include <atomic>

#include "shoehorn/io/error.hpp"
#include "shoehorn/kernels/block_rows.hpp"

namespace shoehorn::kernels {

namespace {

constexpr KernelPath kAllPaths[] = {KernelPath::scalar, KernelPath::avx2, KernelPath::avx512,
                                     KernelPath::amx, KernelPath::neon, KernelPath::neon_dot,
                                     KernelPath::vmx};

// The SIMD kernels of a path on this build and CPU (x86.cpp, arm.cpp, ppc.cpp), or nullptr.
const BlockKernels* simd_block_kernels(KernelPath path) {
  if (const BlockKernels* k = x86_block_kernels(path)) return k;
  if (const BlockKernels* k = arm_block_kernels(path)) return k;
  return ppc_block_kernels(path);
}

bool supported(KernelPath path) {
  return path == KernelPath::scalar || simd_block_kernels(path) != nullptr;
}

KernelPath fastest() { return supported_kernel_paths().back(); }

std::atomic<KernelPath>& current() {
  static std::atomic<KernelPath> path{fastest()};
  return path;
}

}  // namespace

const char* to_string(KernelPath path) {
  switch (path) {
    case KernelPath::scalar: return "scalar";
    case KernelPath::avx2: return "avx2";
    case KernelPath::avx512: return "avx512";
    case KernelPath::amx: return "amx";
    case KernelPath::neon: return "neon";
    case KernelPath::neon_dot: return "neon-dot";
    case KernelPath::vmx: return "vmx";
  }
  return "?";
}

std::optional<KernelPath> parse_kernel_path(std::string_view name) {
  for (const KernelPath path : kAllPaths) {
    if (name == to_string(path)) return path;
  }
  return std::nullopt;
}

std::vector<KernelPath> supported_kernel_paths() {
  std::vector<KernelPath> paths;
  for (const KernelPath path : kAllPaths) {
    if (supported(path)) paths.push_back(path);
  }
  return paths;
}

KernelPath kernel_path() { return current().load(std::memory_order_relaxed); }

void require_supported(KernelPath path) {
  if (!supported(path)) {
    throw Error(std::string("kernels ") + to_string(path) + " are not supported on this machine");
  }
}

void set_kernel_path(KernelPath path) {
  require_supported(path);
  current().store(path, std::memory_order_relaxed);
}

// The ARM kernels multiply rows as the file has them.
bool interleaves_rows(KernelPath path) {
  return path == KernelPath::avx2 || path == KernelPath::avx512 || path == KernelPath::amx;
}

const BlockKernels& block_kernels(KernelPath path) {
  const BlockKernels* simd = simd_block_kernels(path);
  return simd != nullptr ? *simd : scalar_kernels();
}

}  // namespace shoehorn::kernels
