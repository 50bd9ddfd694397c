// Whether this build has threads. A bare machine has none (SHOEHORN_THREADS=0, set by CMake),
// and its C++ library then has no std::thread, std::mutex or condition variable: what guards
// shared state takes these names, which cost nothing there.
#pragma once

#ifndef SHOEHORN_THREADS
#error "SHOEHORN_THREADS is set by CMake (shoehorn_io): link the layer that includes this"
#endif

#include <mutex>  // std::lock_guard, with threads or without

#if SHOEHORN_THREADS
// Per-thread state; with one thread, plain static state (a bare machine has no thread pointer
// for thread_local to read).
#define SHOEHORN_THREAD_LOCAL thread_local
#else
#define SHOEHORN_THREAD_LOCAL
#endif

namespace shoehorn {

inline constexpr bool kHaveThreads = SHOEHORN_THREADS != 0;

#if SHOEHORN_THREADS
using Mutex = std::mutex;
#else
// Nothing to exclude where only one thread runs (std::lock_guard takes it as it takes a mutex).
struct Mutex {
  void lock() {}
  void unlock() {}
  bool try_lock() { return true; }
};
#endif

}  // namespace shoehorn
